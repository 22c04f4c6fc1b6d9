"""Migration 0002 (audit_log): the audit log of staff actions.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "audit_entry" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "at" DATETIME NOT NULL,
    "actor_id" INTEGER,
    "actor_name" VARCHAR(255) NOT NULL,
    "action" VARCHAR(255) NOT NULL,
    "subject_kind" VARCHAR(255) NOT NULL,
    "subject_id" VARCHAR(255) NOT NULL,
    "detail" TEXT NOT NULL,
    "remote_addr" VARCHAR(255),
    FOREIGN KEY ("actor_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "auditentry_at" ON "audit_entry" ("at");
CREATE INDEX "auditentry_actor_id" ON "audit_entry" ("actor_id");
CREATE INDEX "auditentry_subject_kind_subject_id_at" ON "audit_entry" ("subject_kind", "subject_id", "at");
"""

POSTGRESQL = """
CREATE TABLE "audit_entry" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "at" TIMESTAMP NOT NULL,
    "actor_id" INTEGER,
    "actor_name" VARCHAR(255) NOT NULL,
    "action" VARCHAR(255) NOT NULL,
    "subject_kind" VARCHAR(255) NOT NULL,
    "subject_id" VARCHAR(255) NOT NULL,
    "detail" TEXT NOT NULL,
    "remote_addr" VARCHAR(255),
    FOREIGN KEY ("actor_id") REFERENCES "staffuser" ("id") ON DELETE SET NULL
);
CREATE INDEX "auditentry_at" ON "audit_entry" ("at");
CREATE INDEX "auditentry_actor_id" ON "audit_entry" ("actor_id");
CREATE INDEX "auditentry_subject_kind_subject_id_at" ON "audit_entry" ("subject_kind", "subject_id", "at");
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (2, "audit_log", up)
