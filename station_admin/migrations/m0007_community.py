"""Migration 0007 (community): vouchers, events, opening hours, mobile station locations; directory columns on station.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "opening_interval" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "station_id" INTEGER NOT NULL,
    "weekday" INTEGER NOT NULL,
    "opens" VARCHAR(5) NOT NULL,
    "closes" VARCHAR(5) NOT NULL,
    FOREIGN KEY ("station_id") REFERENCES "station" ("id") ON DELETE CASCADE
);
CREATE INDEX "openinginterval_station_id" ON "opening_interval" ("station_id");
CREATE INDEX "openinginterval_station_id_weekday" ON "opening_interval" ("station_id", "weekday");
CREATE TABLE "scheduled_event" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "title_zh" VARCHAR(60) NOT NULL,
    "title_en" VARCHAR(60) NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "first_date" DATE NOT NULL,
    "last_date" DATE NOT NULL,
    "weekly" INTEGER NOT NULL,
    "starts" VARCHAR(5) NOT NULL,
    "ends" VARCHAR(5) NOT NULL,
    "created_by_id" INTEGER,
    "created_at" DATETIME NOT NULL,
    "cancelled_at" DATETIME,
    FOREIGN KEY ("created_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "scheduledevent_created_by_id" ON "scheduled_event" ("created_by_id");
CREATE TABLE "scheduled_event_station" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "event_id" INTEGER NOT NULL,
    "station_id" INTEGER NOT NULL,
    FOREIGN KEY ("event_id") REFERENCES "scheduled_event" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("station_id") REFERENCES "station" ("id") ON DELETE CASCADE
);
CREATE INDEX "scheduledeventstation_event_id" ON "scheduled_event_station" ("event_id");
CREATE INDEX "scheduledeventstation_station_id" ON "scheduled_event_station" ("station_id");
CREATE UNIQUE INDEX "scheduledeventstation_event_id_station_id"
    ON "scheduled_event_station" ("event_id", "station_id");
CREATE TABLE "station_location" (
    "station_code" VARCHAR(255) NOT NULL PRIMARY KEY,
    "latitude" REAL NOT NULL,
    "longitude" REAL NOT NULL,
    "place" VARCHAR(255) NOT NULL,
    "reported_at" DATETIME NOT NULL
);
CREATE TABLE "voucher" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "voucher_no" VARCHAR(10) NOT NULL,
    "claim_event_id" VARCHAR(32) NOT NULL,
    "member_no" VARCHAR(20) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "month" VARCHAR(6) NOT NULL,
    "claimed_at" DATETIME NOT NULL,
    "provisional" INTEGER NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "reason" VARCHAR(255),
    "decided_at" DATETIME NOT NULL,
    "text" VARCHAR(130),
    "redeemed_at" DATETIME,
    "redeemed_by_id" INTEGER,
    FOREIGN KEY ("redeemed_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE UNIQUE INDEX "voucher_voucher_no" ON "voucher" ("voucher_no");
CREATE UNIQUE INDEX "voucher_claim_event_id" ON "voucher" ("claim_event_id");
CREATE INDEX "voucher_redeemed_by_id" ON "voucher" ("redeemed_by_id");
CREATE INDEX "voucher_member_no_month" ON "voucher" ("member_no", "month");
CREATE INDEX "voucher_station_code_month" ON "voucher" ("station_code", "month");
CREATE TABLE "voucher_policy" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "district_id" INTEGER NOT NULL,
    "care_day" INTEGER NOT NULL,
    "district_quota" INTEGER NOT NULL,
    "updated_at" DATETIME NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "voucherpolicy_district_id" ON "voucher_policy" ("district_id");
-- One confirmed voucher per member per month, across all stations.
CREATE UNIQUE INDEX voucher_one_per_member_month ON voucher (member_no, month) WHERE status = 'confirmed';
ALTER TABLE "station" ADD COLUMN "services" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "station" ADD COLUMN "always_open" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "station" ADD COLUMN "mobile" INTEGER NOT NULL DEFAULT 0;
"""

