"""Migration 0006 (station_operations): charge sessions, charger slot history, remote commands and alarms.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "alarm" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "kind" VARCHAR(255) NOT NULL,
    "source" VARCHAR(255) NOT NULL,
    "station_code" VARCHAR(255),
    "severity" VARCHAR(255) NOT NULL,
    "raised_at" DATETIME NOT NULL,
    "details" TEXT NOT NULL,
    "open_key" VARCHAR(255),
    "acknowledged_at" DATETIME,
    "acknowledged_by_id" INTEGER,
    "acknowledged_by_name" VARCHAR(255),
    "cleared_at" DATETIME,
    "cleared_by_id" INTEGER,
    "cleared_by_name" VARCHAR(255),
    "clear_reason" VARCHAR(255),
    FOREIGN KEY ("acknowledged_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL,
    FOREIGN KEY ("cleared_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "alarm_station_code" ON "alarm" ("station_code");
CREATE INDEX "alarm_raised_at" ON "alarm" ("raised_at");
CREATE UNIQUE INDEX "alarm_open_key" ON "alarm" ("open_key");
CREATE INDEX "alarm_acknowledged_by_id" ON "alarm" ("acknowledged_by_id");
CREATE INDEX "alarm_cleared_by_id" ON "alarm" ("cleared_by_id");
CREATE TABLE "charger_slot_event" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "slot" INTEGER NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "fault" VARCHAR(255),
    "reported_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "chargerslotevent_station_code_slot_reported_at"
    ON "charger_slot_event" ("station_code", "slot", "reported_at");
CREATE TABLE "charge_session" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "session_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "slot" INTEGER NOT NULL,
    "member_no" VARCHAR(255),
    "started_at" DATETIME NOT NULL,
    "ended_at" DATETIME,
    "energy_wh" INTEGER NOT NULL,
    "power_w" INTEGER NOT NULL,
    "limit_s" INTEGER NOT NULL,
    "end_reason" VARCHAR(255),
    "reported_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "chargesession_session_id" ON "charge_session" ("session_id");
CREATE INDEX "chargesession_member_no" ON "charge_session" ("member_no");
CREATE INDEX "chargesession_station_code_started_at" ON "charge_session" ("station_code", "started_at");
CREATE TABLE "command" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "command_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "device" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "args" TEXT NOT NULL,
    "requested_by_id" INTEGER,
    "requested_by_name" VARCHAR(255) NOT NULL,
    "requested_at" DATETIME NOT NULL,
    "published_at" DATETIME,
    "status" VARCHAR(255) NOT NULL,
    "answered_at" DATETIME,
    "reason" VARCHAR(255),
    FOREIGN KEY ("requested_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE UNIQUE INDEX "command_command_id" ON "command" ("command_id");
CREATE INDEX "command_station_code" ON "command" ("station_code");
CREATE INDEX "command_requested_by_id" ON "command" ("requested_by_id");
CREATE INDEX "command_status" ON "command" ("status");
"""

POSTGRESQL = """
CREATE TABLE "alarm" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "kind" VARCHAR(255) NOT NULL,
    "source" VARCHAR(255) NOT NULL,
    "station_code" VARCHAR(255),
    "severity" VARCHAR(255) NOT NULL,
    "raised_at" TIMESTAMP NOT NULL,
    "details" TEXT NOT NULL,
    "open_key" VARCHAR(255),
    "acknowledged_at" TIMESTAMP,
    "acknowledged_by_id" INTEGER,
    "acknowledged_by_name" VARCHAR(255),
    "cleared_at" TIMESTAMP,
    "cleared_by_id" INTEGER,
    "cleared_by_name" VARCHAR(255),
    "clear_reason" VARCHAR(255),
    FOREIGN KEY ("acknowledged_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL,
    FOREIGN KEY ("cleared_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "alarm_station_code" ON "alarm" ("station_code");
CREATE INDEX "alarm_raised_at" ON "alarm" ("raised_at");
CREATE UNIQUE INDEX "alarm_open_key" ON "alarm" ("open_key");
CREATE INDEX "alarm_acknowledged_by_id" ON "alarm" ("acknowledged_by_id");
CREATE INDEX "alarm_cleared_by_id" ON "alarm" ("cleared_by_id");
CREATE TABLE "charger_slot_event" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "slot" INTEGER NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "fault" VARCHAR(255),
    "reported_at" TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX "chargerslotevent_station_code_slot_reported_at"
    ON "charger_slot_event" ("station_code", "slot", "reported_at");
CREATE TABLE "charge_session" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "session_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "slot" INTEGER NOT NULL,
    "member_no" VARCHAR(255),
    "started_at" TIMESTAMP NOT NULL,
    "ended_at" TIMESTAMP,
    "energy_wh" INTEGER NOT NULL,
    "power_w" INTEGER NOT NULL,
    "limit_s" INTEGER NOT NULL,
    "end_reason" VARCHAR(255),
    "reported_at" TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX "chargesession_session_id" ON "charge_session" ("session_id");
CREATE INDEX "chargesession_member_no" ON "charge_session" ("member_no");
CREATE INDEX "chargesession_station_code_started_at" ON "charge_session" ("station_code", "started_at");
CREATE TABLE "command" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "command_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "device" VARCHAR(255) NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "args" TEXT NOT NULL,
    "requested_by_id" INTEGER,
    "requested_by_name" VARCHAR(255) NOT NULL,
    "requested_at" TIMESTAMP NOT NULL,
    "published_at" TIMESTAMP,
    "status" VARCHAR(255) NOT NULL,
    "answered_at" TIMESTAMP,
    "reason" VARCHAR(255),
    FOREIGN KEY ("requested_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE UNIQUE INDEX "command_command_id" ON "command" ("command_id");
CREATE INDEX "command_station_code" ON "command" ("station_code");
CREATE INDEX "command_requested_by_id" ON "command" ("requested_by_id");
CREATE INDEX "command_status" ON "command" ("status");
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (6, "station_operations", up)
