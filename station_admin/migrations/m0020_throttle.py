"""Migration 0020 (throttle): one table of counted events for every limited door.

Sign-in, tracking, joining, redeeming and pairing count their failures (and joins) in
`throttle_event` (station_admin.core.throttle); the tracking and pairing tables it replaces go.
Their rows are short-lived counts, not records, so none is carried over.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "throttle_event" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "action" VARCHAR(255) NOT NULL,
    "scope" VARCHAR(255) NOT NULL,
    "key" VARCHAR(64) NOT NULL,
    "at" DATETIME NOT NULL
);
CREATE INDEX "throttleevent_action_scope_key_at" ON "throttle_event" ("action", "scope", "key", "at");
DROP TABLE "tracking_failure";
DROP TABLE "pairing_attempt";
"""

POSTGRESQL = """
CREATE TABLE "throttle_event" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "action" VARCHAR(255) NOT NULL,
    "scope" VARCHAR(255) NOT NULL,
    "key" VARCHAR(64) NOT NULL,
    "at" TIMESTAMP NOT NULL
);
CREATE INDEX "throttleevent_action_scope_key_at" ON "throttle_event" ("action", "scope", "key", "at");
DROP TABLE "tracking_failure";
DROP TABLE "pairing_attempt";
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (20, "throttle", up)
