"""Migration 0004 (reports): the hourly check-in rollup (filled from the check-ins already stored), export jobs, the
usage-log index.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "checkin_hourly" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "hour" INTEGER NOT NULL,
    "n" INTEGER NOT NULL
);
CREATE UNIQUE INDEX "checkinhourly_station_code_hour" ON "checkin_hourly" ("station_code", "hour");
CREATE INDEX "checkinhourly_station_code_hour_n" ON "checkin_hourly" ("station_code", "hour", "n");
CREATE TABLE "export_job" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "report" VARCHAR(255) NOT NULL,
    "params" TEXT NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "rows_done" INTEGER NOT NULL,
    "rows_total" INTEGER NOT NULL,
    "path" VARCHAR(255) NOT NULL,
    "filename" VARCHAR(255) NOT NULL,
    "error" VARCHAR(255) NOT NULL,
    "created_at" DATETIME NOT NULL,
    "finished_at" DATETIME,
    FOREIGN KEY ("user_id") REFERENCES "staffuser" ("id") ON DELETE CASCADE
);
CREATE INDEX "exportjob_user_id" ON "export_job" ("user_id");
-- The usage log pages newest first across stations: (occurred_at, id) is its keyset order.
CREATE INDEX checkin_occurred_at_id ON checkin (occurred_at, id);
-- Fill the rollup from the check-ins already stored: whole UTC hours since the epoch.
INSERT INTO checkin_hourly (station_code, hour, n)
SELECT station_code, CAST(strftime('%s', substr(occurred_at, 1, 19)) AS INTEGER) / 3600, COUNT(*)
FROM checkin WHERE occurred_at >= '1970-01-01 00:00:00.000000'
GROUP BY station_code, CAST(strftime('%s', substr(occurred_at, 1, 19)) AS INTEGER) / 3600;
"""

POSTGRESQL = """
CREATE TABLE "checkin_hourly" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "hour" INTEGER NOT NULL,
    "n" INTEGER NOT NULL
);
CREATE UNIQUE INDEX "checkinhourly_station_code_hour" ON "checkin_hourly" ("station_code", "hour");
CREATE INDEX "checkinhourly_station_code_hour_n" ON "checkin_hourly" ("station_code", "hour", "n");
CREATE TABLE "export_job" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "report" VARCHAR(255) NOT NULL,
    "params" TEXT NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "rows_done" INTEGER NOT NULL,
    "rows_total" INTEGER NOT NULL,
    "path" VARCHAR(255) NOT NULL,
    "filename" VARCHAR(255) NOT NULL,
    "error" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "finished_at" TIMESTAMP,
    FOREIGN KEY ("user_id") REFERENCES "staffuser" ("id") ON DELETE CASCADE
);
CREATE INDEX "exportjob_user_id" ON "export_job" ("user_id");
-- The usage log pages newest first across stations: (occurred_at, id) is its keyset order.
CREATE INDEX checkin_occurred_at_id ON checkin (occurred_at, id);
-- Fill the rollup from the check-ins already stored: whole UTC hours since the epoch.
INSERT INTO checkin_hourly (station_code, hour, n)
SELECT station_code, CAST(FLOOR(EXTRACT(EPOCH FROM occurred_at) / 3600) AS INTEGER), COUNT(*)
FROM checkin WHERE occurred_at >= '1970-01-01 00:00:00.000000'
GROUP BY station_code, CAST(FLOOR(EXTRACT(EPOCH FROM occurred_at) / 3600) AS INTEGER);
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (4, "reports", up)
