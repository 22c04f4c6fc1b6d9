"""Migration 0010 (feedback): riders' feedback and the pain points it names.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "feedback" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "occurred_at" DATETIME NOT NULL,
    "score" INTEGER,
    "member_no" VARCHAR(255)
);
CREATE UNIQUE INDEX "feedback_event_id" ON "feedback" ("event_id");
CREATE INDEX "feedback_station_code_occurred_at" ON "feedback" ("station_code", "occurred_at");
CREATE TABLE "feedback_category" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "feedback_id" INTEGER NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "occurred_at" DATETIME NOT NULL,
    "category" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("feedback_id") REFERENCES "feedback" ("id") ON DELETE CASCADE
);
CREATE INDEX "feedbackcategory_feedback_id" ON "feedback_category" ("feedback_id");
CREATE INDEX "feedbackcategory_station_code_occurred_at"
    ON "feedback_category" ("station_code", "occurred_at");
CREATE UNIQUE INDEX "feedbackcategory_feedback_id_category"
    ON "feedback_category" ("feedback_id", "category");
"""

POSTGRESQL = """
CREATE TABLE "feedback" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "occurred_at" TIMESTAMP NOT NULL,
    "score" SMALLINT,
    "member_no" VARCHAR(255)
);
CREATE UNIQUE INDEX "feedback_event_id" ON "feedback" ("event_id");
CREATE INDEX "feedback_station_code_occurred_at" ON "feedback" ("station_code", "occurred_at");
CREATE TABLE "feedback_category" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "feedback_id" INTEGER NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "occurred_at" TIMESTAMP NOT NULL,
    "category" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("feedback_id") REFERENCES "feedback" ("id") ON DELETE CASCADE
);
CREATE INDEX "feedbackcategory_feedback_id" ON "feedback_category" ("feedback_id");
CREATE INDEX "feedbackcategory_station_code_occurred_at"
    ON "feedback_category" ("station_code", "occurred_at");
CREATE UNIQUE INDEX "feedbackcategory_feedback_id_category"
    ON "feedback_category" ("feedback_id", "category");
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (10, "feedback", up)
