"""Migration 0012 (administration): a staff user's session epoch (sign out everywhere), a station's
closing time, an API token's last use and revocation, the districts a legal-aid centre serves, and
the station codes that send data although central does not know them.

Frozen once released: the SQL below was written from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
ALTER TABLE "staffuser" ADD COLUMN "session_epoch" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "station" ADD COLUMN "closed_at" DATETIME;
ALTER TABLE "apitoken" ADD COLUMN "last_used_at" DATETIME;
ALTER TABLE "apitoken" ADD COLUMN "revoked_at" DATETIME;
CREATE TABLE "unknown_station" (
    "station_code" VARCHAR(255) NOT NULL PRIMARY KEY,
    "first_seen_at" DATETIME NOT NULL,
    "last_seen_at" DATETIME NOT NULL,
    "messages" INTEGER NOT NULL,
    "families" TEXT NOT NULL
);
CREATE TABLE "centre_district" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "centre_id" INTEGER NOT NULL,
    "district_id" INTEGER NOT NULL,
    FOREIGN KEY ("centre_id") REFERENCES "legal_aid_centre" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id") ON DELETE CASCADE
);
CREATE INDEX "centredistrict_centre_id" ON "centre_district" ("centre_id");
CREATE UNIQUE INDEX "centredistrict_district_id" ON "centre_district" ("district_id");
"""

POSTGRESQL = """
ALTER TABLE "staffuser" ADD COLUMN "session_epoch" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "station" ADD COLUMN "closed_at" TIMESTAMP;
ALTER TABLE "apitoken" ADD COLUMN "last_used_at" TIMESTAMP;
ALTER TABLE "apitoken" ADD COLUMN "revoked_at" TIMESTAMP;
CREATE TABLE "unknown_station" (
    "station_code" VARCHAR(255) NOT NULL PRIMARY KEY,
    "first_seen_at" TIMESTAMP NOT NULL,
    "last_seen_at" TIMESTAMP NOT NULL,
    "messages" INTEGER NOT NULL,
    "families" TEXT NOT NULL
);
CREATE TABLE "centre_district" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "centre_id" INTEGER NOT NULL,
    "district_id" INTEGER NOT NULL,
    FOREIGN KEY ("centre_id") REFERENCES "legal_aid_centre" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id") ON DELETE CASCADE
);
CREATE INDEX "centredistrict_centre_id" ON "centre_district" ("centre_id");
CREATE UNIQUE INDEX "centredistrict_district_id" ON "centre_district" ("district_id");
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (12, "administration", up)
