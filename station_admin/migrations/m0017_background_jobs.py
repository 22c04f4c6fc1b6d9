"""Migration 0017 (background jobs): the job queue in central's database, exports that survive restarts.

- `job_queue_*`: huey's queue, schedule, key-value and counter tables (station_admin.core.jobs), so
  that every web process puts jobs in and any job worker takes them out.
- `export_job.spec` (what to write), `worker` and `heartbeat_at` (which process runs it, and that
  it still does); one queued or running export per user (a partial unique index). Exports queued or
  running before this migration ran in threads of a process that is gone: they are marked failed.
- `dead_letter.claimed_by` / `claimed_at`: which ingest worker re-runs a dead letter, so that a
  re-run its process never finished goes back to open at the next start.

Frozen once released: the SQL below is never edited; a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "job_queue_kv" (
    "queue" VARCHAR(255) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "value" BLOB NOT NULL,
    PRIMARY KEY ("queue", "key")
);
CREATE TABLE "job_queue_schedule" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "queue" VARCHAR(255) NOT NULL,
    "data" BLOB NOT NULL,
    "timestamp" INTEGER NOT NULL
);
CREATE INDEX "queueschedule_queue_timestamp" ON "job_queue_schedule" ("queue", "timestamp");
CREATE TABLE "job_queue_task" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "queue" VARCHAR(255) NOT NULL,
    "data" BLOB NOT NULL,
    "priority" REAL NOT NULL
);
CREATE INDEX "queuetask_queue_priority_id" ON "job_queue_task" ("queue", "priority", "id");
CREATE TABLE "job_queue_counter" (
    "queue" VARCHAR(255) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "value" INTEGER NOT NULL,
    PRIMARY KEY ("queue", "key")
);
UPDATE "export_job" SET "status" = 'failed', "error" = 'interrupted' WHERE "status" IN ('queued', 'running');
ALTER TABLE "export_job" ADD COLUMN "spec" TEXT NOT NULL DEFAULT '{}';
ALTER TABLE "export_job" ADD COLUMN "worker" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "export_job" ADD COLUMN "heartbeat_at" DATETIME;
CREATE UNIQUE INDEX "export_job_one_active" ON "export_job" ("user_id") WHERE ("status" IN ('queued', 'running'));
ALTER TABLE "dead_letter" ADD COLUMN "claimed_by" VARCHAR(255);
ALTER TABLE "dead_letter" ADD COLUMN "claimed_at" DATETIME;
"""

POSTGRESQL = """
CREATE TABLE "job_queue_kv" (
    "queue" VARCHAR(255) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "value" BYTEA NOT NULL,
    PRIMARY KEY ("queue", "key")
);
CREATE TABLE "job_queue_schedule" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "queue" VARCHAR(255) NOT NULL,
    "data" BYTEA NOT NULL,
    "timestamp" BIGINT NOT NULL
);
CREATE INDEX "queueschedule_queue_timestamp" ON "job_queue_schedule" ("queue", "timestamp");
CREATE TABLE "job_queue_task" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "queue" VARCHAR(255) NOT NULL,
    "data" BYTEA NOT NULL,
    "priority" REAL NOT NULL
);
CREATE INDEX "queuetask_queue_priority_id" ON "job_queue_task" ("queue", "priority", "id");
CREATE TABLE "job_queue_counter" (
    "queue" VARCHAR(255) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "value" INTEGER NOT NULL,
    PRIMARY KEY ("queue", "key")
);
UPDATE "export_job" SET "status" = 'failed', "error" = 'interrupted' WHERE "status" IN ('queued', 'running');
ALTER TABLE "export_job" ADD COLUMN "spec" TEXT NOT NULL DEFAULT '{}';
ALTER TABLE "export_job" ALTER COLUMN "spec" DROP DEFAULT;
ALTER TABLE "export_job" ADD COLUMN "worker" VARCHAR(255) NOT NULL DEFAULT '';
ALTER TABLE "export_job" ALTER COLUMN "worker" DROP DEFAULT;
ALTER TABLE "export_job" ADD COLUMN "heartbeat_at" TIMESTAMP;
CREATE UNIQUE INDEX "export_job_one_active" ON "export_job" ("user_id") WHERE ("status" IN ('queued', 'running'));
ALTER TABLE "dead_letter" ADD COLUMN "claimed_by" VARCHAR(255);
ALTER TABLE "dead_letter" ADD COLUMN "claimed_at" TIMESTAMP;
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (17, "background_jobs", up)