POSTGRESQL = """
CREATE TABLE "opening_interval" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "station_id" INTEGER NOT NULL,
    "weekday" INTEGER NOT NULL,
    "opens" VARCHAR(5) NOT NULL,
    "closes" VARCHAR(5) NOT NULL,
    FOREIGN KEY ("station_id") REFERENCES "station" ("id") ON DELETE CASCADE
);
CREATE INDEX "openinginterval_station_id" ON "opening_interval" ("station_id");
CREATE INDEX "openinginterval_station_id_weekday" ON "opening_interval" ("station_id", "weekday");
CREATE TABLE "scheduled_event" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "title_zh" VARCHAR(60) NOT NULL,
    "title_en" VARCHAR(60) NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "first_date" DATE NOT NULL,
    "last_date" DATE NOT NULL,
    "weekly" BOOLEAN NOT NULL,
    "starts" VARCHAR(5) NOT NULL,
    "ends" VARCHAR(5) NOT NULL,
    "created_by_id" INTEGER,
    "created_at" TIMESTAMP NOT NULL,
    "cancelled_at" TIMESTAMP,
    FOREIGN KEY ("created_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "scheduledevent_created_by_id" ON "scheduled_event" ("created_by_id");
CREATE TABLE "scheduled_event_station" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "event_id" INTEGER NOT NULL,
    "station_id" INTEGER NOT NULL,
    FOREIGN KEY ("event_id") REFERENCES "scheduled_event" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("station_id") REFERENCES "station" ("id") ON DELETE CASCADE
);
CREATE INDEX "scheduledeventstation_event_id" ON "scheduled_event_station" ("event_id");
CREATE INDEX "scheduledeventstation_station_id" ON "scheduled_event_station" ("station_id");
CREATE UNIQUE INDEX "scheduledeventstation_event_id_station_id"
    ON "scheduled_event_station" ("event_id", "station_id");
CREATE TABLE "station_location" (
    "station_code" VARCHAR(255) NOT NULL PRIMARY KEY,
    "latitude" DOUBLE PRECISION NOT NULL,
    "longitude" DOUBLE PRECISION NOT NULL,
    "place" VARCHAR(255) NOT NULL,
    "reported_at" TIMESTAMP NOT NULL
);
CREATE TABLE "voucher" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "voucher_no" VARCHAR(10) NOT NULL,
    "claim_event_id" VARCHAR(32) NOT NULL,
    "member_no" VARCHAR(20) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "month" VARCHAR(6) NOT NULL,
    "claimed_at" TIMESTAMP NOT NULL,
    "provisional" BOOLEAN NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "reason" VARCHAR(255),
    "decided_at" TIMESTAMP NOT NULL,
    "text" VARCHAR(130),
    "redeemed_at" TIMESTAMP,
    "redeemed_by_id" INTEGER,
    FOREIGN KEY ("redeemed_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE UNIQUE INDEX "voucher_voucher_no" ON "voucher" ("voucher_no");
CREATE UNIQUE INDEX "voucher_claim_event_id" ON "voucher" ("claim_event_id");
CREATE INDEX "voucher_redeemed_by_id" ON "voucher" ("redeemed_by_id");
CREATE INDEX "voucher_member_no_month" ON "voucher" ("member_no", "month");
CREATE INDEX "voucher_station_code_month" ON "voucher" ("station_code", "month");
CREATE TABLE "voucher_policy" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "district_id" INTEGER NOT NULL,
    "care_day" INTEGER NOT NULL,
    "district_quota" INTEGER NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "voucherpolicy_district_id" ON "voucher_policy" ("district_id");
-- One confirmed voucher per member per month, across all stations.
CREATE UNIQUE INDEX voucher_one_per_member_month ON voucher (member_no, month) WHERE status = 'confirmed';
ALTER TABLE "station" ADD COLUMN "services" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "station" ALTER COLUMN "services" DROP DEFAULT;
ALTER TABLE "station" ADD COLUMN "always_open" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "station" ALTER COLUMN "always_open" DROP DEFAULT;
ALTER TABLE "station" ADD COLUMN "mobile" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "station" ALTER COLUMN "mobile" DROP DEFAULT;
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (7, "community", up)
