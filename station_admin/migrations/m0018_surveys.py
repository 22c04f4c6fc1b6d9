"""Migration 0018 (surveys): members' worker group, surveys and their versions, responses, answers,
conflicting responses kept apart, and the day's invitations.

Members who joined before the group was asked get the group their platform's workers mostly belong
to (station_admin.members.models.PLATFORM_GROUPS). Frozen once released: the SQL below was generated
from the models of its day and is never edited; a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
ALTER TABLE "member" ADD COLUMN "worker_group" VARCHAR(20) NOT NULL DEFAULT 'other';
UPDATE "member" SET "worker_group" = 'delivery_rider' WHERE "platform" IN ('meituan', 'eleme', 'dada');
UPDATE "member" SET "worker_group" = 'courier' WHERE "platform" IN ('sf', 'jd');
UPDATE "member" SET "worker_group" = 'ride_hailing' WHERE "platform" = 'didi';
CREATE TABLE "survey" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "federation_id" INTEGER NOT NULL,
    "district_id" INTEGER,
    "created_by_id" INTEGER,
    "created_at" DATETIME NOT NULL,
    "closed_at" DATETIME,
    FOREIGN KEY ("federation_id") REFERENCES "federation" ("id"),
    FOREIGN KEY ("district_id") REFERENCES "district" ("id"),
    FOREIGN KEY ("created_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "survey_federation_id" ON "survey" ("federation_id");
CREATE INDEX "survey_district_id" ON "survey" ("district_id");
CREATE INDEX "survey_created_by_id" ON "survey" ("created_by_id");
CREATE TABLE "survey_version" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "survey_id" INTEGER NOT NULL,
    "number" INTEGER NOT NULL,
    "title_zh" VARCHAR(80) NOT NULL,
    "title_en" VARCHAR(80) NOT NULL,
    "anonymous" INTEGER NOT NULL,
    "starts_on" DATE NOT NULL,
    "ends_on" DATE NOT NULL,
    "target_groups" VARCHAR(255) NOT NULL,
    "target_platforms" VARCHAR(255) NOT NULL,
    "target_districts" TEXT NOT NULL,
    "target_stations" TEXT NOT NULL,
    "questions_json" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "published_at" DATETIME,
    "published_by_id" INTEGER,
    FOREIGN KEY ("survey_id") REFERENCES "survey" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("published_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "surveyversion_survey_id" ON "survey_version" ("survey_id");
CREATE INDEX "surveyversion_published_by_id" ON "survey_version" ("published_by_id");
CREATE UNIQUE INDEX "surveyversion_survey_id_number" ON "survey_version" ("survey_id", "number");
CREATE TABLE "survey_response" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "response_id" VARCHAR(32) NOT NULL,
    "survey_id" INTEGER NOT NULL,
    "version_id" INTEGER NOT NULL,
    "respondent_key" VARCHAR(64) NOT NULL,
    "member_id" INTEGER,
    "worker_group" VARCHAR(20) NOT NULL,
    "platform" VARCHAR(20) NOT NULL,
    "district_id" INTEGER NOT NULL,
    "station_code" VARCHAR(255),
    "channel" VARCHAR(10) NOT NULL,
    "answered_at" DATETIME NOT NULL,
    "received_at" DATETIME NOT NULL,
    "digest" VARCHAR(64) NOT NULL,
    FOREIGN KEY ("survey_id") REFERENCES "survey" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("version_id") REFERENCES "survey_version" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("member_id") REFERENCES "member" ("id") ON DELETE SET NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id")
);
CREATE UNIQUE INDEX "surveyresponse_response_id" ON "survey_response" ("response_id");
CREATE INDEX "surveyresponse_survey_id" ON "survey_response" ("survey_id");
CREATE INDEX "surveyresponse_version_id" ON "survey_response" ("version_id");
CREATE INDEX "surveyresponse_member_id" ON "survey_response" ("member_id");
CREATE INDEX "surveyresponse_district_id" ON "survey_response" ("district_id");
CREATE UNIQUE INDEX "surveyresponse_survey_id_respondent_key" ON "survey_response" ("survey_id", "respondent_key");
CREATE TABLE "survey_answer" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "response_id" INTEGER NOT NULL,
    "question" VARCHAR(20) NOT NULL,
    "choice" VARCHAR(20),
    "number" INTEGER,
    "text_enc" TEXT,
    FOREIGN KEY ("response_id") REFERENCES "survey_response" ("id") ON DELETE CASCADE
);
CREATE INDEX "surveyanswer_response_id" ON "survey_answer" ("response_id");
CREATE INDEX "surveyanswer_question_choice" ON "survey_answer" ("question", "choice");
CREATE TABLE "survey_conflict" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "response_id" VARCHAR(32) NOT NULL,
    "survey_id" INTEGER NOT NULL,
    "version_id" INTEGER NOT NULL,
    "respondent_key" VARCHAR(64) NOT NULL,
    "counted_response_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255),
    "channel" VARCHAR(10) NOT NULL,
    "answers_json" TEXT NOT NULL,
    "answered_at" DATETIME NOT NULL,
    "received_at" DATETIME NOT NULL,
    FOREIGN KEY ("survey_id") REFERENCES "survey" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("version_id") REFERENCES "survey_version" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "surveyconflict_response_id" ON "survey_conflict" ("response_id");
CREATE INDEX "surveyconflict_survey_id" ON "survey_conflict" ("survey_id");
CREATE INDEX "surveyconflict_version_id" ON "survey_conflict" ("version_id");
CREATE INDEX "surveyconflict_respondent_key" ON "survey_conflict" ("respondent_key");
CREATE TABLE "survey_invitation" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "survey_id" INTEGER NOT NULL,
    "respondent_key" VARCHAR(64) NOT NULL,
    "day" DATE NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "checkin_event_id" VARCHAR(32) NOT NULL,
    "created_at" DATETIME NOT NULL,
    FOREIGN KEY ("survey_id") REFERENCES "survey" ("id") ON DELETE CASCADE
);
CREATE INDEX "surveyinvitation_survey_id" ON "survey_invitation" ("survey_id");
CREATE UNIQUE INDEX "surveyinvitation_survey_id_respondent_key_day"
    ON "survey_invitation" ("survey_id", "respondent_key", "day");
"""

