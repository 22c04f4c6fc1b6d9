"""Migration 0001 (initial): the organisation tree, staff, API tokens, station events, check-ins and live state.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "federation" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "code" VARCHAR(255) NOT NULL,
    "name_zh" VARCHAR(255) NOT NULL,
    "name_en" VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX "federation_code" ON "federation" ("code");
CREATE TABLE "district" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "code" VARCHAR(255) NOT NULL,
    "federation_id" INTEGER NOT NULL,
    "name_zh" VARCHAR(255) NOT NULL,
    "name_en" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("federation_id") REFERENCES "federation" ("id")
);
CREATE UNIQUE INDEX "district_code" ON "district" ("code");
CREATE INDEX "district_federation_id" ON "district" ("federation_id");
CREATE TABLE "staffuser" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "username" VARCHAR(255) NOT NULL,
    "display_name" VARCHAR(255) NOT NULL,
    "password_hash" VARCHAR(255) NOT NULL,
    "role" VARCHAR(255) NOT NULL,
    "federation_id" INTEGER,
    "district_id" INTEGER,
    "active" INTEGER NOT NULL,
    FOREIGN KEY ("federation_id") REFERENCES "federation" ("id"),
    FOREIGN KEY ("district_id") REFERENCES "district" ("id")
);
CREATE UNIQUE INDEX "staffuser_username" ON "staffuser" ("username");
CREATE INDEX "staffuser_federation_id" ON "staffuser" ("federation_id");
CREATE INDEX "staffuser_district_id" ON "staffuser" ("district_id");
CREATE TABLE "apitoken" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "token_hash" VARCHAR(255) NOT NULL,
    "created_at" DATETIME NOT NULL,
    FOREIGN KEY ("user_id") REFERENCES "staffuser" ("id") ON DELETE CASCADE
);
CREATE INDEX "apitoken_user_id" ON "apitoken" ("user_id");
CREATE UNIQUE INDEX "apitoken_token_hash" ON "apitoken" ("token_hash");
CREATE TABLE "chargerslotstate" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "slot" INTEGER NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "power_w" INTEGER NOT NULL,
    "energy_wh" INTEGER NOT NULL,
    "fault" VARCHAR(255),
    "reported_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "chargerslotstate_station_code_slot" ON "chargerslotstate" ("station_code", "slot");
CREATE TABLE "checkin" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "occurred_at" DATETIME NOT NULL,
    "method" VARCHAR(255) NOT NULL,
    "member_no" VARCHAR(255)
);
CREATE INDEX "checkin_station_code_occurred_at" ON "checkin" ("station_code", "occurred_at");
CREATE TABLE "devicestate" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "device" VARCHAR(255) NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "online" INTEGER NOT NULL,
    "changed_at" DATETIME NOT NULL,
    "heartbeat_at" DATETIME,
    "outbox_pending" INTEGER NOT NULL
);
CREATE UNIQUE INDEX "devicestate_station_code_device" ON "devicestate" ("station_code", "device");
CREATE TABLE "station" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "code" VARCHAR(255) NOT NULL,
    "district_id" INTEGER NOT NULL,
    "name_zh" VARCHAR(255) NOT NULL,
    "name_en" VARCHAR(255) NOT NULL,
    "address" VARCHAR(255) NOT NULL,
    "latitude" REAL,
    "longitude" REAL,
    "capacity" INTEGER NOT NULL,
    "charger_slots" INTEGER NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id")
);
CREATE UNIQUE INDEX "station_code" ON "station" ("code");
CREATE INDEX "station_district_id" ON "station" ("district_id");
CREATE TABLE "stationevent" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "seq" INTEGER NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "occurred_at" DATETIME NOT NULL,
    "received_at" DATETIME NOT NULL,
    "data" TEXT NOT NULL
);
CREATE UNIQUE INDEX "stationevent_event_id" ON "stationevent" ("event_id");
CREATE INDEX "stationevent_station_code" ON "stationevent" ("station_code");
CREATE TABLE "stationlive" (
    "station_code" VARCHAR(255) NOT NULL PRIMARY KEY,
    "people_inside" INTEGER NOT NULL,
    "entered_today" INTEGER NOT NULL,
    "occupancy_at" DATETIME NOT NULL
);
CREATE TABLE "stationmanager" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "station_id" INTEGER NOT NULL,
    FOREIGN KEY ("user_id") REFERENCES "staffuser" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("station_id") REFERENCES "station" ("id") ON DELETE CASCADE
);
CREATE INDEX "stationmanager_user_id" ON "stationmanager" ("user_id");
CREATE INDEX "stationmanager_station_id" ON "stationmanager" ("station_id");
CREATE UNIQUE INDEX "stationmanager_user_id_station_id" ON "stationmanager" ("user_id", "station_id");
"""

