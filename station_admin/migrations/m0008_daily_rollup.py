"""Migration 0008: daily rollup."""

from __future__ import annotations

import peewee

from station_admin.rollups.daily import CheckInDaily


def up(database: peewee.Database) -> None:
    """The day rollup, filled from the hourly rollup already stored."""
    # SQLite: WITHOUT ROWID stores the rows in key order, so a station's days are read as one run.
    sqlite = isinstance(getattr(database, "obj", database), peewee.SqliteDatabase)
    with database.bind_ctx([CheckInDaily]):
        CheckInDaily._meta.without_rowid = sqlite
        try:
            database.create_tables([CheckInDaily])
        finally:
            CheckInDaily._meta.without_rowid = False
        CheckInDaily.rebuild()


MIGRATION = (8, "daily_rollup", up)
