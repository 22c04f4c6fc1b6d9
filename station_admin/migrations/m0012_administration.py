"""Migration 0012: administration in the product.

Frozen DDL, written out for SQLite and PostgreSQL (never today's models): a staff user's session
epoch (sign out everywhere), a station's closing time, an API token's last use and revocation, the
districts a legal-aid centre serves, and the station codes that send data although central does
not know them.
"""

from __future__ import annotations

import peewee

# (table, column, SQLite type, PostgreSQL type): nullable or with a default, so existing rows need no value.
COLUMNS = [
    ("staffuser", "session_epoch", "INTEGER NOT NULL DEFAULT 0", "INTEGER NOT NULL DEFAULT 0"),
    ("station", "closed_at", "DATETIME", "TIMESTAMP"),
    ("apitoken", "last_used_at", "DATETIME", "TIMESTAMP"),
    ("apitoken", "revoked_at", "DATETIME", "TIMESTAMP"),
]

TABLES = {
    "sqlite": [
        'CREATE TABLE IF NOT EXISTS "unknown_station" ("station_code" VARCHAR(255) NOT NULL PRIMARY KEY, '
        '"first_seen_at" DATETIME NOT NULL, "last_seen_at" DATETIME NOT NULL, "messages" INTEGER NOT NULL, '
        '"families" TEXT NOT NULL)',
        'CREATE TABLE IF NOT EXISTS "centre_district" ("id" INTEGER NOT NULL PRIMARY KEY, '
        '"centre_id" INTEGER NOT NULL, "district_id" INTEGER NOT NULL, '
        'FOREIGN KEY ("centre_id") REFERENCES "legal_aid_centre" ("id") ON DELETE CASCADE, '
        'FOREIGN KEY ("district_id") REFERENCES "district" ("id") ON DELETE CASCADE)',
    ],
    "postgres": [
        'CREATE TABLE IF NOT EXISTS "unknown_station" ("station_code" VARCHAR(255) NOT NULL PRIMARY KEY, '
        '"first_seen_at" TIMESTAMP NOT NULL, "last_seen_at" TIMESTAMP NOT NULL, "messages" INTEGER NOT NULL, '
        '"families" TEXT NOT NULL)',
        'CREATE TABLE IF NOT EXISTS "centre_district" ("id" SERIAL NOT NULL PRIMARY KEY, '
        '"centre_id" INTEGER NOT NULL, "district_id" INTEGER NOT NULL, '
        'FOREIGN KEY ("centre_id") REFERENCES "legal_aid_centre" ("id") ON DELETE CASCADE, '
        'FOREIGN KEY ("district_id") REFERENCES "district" ("id") ON DELETE CASCADE)',
    ],
}
INDEXES = [
    'CREATE INDEX IF NOT EXISTS "centredistrict_centre_id" ON "centre_district" ("centre_id")',
    'CREATE UNIQUE INDEX IF NOT EXISTS "centredistrict_district_id" ON "centre_district" ("district_id")',
]


def up(database: peewee.Database) -> None:
    """Add the columns and tables of staff-run administration."""
    engine = getattr(database, "obj", database)  # the models' DatabaseProxy, or a database
    kind = "postgres" if isinstance(engine, peewee.PostgresqlDatabase) else "sqlite"
    for table, column, sqlite_type, postgres_type in COLUMNS:
        # While the first migration still creates today's models, a fresh database has these columns.
        if column in {c.name for c in database.get_columns(table)}:
            continue
        database.execute_sql(f'ALTER TABLE "{table}" ADD COLUMN "{column}" '
                             f'{postgres_type if kind == "postgres" else sqlite_type}')
    for sql in [*TABLES[kind], *INDEXES]:
        database.execute_sql(sql)


MIGRATION = (12, "administration", up)
