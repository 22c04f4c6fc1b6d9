"""Migration 0011 (ingest robustness): dead letters, check-ins unique by event, and time you can trust.

- `dead_letter`: messages ingest could not apply, for admins to re-run or discard.
- `checkin.event_id` gets its own unique index (a redelivered event can never add a second check-in).
- `stationevent.ts_flag` / `device_ts`: a kiosk time out of bounds is stored as central's receive
  time, flagged, and kept as reported.
- `stationlive.received_at`, `chargerslotstate.received_at`: central's receive time orders live state.
- `devicestate.reported_at`, `devicestate.clock_offset_s`: the device's own time at its last heartbeat
  and its clock's offset from central's.

Frozen once released: the SQL below is never edited; a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "dead_letter" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "digest" VARCHAR(64) NOT NULL,
    "topic" TEXT NOT NULL,
    "payload" BLOB NOT NULL,
    "error" TEXT NOT NULL,
    "station_code" VARCHAR(255),
    "first_seen" DATETIME NOT NULL,
    "last_seen" DATETIME NOT NULL,
    "count" INTEGER NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "resolved_at" DATETIME
);
CREATE UNIQUE INDEX "deadletter_digest" ON "dead_letter" ("digest");
CREATE INDEX "deadletter_status" ON "dead_letter" ("status");
DELETE FROM "checkin" WHERE "id" NOT IN (SELECT MIN("id") FROM "checkin" GROUP BY "event_id");
CREATE UNIQUE INDEX "checkin_event_id" ON "checkin" ("event_id");
ALTER TABLE "stationevent" ADD COLUMN "ts_flag" VARCHAR(255);
ALTER TABLE "stationevent" ADD COLUMN "device_ts" DATETIME;
ALTER TABLE "stationlive" ADD COLUMN "received_at" DATETIME;
ALTER TABLE "chargerslotstate" ADD COLUMN "received_at" DATETIME;
ALTER TABLE "devicestate" ADD COLUMN "reported_at" DATETIME;
ALTER TABLE "devicestate" ADD COLUMN "clock_offset_s" REAL;
"""

POSTGRESQL = """
CREATE TABLE "dead_letter" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "digest" VARCHAR(64) NOT NULL,
    "topic" TEXT NOT NULL,
    "payload" BYTEA NOT NULL,
    "error" TEXT NOT NULL,
    "station_code" VARCHAR(255),
    "first_seen" TIMESTAMP NOT NULL,
    "last_seen" TIMESTAMP NOT NULL,
    "count" INTEGER NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "resolved_at" TIMESTAMP
);
CREATE UNIQUE INDEX "deadletter_digest" ON "dead_letter" ("digest");
CREATE INDEX "deadletter_status" ON "dead_letter" ("status");
DELETE FROM "checkin" WHERE "id" NOT IN (SELECT MIN("id") FROM "checkin" GROUP BY "event_id");
CREATE UNIQUE INDEX "checkin_event_id" ON "checkin" ("event_id");
ALTER TABLE "stationevent" ADD COLUMN "ts_flag" VARCHAR(255);
ALTER TABLE "stationevent" ADD COLUMN "device_ts" TIMESTAMP;
ALTER TABLE "stationlive" ADD COLUMN "received_at" TIMESTAMP;
ALTER TABLE "chargerslotstate" ADD COLUMN "received_at" TIMESTAMP;
ALTER TABLE "devicestate" ADD COLUMN "reported_at" TIMESTAMP;
ALTER TABLE "devicestate" ADD COLUMN "clock_offset_s" DOUBLE PRECISION;
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (11, "ingest_robustness", up)
