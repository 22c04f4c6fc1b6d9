"""Migration 0005: membership."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from station_admin.core.models import Federation
from station_admin.members.models import CardKey, Member


def up(database: peewee.Database) -> None:
    database.create_tables([CardKey, Member])
    # A database made by this version's first migration already has the column.
    if "members_need_approval" not in {c.name for c in database.get_columns("federation")}:
        migrator = SchemaMigrator.from_database(database)
        migrate(migrator.add_column("federation", "members_need_approval", Federation.members_need_approval))


MIGRATION = (5, "membership", up)
