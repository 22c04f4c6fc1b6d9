"""Every numbered schema migration of the kiosk's database, in order.

A station's database upgrades in place when its kiosk starts (`waystation kiosk`) or with
`waystation migrate kiosk --station CODE`. Frozen once released: the SQL below was generated from the
models of its day and is never edited; a schema change is a new numbered migration. The kiosk's
database is always SQLite.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

# 1, initial: the station's own row, its charger slots, check-ins and the outbox.
INITIAL = """
CREATE TABLE "chargerslot" (
    "slot" INTEGER NOT NULL PRIMARY KEY,
    "status" VARCHAR(255) NOT NULL,
    "power_w" INTEGER NOT NULL,
    "energy_wh" INTEGER NOT NULL,
    "reported_at" DATETIME NOT NULL
);
CREATE TABLE "checkin" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(255) NOT NULL,
    "checked_in_at" DATETIME NOT NULL,
    "method" VARCHAR(255) NOT NULL,
    "member_no" VARCHAR(255)
);
CREATE UNIQUE INDEX "checkin_event_id" ON "checkin" ("event_id");
CREATE INDEX "checkin_checked_in_at" ON "checkin" ("checked_in_at");
CREATE TABLE "outboxevent" (
    "seq" INTEGER NOT NULL PRIMARY KEY,
    "event_id" VARCHAR(255) NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "occurred_at" DATETIME NOT NULL,
    "data" TEXT NOT NULL,
    "sent_at" DATETIME,
    "confirmed_at" DATETIME,
    "attempts" INTEGER NOT NULL
);
CREATE UNIQUE INDEX "outboxevent_event_id" ON "outboxevent" ("event_id");
CREATE INDEX "outboxevent_confirmed_at" ON "outboxevent" ("confirmed_at");
CREATE TABLE "stationinfo" (
    "station_id" VARCHAR(255) NOT NULL PRIMARY KEY,
    "name_zh" VARCHAR(255) NOT NULL,
    "name_en" VARCHAR(255) NOT NULL,
    "district_zh" VARCHAR(255) NOT NULL,
    "district_en" VARCHAR(255) NOT NULL,
    "capacity" INTEGER NOT NULL,
    "charger_slots" INTEGER NOT NULL,
    "configured_at" DATETIME,
    "people_inside" INTEGER,
    "occupancy_at" DATETIME
);
"""

# 2, membership: the keys that verify member cards, the revocation list, the join QR on the home screen.
MEMBERSHIP = """
CREATE TABLE "revocation" (
    "member_no" VARCHAR(255) NOT NULL PRIMARY KEY,
    "shard" VARCHAR(255) NOT NULL,
    "before" DATETIME
);
CREATE INDEX "revocation_shard" ON "revocation" ("shard");
CREATE TABLE "trustedkey" (
    "kid" VARCHAR(255) NOT NULL PRIMARY KEY,
    "public_key" VARCHAR(255) NOT NULL,
    "received_at" DATETIME NOT NULL
);
ALTER TABLE "stationinfo" ADD COLUMN "join_url" VARCHAR(255);
ALTER TABLE "stationinfo" ADD COLUMN "join_key" VARCHAR(255);
"""

# 3, station operations: charge starts asked of central, charge sessions, announcements.
STATION_OPERATIONS = """
CREATE TABLE "announcement" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "command_id" VARCHAR(32) NOT NULL,
    "text_zh" VARCHAR(300) NOT NULL,
    "text_en" VARCHAR(300) NOT NULL,
    "until" DATETIME NOT NULL,
    "received_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "announcement_command_id" ON "announcement" ("command_id");
