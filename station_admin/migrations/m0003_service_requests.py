"""Migration 0003 (service_requests): service requests, case work, legal-aid centres and the working-day calendar.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from devices.protocol import utcnow
from station_admin.requests.workdays import BUNDLED_CALENDARS, parse_calendar
from waystation.db import run_sql

SQLITE = """
CREATE TABLE "legal_aid_centre" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "district_id" INTEGER NOT NULL,
    "name_zh" VARCHAR(255) NOT NULL,
    "name_en" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id")
);
CREATE INDEX "legalaidcentre_district_id" ON "legal_aid_centre" ("district_id");
CREATE TABLE "centre_member" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "centre_id" INTEGER NOT NULL,
    FOREIGN KEY ("user_id") REFERENCES "staffuser" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("centre_id") REFERENCES "legal_aid_centre" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "centremember_user_id" ON "centre_member" ("user_id");
CREATE INDEX "centremember_centre_id" ON "centre_member" ("centre_id");
CREATE TABLE "service_request" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "tracking_code" VARCHAR(12) NOT NULL,
    "event_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "district_id" INTEGER,
    "district_code" VARCHAR(255),
    "service" VARCHAR(255) NOT NULL,
    "answers" TEXT NOT NULL,
    "member_no" VARCHAR(255),
    "phone_encrypted" TEXT,
    "phone_hash" VARCHAR(255),
    "phone_last4" VARCHAR(255),
    "best_time" VARCHAR(255) NOT NULL,
    "filed_at" DATETIME NOT NULL,
    "centre_id" INTEGER,
    "due_at" DATETIME NOT NULL,
    "due_estimated" INTEGER NOT NULL,
    "first_contact_at" DATETIME,
    "status" VARCHAR(255) NOT NULL,
    "updated_at" DATETIME NOT NULL,
    "closed_at" DATETIME,
    "mediated" INTEGER,
    "amount_recovered_fen" INTEGER,
    "referred_to" VARCHAR(255),
    "satisfaction" INTEGER,
    "unresolved" INTEGER NOT NULL,
    "rating_open" INTEGER NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id"),
    FOREIGN KEY ("centre_id") REFERENCES "legal_aid_centre" ("id")
);
CREATE UNIQUE INDEX "servicerequest_tracking_code" ON "service_request" ("tracking_code");
CREATE UNIQUE INDEX "servicerequest_event_id" ON "service_request" ("event_id");
CREATE INDEX "servicerequest_station_code" ON "service_request" ("station_code");
CREATE INDEX "servicerequest_district_id" ON "service_request" ("district_id");
CREATE INDEX "servicerequest_phone_hash" ON "service_request" ("phone_hash");
CREATE INDEX "servicerequest_filed_at" ON "service_request" ("filed_at");
CREATE INDEX "servicerequest_centre_id" ON "service_request" ("centre_id");
CREATE INDEX "servicerequest_due_at" ON "service_request" ("due_at");
CREATE INDEX "servicerequest_status" ON "service_request" ("status");
CREATE TABLE "contact_attempt" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "request_id" INTEGER NOT NULL,
    "at" DATETIME NOT NULL,
    "actor_id" INTEGER,
    "outcome" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("request_id") REFERENCES "service_request" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("actor_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "contactattempt_request_id" ON "contact_attempt" ("request_id");
CREATE INDEX "contactattempt_actor_id" ON "contact_attempt" ("actor_id");
CREATE TABLE "follow_up" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "request_id" INTEGER NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "due_on" DATE NOT NULL,
    "done_at" DATETIME,
    "done_by_id" INTEGER,
    FOREIGN KEY ("request_id") REFERENCES "service_request" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("done_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "followup_request_id" ON "follow_up" ("request_id");
CREATE INDEX "followup_due_on" ON "follow_up" ("due_on");
CREATE INDEX "followup_done_by_id" ON "follow_up" ("done_by_id");
CREATE TABLE "status_change" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "request_id" INTEGER NOT NULL,
    "from_status" VARCHAR(255),
    "to_status" VARCHAR(255) NOT NULL,
    "actor_id" INTEGER,
    "actor_name" VARCHAR(255) NOT NULL,
    "at" DATETIME NOT NULL,
    "note" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("request_id") REFERENCES "service_request" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("actor_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "statuschange_request_id" ON "status_change" ("request_id");
CREATE INDEX "statuschange_actor_id" ON "status_change" ("actor_id");
CREATE TABLE "tracking_failure" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "scope" VARCHAR(255) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "at" DATETIME NOT NULL
);
CREATE INDEX "trackingfailure_scope_key_at" ON "tracking_failure" ("scope", "key", "at");
CREATE TABLE "workday_year" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "year" INTEGER NOT NULL,
    "source_name" VARCHAR(255) NOT NULL,
    "imported_at" DATETIME NOT NULL,
    "imported_by_id" INTEGER,
    "imported_by_name" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("imported_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE UNIQUE INDEX "workdayyear_year" ON "workday_year" ("year");
CREATE INDEX "workdayyear_imported_by_id" ON "workday_year" ("imported_by_id");
CREATE TABLE "workday_exception" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "year_id" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "working" INTEGER NOT NULL,
    "holiday" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("year_id") REFERENCES "workday_year" ("id") ON DELETE CASCADE
);
CREATE INDEX "workdayexception_year_id" ON "workday_exception" ("year_id");
CREATE UNIQUE INDEX "workdayexception_day" ON "workday_exception" ("day");
"""

POSTGRESQL = """
CREATE TABLE "legal_aid_centre" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "district_id" INTEGER NOT NULL,
    "name_zh" VARCHAR(255) NOT NULL,
    "name_en" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id")
);
CREATE INDEX "legalaidcentre_district_id" ON "legal_aid_centre" ("district_id");
CREATE TABLE "centre_member" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "user_id" INTEGER NOT NULL,
    "centre_id" INTEGER NOT NULL,
    FOREIGN KEY ("user_id") REFERENCES "staffuser" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("centre_id") REFERENCES "legal_aid_centre" ("id") ON DELETE CASCADE
);
CREATE UNIQUE INDEX "centremember_user_id" ON "centre_member" ("user_id");
CREATE INDEX "centremember_centre_id" ON "centre_member" ("centre_id");
CREATE TABLE "service_request" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "tracking_code" VARCHAR(12) NOT NULL,
    "event_id" VARCHAR(32) NOT NULL,
    "station_code" VARCHAR(255) NOT NULL,
    "district_id" INTEGER,
    "district_code" VARCHAR(255),
    "service" VARCHAR(255) NOT NULL,
    "answers" TEXT NOT NULL,
    "member_no" VARCHAR(255),
    "phone_encrypted" TEXT,
    "phone_hash" VARCHAR(255),
    "phone_last4" VARCHAR(255),
    "best_time" VARCHAR(255) NOT NULL,
    "filed_at" TIMESTAMP NOT NULL,
    "centre_id" INTEGER,
    "due_at" TIMESTAMP NOT NULL,
    "due_estimated" BOOLEAN NOT NULL,
    "first_contact_at" TIMESTAMP,
    "status" VARCHAR(255) NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "closed_at" TIMESTAMP,
    "mediated" BOOLEAN,
    "amount_recovered_fen" BIGINT,
    "referred_to" VARCHAR(255),
    "satisfaction" INTEGER,
    "unresolved" BOOLEAN NOT NULL,
    "rating_open" BOOLEAN NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id"),
    FOREIGN KEY ("centre_id") REFERENCES "legal_aid_centre" ("id")
);
CREATE UNIQUE INDEX "servicerequest_tracking_code" ON "service_request" ("tracking_code");
CREATE UNIQUE INDEX "servicerequest_event_id" ON "service_request" ("event_id");
CREATE INDEX "servicerequest_station_code" ON "service_request" ("station_code");
CREATE INDEX "servicerequest_district_id" ON "service_request" ("district_id");
CREATE INDEX "servicerequest_phone_hash" ON "service_request" ("phone_hash");
CREATE INDEX "servicerequest_filed_at" ON "service_request" ("filed_at");
CREATE INDEX "servicerequest_centre_id" ON "service_request" ("centre_id");
CREATE INDEX "servicerequest_due_at" ON "service_request" ("due_at");
CREATE INDEX "servicerequest_status" ON "service_request" ("status");
CREATE TABLE "contact_attempt" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "request_id" INTEGER NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "actor_id" INTEGER,
    "outcome" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("request_id") REFERENCES "service_request" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("actor_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "contactattempt_request_id" ON "contact_attempt" ("request_id");
CREATE INDEX "contactattempt_actor_id" ON "contact_attempt" ("actor_id");
CREATE TABLE "follow_up" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "request_id" INTEGER NOT NULL,
    "kind" VARCHAR(255) NOT NULL,
    "due_on" DATE NOT NULL,
    "done_at" TIMESTAMP,
    "done_by_id" INTEGER,
    FOREIGN KEY ("request_id") REFERENCES "service_request" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("done_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "followup_request_id" ON "follow_up" ("request_id");
CREATE INDEX "followup_due_on" ON "follow_up" ("due_on");
CREATE INDEX "followup_done_by_id" ON "follow_up" ("done_by_id");
CREATE TABLE "status_change" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "request_id" INTEGER NOT NULL,
    "from_status" VARCHAR(255),
    "to_status" VARCHAR(255) NOT NULL,
    "actor_id" INTEGER,
    "actor_name" VARCHAR(255) NOT NULL,
    "at" TIMESTAMP NOT NULL,
    "note" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("request_id") REFERENCES "service_request" ("id") ON DELETE CASCADE,
    FOREIGN KEY ("actor_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "statuschange_request_id" ON "status_change" ("request_id");
CREATE INDEX "statuschange_actor_id" ON "status_change" ("actor_id");
CREATE TABLE "tracking_failure" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "scope" VARCHAR(255) NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "at" TIMESTAMP NOT NULL
);
CREATE INDEX "trackingfailure_scope_key_at" ON "tracking_failure" ("scope", "key", "at");
CREATE TABLE "workday_year" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "year" INTEGER NOT NULL,
    "source_name" VARCHAR(255) NOT NULL,
    "imported_at" TIMESTAMP NOT NULL,
    "imported_by_id" INTEGER,
    "imported_by_name" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("imported_by_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE UNIQUE INDEX "workdayyear_year" ON "workday_year" ("year");
CREATE INDEX "workdayyear_imported_by_id" ON "workday_year" ("imported_by_id");
CREATE TABLE "workday_exception" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "year_id" INTEGER NOT NULL,
    "day" DATE NOT NULL,
    "working" BOOLEAN NOT NULL,
    "holiday" VARCHAR(255) NOT NULL,
    FOREIGN KEY ("year_id") REFERENCES "workday_year" ("id") ON DELETE CASCADE
);
CREATE INDEX "workdayexception_year_id" ON "workday_exception" ("year_id");
CREATE UNIQUE INDEX "workdayexception_day" ON "workday_exception" ("day");
"""


def load_bundled_calendars(database: peewee.Database) -> None:
    """Load the working-day calendars shipped in config/calendars/, so the first deadlines are exact.

    Data, not schema, but it stays here: every caller of the migrations (the commands, the tests, the
    benchmarks) then has the calendars without a second step, and a database is never half set up. The
    files are read with the calendar format's parser (the format belongs to the files, not to this
    version of the schema) and written with plain SQL naming only this migration's columns, so a later
    column on these tables cannot break it. A calendar shipped by a later release reaches an existing
    database by the calendar import page, or by a migration of its own.
    """
    mark = database.param
    imported_at = utcnow().replace(tzinfo=None).isoformat(" ", "microseconds")
    for path in sorted(BUNDLED_CALENDARS.glob("*.toml")):
        parsed = parse_calendar(path.read_bytes())
        database.execute_sql(
            "INSERT INTO workday_year (year, source_name, imported_at, imported_by_id, imported_by_name) "
            f"VALUES ({mark}, {mark}, {mark}, NULL, 'system')", [parsed.year, path.name[:200], imported_at])
        (year_id,) = database.execute_sql(f"SELECT id FROM workday_year WHERE year = {mark}", [parsed.year]).fetchone()
        days = [(day, False, name) for day, name in parsed.days_off.items()]
        days += [(day, True, name) for day, name in parsed.make_up_workdays.items()]
        for day, working, name in days:
            database.execute_sql("INSERT INTO workday_exception (year_id, day, working, holiday) "
                                 f"VALUES ({mark}, {mark}, {mark}, {mark})", [year_id, day.isoformat(), working, name])


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)
    load_bundled_calendars(database)


MIGRATION = (3, "service_requests", up)
