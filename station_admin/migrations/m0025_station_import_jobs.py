"""Migration 0025 (station import jobs): a confirmed station import is written in the background.

- `station_import_job`: who confirmed which stored file, its progress, what it wrote, which process
  writes it and that it still does; one queued or running per admin (a partial unique index).

Frozen once released: the SQL below is never edited; a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "station_import_job" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "filename" VARCHAR(255) NOT NULL,
    "path" VARCHAR(255) NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "rows_done" INTEGER NOT NULL,
    "rows_total" INTEGER NOT NULL,
    "counts" TEXT NOT NULL,
    "error" VARCHAR(255) NOT NULL,
    "worker" VARCHAR(255) NOT NULL,
    "heartbeat_at" DATETIME,
    "created_at" DATETIME NOT NULL,
    "finished_at" DATETIME,
    FOREIGN KEY ("user_id") REFERENCES "staffuser" ("id") ON DELETE CASCADE
);
CREATE INDEX "stationimportjob_user_id" ON "station_import_job" ("user_id");
CREATE UNIQUE INDEX "station_import_job_one_active" ON "station_import_job" ("user_id")
    WHERE ("status" IN ('queued', 'running'));
"""

POSTGRESQL = """
CREATE TABLE "station_import_job" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "filename" VARCHAR(255) NOT NULL,
    "path" VARCHAR(255) NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "rows_done" INTEGER NOT NULL,
    "rows_total" INTEGER NOT NULL,
    "counts" TEXT NOT NULL,
    "error" VARCHAR(255) NOT NULL,
    "worker" VARCHAR(255) NOT NULL,
    "heartbeat_at" TIMESTAMP,
    "created_at" TIMESTAMP NOT NULL,
    "finished_at" TIMESTAMP,
    FOREIGN KEY ("user_id") REFERENCES "staffuser" ("id") ON DELETE CASCADE
);
CREATE INDEX "stationimportjob_user_id" ON "station_import_job" ("user_id");
CREATE UNIQUE INDEX "station_import_job_one_active" ON "station_import_job" ("user_id")
    WHERE ("status" IN ('queued', 'running'));
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (25, "station_import_jobs", up)
