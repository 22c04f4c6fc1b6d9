"""Migration 0016 (hardship register): hardship cases, their visits and their encrypted documents.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "hardship_case" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "district_id" INTEGER NOT NULL,
    "station_code" VARCHAR(255),
    "request_id" INTEGER,
    "member_no" VARCHAR(255),
    "cause" VARCHAR(255) NOT NULL,
    "household_members" INTEGER NOT NULL,
    "household_income_fen" INTEGER NOT NULL,
    "assistance_line_fen" INTEGER NOT NULL,
    "census_on" DATE NOT NULL,
    "recorded_at" DATETIME NOT NULL,
    "recorded_by_id" INTEGER,
    "approved_census_on" DATE,
    "approved_at" DATETIME,
    "approved_by_id" INTEGER,
    "changed_at" DATETIME,
    "change_note" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id"),
    FOREIGN KEY ("request_id") REFERENCES "service_request" ("id") ON DELETE SET NULL,
    FOREIGN KEY ("recorded_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL,
    FOREIGN KEY ("approved_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "hardshipcase_district_id" ON "hardship_case" ("district_id");
CREATE UNIQUE INDEX "hardshipcase_request_id" ON "hardship_case" ("request_id");
CREATE INDEX "hardshipcase_member_no" ON "hardship_case" ("member_no");
CREATE INDEX "hardshipcase_recorded_by_id" ON "hardship_case" ("recorded_by_id");
CREATE INDEX "hardshipcase_approved_by_id" ON "hardship_case" ("approved_by_id");
CREATE INDEX "hardshipcase_district_id_census_on" ON "hardship_case" ("district_id", "census_on");
CREATE TABLE "hardship_visit" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "case_id" INTEGER NOT NULL,
    "visited_on" DATE NOT NULL,
    "by_id" INTEGER,
    "note" VARCHAR(255) NOT NULL,
    "recorded_at" DATETIME NOT NULL,
    FOREIGN KEY ("case_id") REFERENCES "hardship_case" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "hardshipvisit_case_id" ON "hardship_visit" ("case_id");
CREATE INDEX "hardshipvisit_by_id" ON "hardship_visit" ("by_id");
CREATE INDEX "hardshipvisit_case_id_visited_on" ON "hardship_visit" ("case_id", "visited_on");
CREATE TABLE "hardship_document" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "case_id" INTEGER NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "filename" VARCHAR(255) NOT NULL,
    "content_type" VARCHAR(255) NOT NULL,
    "size" INTEGER NOT NULL,
    "content" BLOB NOT NULL,
    "source" VARCHAR(255) NOT NULL,
    "uploaded_at" DATETIME NOT NULL,
    "uploaded_by_id" INTEGER,
    FOREIGN KEY ("case_id") REFERENCES "hardship_case" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("uploaded_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "hardshipdocument_case_id" ON "hardship_document" ("case_id");
CREATE INDEX "hardshipdocument_uploaded_by_id" ON "hardship_document" ("uploaded_by_id");
"""

POSTGRESQL = """
CREATE TABLE "hardship_case" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "district_id" INTEGER NOT NULL,
    "station_code" VARCHAR(255),
    "request_id" INTEGER,
    "member_no" VARCHAR(255),
    "cause" VARCHAR(255) NOT NULL,
    "household_members" INTEGER NOT NULL,
    "household_income_fen" BIGINT NOT NULL,
    "assistance_line_fen" BIGINT NOT NULL,
    "census_on" DATE NOT NULL,
    "recorded_at" TIMESTAMP NOT NULL,
    "recorded_by_id" INTEGER,
    "approved_census_on" DATE,
    "approved_at" TIMESTAMP,
    "approved_by_id" INTEGER,
    "changed_at" TIMESTAMP,
    "change_note" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id"),
    FOREIGN KEY ("request_id") REFERENCES "service_request" ("id") ON DELETE SET NULL,
    FOREIGN KEY ("recorded_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL,
    FOREIGN KEY ("approved_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "hardshipcase_district_id" ON "hardship_case" ("district_id");
CREATE UNIQUE INDEX "hardshipcase_request_id" ON "hardship_case" ("request_id");
CREATE INDEX "hardshipcase_member_no" ON "hardship_case" ("member_no");
CREATE INDEX "hardshipcase_recorded_by_id" ON "hardship_case" ("recorded_by_id");
CREATE INDEX "hardshipcase_approved_by_id" ON "hardship_case" ("approved_by_id");
CREATE INDEX "hardshipcase_district_id_census_on" ON "hardship_case" ("district_id", "census_on");
CREATE TABLE "hardship_visit" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "case_id" INTEGER NOT NULL,
    "visited_on" DATE NOT NULL,
    "by_id" INTEGER,
    "note" VARCHAR(255) NOT NULL,
    "recorded_at" TIMESTAMP NOT NULL,
    FOREIGN KEY ("case_id") REFERENCES "hardship_case" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "hardshipvisit_case_id" ON "hardship_visit" ("case_id");
CREATE INDEX "hardshipvisit_by_id" ON "hardship_visit" ("by_id");
CREATE INDEX "hardshipvisit_case_id_visited_on" ON "hardship_visit" ("case_id", "visited_on");
CREATE TABLE "hardship_document" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "case_id" INTEGER NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "filename" VARCHAR(255) NOT NULL,
    "content_type" VARCHAR(255) NOT NULL,
    "size" INTEGER NOT NULL,
    "content" BYTEA NOT NULL,
    "source" VARCHAR(255) NOT NULL,
    "uploaded_at" TIMESTAMP NOT NULL,
    "uploaded_by_id" INTEGER,
    FOREIGN KEY ("case_id") REFERENCES "hardship_case" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("uploaded_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "hardshipdocument_case_id" ON "hardship_document" ("case_id");
CREATE INDEX "hardshipdocument_uploaded_by_id" ON "hardship_document" ("uploaded_by_id");
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (16, "hardship_register", up)