POSTGRESQL = """
CREATE TABLE "federation" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "code" VARCHAR(255) NOT NULL,
    "name_zh" VARCHAR(255) NOT NULL,
    "name_en" VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX "federation_code" ON "federation" ("code");
CREATE TABLE "district" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "code" VARCHAR(255) NOT NULL,
    "federation_id" INTEGER NOT NULL,
    "name_zh" VARCHAR(255) NOT NULL,
    "name_en" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("federation_id") REFERENCES "federation" ("id")
);
CREATE UNIQUE INDEX "district_code" ON "district" ("code");
CREATE INDEX "district_federation_id" ON "district" ("federation_id");
CREATE TABLE "staffuser" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "username" VARCHAR(255) NOT NULL,
    "display_name" VARCHAR(255) NOT NULL,
    "password_hash" VARCHAR(255) NOT NULL,
    "role" VARCHAR(255) NOT NULL,
    "federation_id" INTEGER,
    "district_id" INTEGER,
    "active" BOOLEAN NOT NULL,
    FOREIGN KEY ("federation_id") REFERENCES "federation" ("id"),
    FOREIGN KEY ("district_id") REFERENCES "district" ("id")
);
CREATE UNIQUE INDEX "staffuser_username" ON "staffuser" ("username");
CREATE INDEX "staffuser_federation_id" ON "staffuser" ("federation_id");
CREATE INDEX "staffuser_district_id" ON "staffuser" ("district_id");
CREATE TABLE "apitoken" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "name" VARCHAR(255) NOT NULL,
    "token_hash" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    FOREIGN KEY ("user_id") REFERENCES "staffuser" ("id") ON DELETE CASCADE
);
CREATE INDEX "apitoken_user_id" ON "apitoken" ("user_id");
CREATE UNIQUE INDEX "apitoken_token_hash" ON "apitoken" ("token_hash");
CREATE TABLE "chargerslotstate" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "slot" INTEGER NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "power_w" INTEGER NOT NULL,
    "energy_wh" INTEGER NOT NULL,
    "fault" VARCHAR(255),
    "reported_at" TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX "chargerslotstate_station_code_slot" ON "chargerslotstate" ("station_code", "slot");
CREATE TABLE "checkin" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "occurred_at" TIMESTAMP NOT NULL,
    "method" VARCHAR(255) NOT NULL,
    "member_no" VARCHAR(255)
);
CREATE INDEX "checkin_station_code_occurred_at" ON "checkin" ("station_code", "occurred_at");
CREATE TABLE "devicestate" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "device" VARCHAR(255) NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "online" BOOLEAN NOT NULL,
    "changed_at" TIMESTAMP NOT NULL,
    "heartbeat_at" TIMESTAMP,
    "outbox_pending" INTEGER NOT NULL
);
CREATE UNIQUE INDEX "devicestate_station_code_device" ON "devicestate" ("station_code", "device");
CREATE TABLE "station" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "code" VARCHAR(255) NOT NULL,
    "district_id" INTEGER NOT NULL,
    "name_zh" VARCHAR(255) NOT NULL,
    "name_en" VARCHAR(255) NOT NULL,
    "address" VARCHAR(255) NOT NULL,
    "latitude" DOUBLE PRECISION,
    "longitude" DOUBLE PRECISION,
    "capacity" INTEGER NOT NULL,
    "charger_slots" INTEGER NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id")
);
CREATE UNIQUE INDEX "station_code" ON "station" ("code");
CREATE INDEX "station_district_id" ON "station" ("district_id");
CREATE TABLE "stationevent" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "seq" BIGINT NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "occurred_at" TIMESTAMP NOT NULL,
    "received_at" TIMESTAMP NOT NULL,
    "data" TEXT NOT NULL
);
CREATE UNIQUE INDEX "stationevent_event_id" ON "stationevent" ("event_id");
CREATE INDEX "stationevent_station_code" ON "stationevent" ("station_code");
CREATE TABLE "stationlive" (
    "station_code" VARCHAR(255) NOT NULL PRIMARY KEY,
    "people_inside" INTEGER NOT NULL,
    "entered_today" INTEGER NOT NULL,
    "occupancy_at" TIMESTAMP NOT NULL
);
CREATE TABLE "stationmanager" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "station_id" INTEGER NOT NULL,
    FOREIGN KEY ("user_id") REFERENCES "staffuser" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("station_id") REFERENCES "station" ("id") ON DELETE CASCADE
);
CREATE INDEX "stationmanager_user_id" ON "stationmanager" ("user_id");
CREATE INDEX "stationmanager_station_id" ON "stationmanager" ("station_id");
CREATE UNIQUE INDEX "stationmanager_user_id_station_id" ON "stationmanager" ("user_id", "station_id");
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (1, "initial", up)
