"""Migration 0024 (change generations): what the retained-state publishers watch, counted by the database.

- `change_generation`: one row per watched table and a number that every insert, update or delete on
  that table raises, by trigger (SQLite: a row trigger per kind of change; PostgreSQL: one statement
  trigger per table, truncate included). The publishers of station configurations, voucher policies
  and schedules, surveys and classroom manifests read these few numbers each cycle and read their
  tables again only when one moved, so central at rest does no work in proportion to its stations,
  whichever process (web, import job, ingest, a hand-written SQL statement) made the change.

Frozen once released: the SQL below is never edited; a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

WATCHED = ("station", "district", "voucher_policy", "scheduled_event", "scheduled_event_station", "survey",
           "survey_version", "classroom_video", "classroom_target")

TABLE = """
CREATE TABLE "change_generation" (
    "watched" VARCHAR(255) NOT NULL PRIMARY KEY,
    "generation" {integer} NOT NULL
);
"""

ROWS = "".join(f"""INSERT INTO "change_generation" ("watched", "generation") VALUES ('{table}', 0);\n"""
               for table in WATCHED)

SQLITE = TABLE.format(integer="INTEGER") + ROWS + "".join(
    f"""CREATE TRIGGER "{table}_{kind.lower()}_generation" AFTER {kind} ON "{table}" BEGIN """
    f"""UPDATE "change_generation" SET "generation" = "generation" + 1 WHERE "watched" = '{table}'; END;\n"""
    for table in WATCHED for kind in ("INSERT", "UPDATE", "DELETE"))

POSTGRESQL = TABLE.format(integer="BIGINT") + ROWS + """
CREATE FUNCTION "raise_change_generation"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
    UPDATE "change_generation" SET "generation" = "generation" + 1
        WHERE "watched" = TG_TABLE_NAME; RETURN NULL; END $$;
""" + "".join(
    f"""CREATE TRIGGER "{table}_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}" """
    f"""FOR EACH STATEMENT EXECUTE FUNCTION "raise_change_generation"();\n"""
    for table in WATCHED)


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (24, "change_generations", up)
