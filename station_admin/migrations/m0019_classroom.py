"""Migration 0019 (classroom): the station classroom's videos and their targets, riders' plays, and what
each kiosk holds.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "classroom_video" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "title_zh" VARCHAR(255) NOT NULL,
    "title_en" VARCHAR(255) NOT NULL,
    "caption_zh" VARCHAR(255) NOT NULL,
    "caption_en" VARCHAR(255) NOT NULL,
    "sha256" VARCHAR(64) NOT NULL,
    "size" INTEGER NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "poster_sha256" VARCHAR(64) NOT NULL,
    "poster_size" INTEGER NOT NULL,
    "poster_type" VARCHAR(255) NOT NULL,
    "district_id" INTEGER,
    "starts_on" DATE NOT NULL,
    "ends_on" DATE,
    "uploaded_by_id" INTEGER,
    "uploaded_at" DATETIME NOT NULL,
    "withdrawn_at" DATETIME,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("uploaded_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "classroomvideo_district_id" ON "classroom_video" ("district_id");
CREATE INDEX "classroomvideo_uploaded_by_id" ON "classroom_video" ("uploaded_by_id");
CREATE INDEX "classroomvideo_sha256" ON "classroom_video" ("sha256");
CREATE INDEX "classroomvideo_poster_sha256" ON "classroom_video" ("poster_sha256");
CREATE TABLE "classroom_target" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "video_id" INTEGER NOT NULL,
    "station_id" INTEGER NOT NULL,
    FOREIGN KEY ("video_id") REFERENCES "classroom_video" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("station_id") REFERENCES "station" ("id") ON DELETE CASCADE
);
CREATE INDEX "classroomtarget_video_id" ON "classroom_target" ("video_id");
CREATE INDEX "classroomtarget_station_id" ON "classroom_target" ("station_id");
CREATE UNIQUE INDEX "classroomtarget_video_id_station_id" ON "classroom_target" ("video_id", "station_id");
CREATE TABLE "classroom_play" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(32) NOT NULL,
    "video_id" INTEGER NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "occurred_at" DATETIME NOT NULL,
    "completed" INTEGER NOT NULL
);
CREATE UNIQUE INDEX "classroomplay_event_id" ON "classroom_play" ("event_id");
CREATE INDEX "classroomplay_station_code_occurred_at" ON "classroom_play" ("station_code", "occurred_at");
CREATE INDEX "classroomplay_video_id_occurred_at" ON "classroom_play" ("video_id", "occurred_at");
CREATE TABLE "classroom_holdings" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "device" VARCHAR(255) NOT NULL,
    "held" TEXT NOT NULL,
    "missing" TEXT NOT NULL,
    "cache_bytes" INTEGER NOT NULL,
    "reported_at" DATETIME NOT NULL,
    "received_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "classroomholdings_station_code_device" ON "classroom_holdings" ("station_code", "device");
"""

POSTGRESQL = """
CREATE TABLE "classroom_video" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "title_zh" VARCHAR(255) NOT NULL,
    "title_en" VARCHAR(255) NOT NULL,
    "caption_zh" VARCHAR(255) NOT NULL,
    "caption_en" VARCHAR(255) NOT NULL,
    "sha256" VARCHAR(64) NOT NULL,
    "size" BIGINT NOT NULL,
    "duration_ms" INTEGER NOT NULL,
    "width" INTEGER NOT NULL,
    "height" INTEGER NOT NULL,
    "poster_sha256" VARCHAR(64) NOT NULL,
    "poster_size" INTEGER NOT NULL,
    "poster_type" VARCHAR(255) NOT NULL,
    "district_id" INTEGER,
    "starts_on" DATE NOT NULL,
    "ends_on" DATE,
    "uploaded_by_id" INTEGER,
    "uploaded_at" TIMESTAMP NOT NULL,
    "withdrawn_at" TIMESTAMP,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("uploaded_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "classroomvideo_district_id" ON "classroom_video" ("district_id");
CREATE INDEX "classroomvideo_uploaded_by_id" ON "classroom_video" ("uploaded_by_id");
CREATE INDEX "classroomvideo_sha256" ON "classroom_video" ("sha256");
CREATE INDEX "classroomvideo_poster_sha256" ON "classroom_video" ("poster_sha256");
CREATE TABLE "classroom_target" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "video_id" INTEGER NOT NULL,
    "station_id" INTEGER NOT NULL,
    FOREIGN KEY ("video_id") REFERENCES "classroom_video" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("station_id") REFERENCES "station" ("id") ON DELETE CASCADE
);
CREATE INDEX "classroomtarget_video_id" ON "classroom_target" ("video_id");
CREATE INDEX "classroomtarget_station_id" ON "classroom_target" ("station_id");
CREATE UNIQUE INDEX "classroomtarget_video_id_station_id" ON "classroom_target" ("video_id", "station_id");
CREATE TABLE "classroom_play" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(32) NOT NULL,
    "video_id" INTEGER NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "occurred_at" TIMESTAMP NOT NULL,
    "completed" BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX "classroomplay_event_id" ON "classroom_play" ("event_id");
CREATE INDEX "classroomplay_station_code_occurred_at" ON "classroom_play" ("station_code", "occurred_at");
CREATE INDEX "classroomplay_video_id_occurred_at" ON "classroom_play" ("video_id", "occurred_at");
CREATE TABLE "classroom_holdings" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "station_code" VARCHAR(255) NOT NULL,
    "device" VARCHAR(255) NOT NULL,
    "held" TEXT NOT NULL,
    "missing" TEXT NOT NULL,
    "cache_bytes" BIGINT NOT NULL,
    "reported_at" TIMESTAMP NOT NULL,
    "received_at" TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX "classroomholdings_station_code_device" ON "classroom_holdings" ("station_code", "device");
"""


def up(database: peewee.Database) -> None:
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (19, "classroom", up)