CREATE INDEX "announcement_until" ON "announcement" ("until");
CREATE TABLE "charge_start" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "command_id" VARCHAR(32) NOT NULL,
    "slot" INTEGER NOT NULL,
    "member_no" VARCHAR(255) NOT NULL,
    "requested_at" DATETIME NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "reason" VARCHAR(255),
    "answered_at" DATETIME
);
CREATE UNIQUE INDEX "chargestart_command_id" ON "charge_start" ("command_id");
CREATE INDEX "chargestart_member_no" ON "charge_start" ("member_no");
CREATE TABLE "station_session" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "session_id" VARCHAR(32) NOT NULL,
    "slot" INTEGER NOT NULL,
    "member_no" VARCHAR(255),
    "started_at" DATETIME NOT NULL,
    "ended_at" DATETIME,
    "energy_wh" INTEGER NOT NULL,
    "power_w" INTEGER NOT NULL,
    "end_reason" VARCHAR(255),
    "reported_at" DATETIME NOT NULL
);
CREATE UNIQUE INDEX "stationsession_session_id" ON "station_session" ("session_id");
CREATE INDEX "stationsession_member_no" ON "station_session" ("member_no");
"""

# 4, community: the care-day policy, voucher claims, the station's schedule.
COMMUNITY = """
CREATE TABLE "carepolicy" (
    "station_id" VARCHAR(255) NOT NULL PRIMARY KEY,
    "care_day" INTEGER NOT NULL,
    "quota" INTEGER NOT NULL,
    "received_at" DATETIME NOT NULL
);
CREATE TABLE "scheduleitem" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "event_id" INTEGER NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "title_zh" VARCHAR(255) NOT NULL,
    "title_en" VARCHAR(255) NOT NULL,
    "starts" DATETIME NOT NULL,
    "ends" DATETIME NOT NULL
);
CREATE INDEX "scheduleitem_starts" ON "scheduleitem" ("starts");
CREATE TABLE "voucherclaim" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "voucher_no" VARCHAR(255) NOT NULL,
    "event_id" VARCHAR(255) NOT NULL,
    "member_no" VARCHAR(255) NOT NULL,
    "month" VARCHAR(255) NOT NULL,
    "claimed_at" DATETIME NOT NULL,
    "status" VARCHAR(255) NOT NULL,
    "reason" VARCHAR(255),
    "text" VARCHAR(255)
);
CREATE UNIQUE INDEX "voucherclaim_voucher_no" ON "voucherclaim" ("voucher_no");
CREATE UNIQUE INDEX "voucherclaim_event_id" ON "voucherclaim" ("event_id");
CREATE INDEX "voucherclaim_member_no" ON "voucherclaim" ("member_no");
"""

# 5, requests: the public tracking address and the districts a rider may choose.
REQUESTS = """
ALTER TABLE "stationinfo" ADD COLUMN "public_url" VARCHAR(255);
ALTER TABLE "stationinfo" ADD COLUMN "district_code" VARCHAR(255);
ALTER TABLE "stationinfo" ADD COLUMN "districts" TEXT NOT NULL DEFAULT '[]';
"""

# 6, surveys: the surveys central offers here and its invitations of members after check-in.
SURVEYS = """
CREATE TABLE "open_survey" (
    "survey_id" INTEGER NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "title_zh" VARCHAR(255) NOT NULL,
    "title_en" VARCHAR(255) NOT NULL,
    "ends" DATETIME NOT NULL,
    "anonymous" INTEGER NOT NULL,
    "questions" TEXT NOT NULL
);
CREATE TABLE "survey_invite" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "checkin_event_id" VARCHAR(255) NOT NULL,
    "member_no" VARCHAR(255) NOT NULL,
    "survey_id" INTEGER NOT NULL,
    "version" INTEGER NOT NULL,
    "link" VARCHAR(255),
    "received_at" DATETIME NOT NULL,
    "shown_on" DATE,
    "answered_at" DATETIME,
    "response_id" VARCHAR(255)
);
CREATE INDEX "surveyinvite_checkin_event_id" ON "survey_invite" ("checkin_event_id");
CREATE INDEX "surveyinvite_member_no" ON "survey_invite" ("member_no");
CREATE UNIQUE INDEX "surveyinvite_response_id" ON "survey_invite" ("response_id");
CREATE UNIQUE INDEX "surveyinvite_checkin_event_id_survey_id" ON "survey_invite" ("checkin_event_id", "survey_id");
"""

# 7, classroom: the classroom manifest central last sent (its files are in classroom.cache_dir).
CLASSROOM = """
CREATE TABLE "classroom_source" (
    "station_id" VARCHAR(255) NOT NULL PRIMARY KEY,
    "files_url" VARCHAR(255) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "received_at" DATETIME NOT NULL
);
CREATE TABLE "classroom_video" (
    "video_id" INTEGER NOT NULL PRIMARY KEY,
    "position" INTEGER NOT NULL,
    "title_zh" VARCHAR(255) NOT NULL,
    "title_en" VARCHAR(255) NOT NULL,
    "caption_zh" VARCHAR(255) NOT NULL,
    "caption_en" VARCHAR(255) NOT NULL,
    "video_sha256" VARCHAR(255) NOT NULL,
    "video_size" INTEGER NOT NULL,
    "poster_sha256" VARCHAR(255) NOT NULL,
    "poster_size" INTEGER NOT NULL,
    "listed_at" DATETIME NOT NULL
);
"""

# 8, personal data: outbox rows central confirmed before this release keep only what says nothing
# about a rider (kiosk.models.KEPT_WHEN_CONFIRMED of its day); later rows are erased as they are confirmed.
ERASE_CONFIRMED = """
UPDATE "outboxevent" SET "data" = json_object('method', json_extract("data", '$.method'))
 WHERE "confirmed_at" IS NOT NULL AND "kind" = 'checkin';
UPDATE "outboxevent" SET "data" = json_object('service', json_extract("data", '$.service'))
 WHERE "confirmed_at" IS NOT NULL AND "kind" = 'service_request';
UPDATE "outboxevent" SET "data" = CASE WHEN json_extract("data", '$.provisional') THEN '{"provisional": true}'
 ELSE '{}' END
 WHERE "confirmed_at" IS NOT NULL AND "kind" = 'voucher_claim';
UPDATE "outboxevent" SET "data" = json_remove("data", '$.member_no')
 WHERE "confirmed_at" IS NOT NULL AND "kind" = 'feedback';
UPDATE "outboxevent" SET "data" = '{}'
 WHERE "confirmed_at" IS NOT NULL AND "kind" NOT IN ('checkin', 'service_request', 'voucher_claim', 'feedback');
"""


def _step(script: str):
    def up(database: peewee.Database) -> None:
        run_sql(database, script)
    return up


MIGRATIONS = [(1, "initial", _step(INITIAL)), (2, "membership", _step(MEMBERSHIP)),
              (3, "station_operations", _step(STATION_OPERATIONS)), (4, "community", _step(COMMUNITY)),
              (5, "requests", _step(REQUESTS)), (6, "surveys", _step(SURVEYS)), (7, "classroom", _step(CLASSROOM)),
              (8, "personal_data", _step(ERASE_CONFIRMED))]
