"""Migration 0015 (pairing): station pairing codes, failed pairing attempts, paired devices, kiosk health.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "pairing_code" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "code_hash" VARCHAR(64) NOT NULL,
    "issued_by_id" INTEGER,
    "issued_by_name" VARCHAR(255) NOT NULL,
    "issued_at" DATETIME NOT NULL,
    "expires_at" DATETIME NOT NULL,
    "used_at" DATETIME,
    "used_from" VARCHAR(255),
    FOREIGN KEY ("issued_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "pairingcode_station_code" ON "pairing_code" ("station_code");
CREATE INDEX "pairingcode_code_hash" ON "pairing_code" ("code_hash");
CREATE INDEX "pairingcode_issued_by_id" ON "pairing_code" ("issued_by_id");
CREATE TABLE "pairing_attempt" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "client" VARCHAR(255) NOT NULL,
    "at" DATETIME NOT NULL,
    "reason" VARCHAR(255) NOT NULL
);
CREATE INDEX "pairingattempt_client_at" ON "pairing_attempt" ("client", "at");
CREATE TABLE "paired_device" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "device" VARCHAR(255) NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "paired_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "paireddevice_station_code_device" ON "paired_device" ("station_code", "device");
CREATE TABLE "station_health" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "device" VARCHAR(255) NOT NULL,
    "reported_at" DATETIME NOT NULL,
    "received_at" DATETIME NOT NULL,
    "clock_offset_ms" INTEGER NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "uptime_s" INTEGER NOT NULL,
    "disk_free_bytes" INTEGER NOT NULL,
    "db_bytes" INTEGER NOT NULL,
    "outbox_pending" INTEGER NOT NULL,
    "outbox_oldest_age_s" INTEGER,
    "last_sync" DATETIME
);
CREATE UNIQUE INDEX "stationhealth_station_code_device" ON "station_health" ("station_code", "device");
"""

POSTGRESQL = """
CREATE TABLE "pairing_code" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "code_hash" VARCHAR(64) NOT NULL,
    "issued_by_id" INTEGER,
    "issued_by_name" VARCHAR(255) NOT NULL,
    "issued_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "used_at" TIMESTAMP,
    "used_from" VARCHAR(255),
    FOREIGN KEY ("issued_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "pairingcode_station_code" ON "pairing_code" ("station_code");
CREATE INDEX "pairingcode_code_hash" ON "pairing_code" ("code_hash");
CREATE INDEX "pairingcode_issued_by_id" ON "pairing_code" ("issued_by_id");
CREATE TABLE "pairing_attempt" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "client" VARCHAR(255) NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "reason" VARCHAR(255) NOT NULL
);
CREATE INDEX "pairingattempt_client_at" ON "pairing_attempt" ("client", "at");
CREATE TABLE "paired_device" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "device" VARCHAR(255) NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "paired_at" TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX "paireddevice_station_code_device" ON "paired_device" ("station_code", "device");
CREATE TABLE "station_health" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "device" VARCHAR(255) NOT NULL,
    "reported_at" TIMESTAMP NOT NULL,
    "received_at" TIMESTAMP NOT NULL,
    "clock_offset_ms" BIGINT NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "uptime_s" BIGINT NOT NULL,
    "disk_free_bytes" BIGINT NOT NULL,
    "db_bytes" BIGINT NOT NULL,
    "outbox_pending" INTEGER NOT NULL,
    "outbox_oldest_age_s" BIGINT,
    "last_sync" TIMESTAMP
);
CREATE UNIQUE INDEX "stationhealth_station_code_device" ON "station_health" ("station_code", "device");
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (15, "pairing", up)
