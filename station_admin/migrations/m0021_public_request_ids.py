"""Migration 0021 (public request ids): a service request's public id for Open311, apart from its tracking code.

The tracking code is half of a rider's /m/track sign-in (with the phone's last four digits); the
anonymous Open311 listing names requests by this random public id instead. Existing requests get one
here.

Frozen once released: the SQL below was written from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
ALTER TABLE "service_request" ADD COLUMN "public_id" VARCHAR(16) NOT NULL DEFAULT '';
UPDATE "service_request" SET "public_id" = 'R' || upper(hex(randomblob(6)));
CREATE UNIQUE INDEX "servicerequest_public_id" ON "service_request" ("public_id");
"""

POSTGRESQL = """
ALTER TABLE "service_request" ADD COLUMN "public_id" VARCHAR(16) NOT NULL DEFAULT '';
UPDATE "service_request" SET "public_id" = 'R' || upper(substr(md5(random()::text || "id"::text), 1, 12));
ALTER TABLE "service_request" ALTER COLUMN "public_id" DROP DEFAULT;
CREATE UNIQUE INDEX "servicerequest_public_id" ON "service_request" ("public_id");
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (21, "public_request_ids", up)