POSTGRESQL = """
ALTER TABLE "member" ADD COLUMN "worker_group" VARCHAR(20) NOT NULL DEFAULT 'other';
UPDATE "member" SET "worker_group" = 'delivery_rider' WHERE "platform" IN ('meituan', 'eleme', 'dada');
UPDATE "member" SET "worker_group" = 'courier' WHERE "platform" IN ('sf', 'jd');
UPDATE "member" SET "worker_group" = 'ride_hailing' WHERE "platform" = 'didi';
ALTER TABLE "member" ALTER COLUMN "worker_group" DROP DEFAULT;
CREATE TABLE "survey" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "federation_id" INTEGER NOT NULL,
    "district_id" INTEGER,
    "created_by_id" INTEGER,
    "created_at" TIMESTAMP NOT NULL,
    "closed_at" TIMESTAMP,
    FOREIGN KEY ("federation_id") REFERENCES "federation" ("id"),
    FOREIGN KEY ("district_id") REFERENCES "district" ("id"),
    FOREIGN KEY ("created_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "survey_federation_id" ON "survey" ("federation_id");
CREATE INDEX "survey_district_id" ON "survey" ("district_id");
CREATE INDEX "survey_created_by_id" ON "survey" ("created_by_id");
CREATE TABLE "survey_version" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "survey_id" INTEGER NOT NULL,
    "number" INTEGER NOT NULL,
    "title_zh" VARCHAR(80) NOT NULL,
    "title_en" VARCHAR(80) NOT NULL,
    "anonymous" BOOLEAN NOT NULL,
    "starts_on" DATE NOT NULL,
    "ends_on" DATE NOT NULL,
    "target_groups" VARCHAR(255) NOT NULL,
    "target_platforms" VARCHAR(255) NOT NULL,
    "target_districts" TEXT NOT NULL,
    "target_stations" TEXT NOT NULL,
    "questions_json" TEXT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "published_at" TIMESTAMP,
    "published_by_id" INTEGER,
    FOREIGN KEY ("survey_id") REFERENCES "survey" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("published_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "surveyversion_survey_id" ON "survey_version" ("survey_id");
CREATE INDEX "surveyversion_published_by_id" ON "survey_version" ("published_by_id");
CREATE UNIQUE INDEX "surveyversion_survey_id_number" ON "survey_version" ("survey_id", "number");
CREATE TABLE "survey_response" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "response_id" VARCHAR(32) NOT NULL,
    "survey_id" INTEGER NOT NULL,
    "version_id" INTEGER NOT NULL,
    "respondent_key" VARCHAR(64) NOT NULL,
    "member_id" INTEGER,
    "worker_group" VARCHAR(20) NOT NULL,
    "platform" VARCHAR(20) NOT NULL,
    "district_id" INTEGER NOT NULL,
    "station_code" VARCHAR(255),
    "channel" VARCHAR(10) NOT NULL,
    "answered_at" TIMESTAMP NOT NULL,
    "received_at" TIMESTAMP NOT NULL,
    "digest" VARCHAR(64) NOT NULL,
    FOREIGN KEY ("survey_id") REFERENCES "survey" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("version_id") REFERENCES "survey_version" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("member_id") REFERENCES "member" ("id") ON DELETE SET NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id")
);
CREATE UNIQUE INDEX "surveyresponse_response_id" ON "survey_response" ("response_id");
CREATE INDEX "surveyresponse_survey_id" ON "survey_response" ("survey_id");
CREATE INDEX "surveyresponse_version_id" ON "survey_response" ("version_id");
CREATE INDEX "surveyresponse_member_id" ON "survey_response" ("member_id");
CREATE INDEX "surveyresponse_district_id" ON "survey_response" ("district_id");
CREATE UNIQUE INDEX "surveyresponse_survey_id_respondent_key" ON "survey_response" ("survey_id", "respondent_key");
CREATE TABLE "survey_answer" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "response_id" INTEGER NOT NULL,
    "question" VARCHAR(20) NOT NULL,
    "choice" VARCHAR(20),
    "number" BIGINT,
    "text_enc" TEXT,
    FOREIGN KEY ("response_id") REFERENCES "survey_response" ("id") ON DELETE CASCADE
);
CREATE INDEX "surveyanswer_response_id" ON "survey_answer" ("response_id");
CREATE INDEX "surveyanswer_question_choice" ON "survey_answer" ("question", "choice");
CREATE TABLE "survey_conflict" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "response_id" VARCHAR(32) NOT NULL,
    "survey_id" INTEGER NOT NULL,
    "version_id" INTEGER NOT NULL,
    "respondent_key" VARCHAR(64) NOT NULL,
    "counted_response_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255),
    "channel" VARCHAR(10) NOT NULL,
    "answers_json" TEXT NOT NULL,
    "answered_at" TIMESTAMP NOT NULL,
    "received_at" TIMESTAMP NOT NULL,
    FOREIGN KEY ("survey_id") REFERENCES "survey" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("version_id") REFERENCES "survey_version" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "surveyconflict_response_id" ON "survey_conflict" ("response_id");
CREATE INDEX "surveyconflict_survey_id" ON "survey_conflict" ("survey_id");
CREATE INDEX "surveyconflict_version_id" ON "survey_conflict" ("version_id");
CREATE INDEX "surveyconflict_respondent_key" ON "survey_conflict" ("respondent_key");
CREATE TABLE "survey_invitation" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "survey_id" INTEGER NOT NULL,
    "respondent_key" VARCHAR(64) NOT NULL,
    "day" DATE NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "checkin_event_id" VARCHAR(32) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    FOREIGN KEY ("survey_id") REFERENCES "survey" ("id") ON DELETE CASCADE
);
CREATE INDEX "surveyinvitation_survey_id" ON "survey_invitation" ("survey_id");
CREATE UNIQUE INDEX "surveyinvitation_survey_id_respondent_key_day"
    ON "survey_invitation" ("survey_id", "respondent_key", "day");
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (18, "surveys", up)
