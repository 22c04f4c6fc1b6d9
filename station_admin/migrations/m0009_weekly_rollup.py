"""Migration 0009: weekly rollup."""

from __future__ import annotations

import peewee

from station_admin.rollups.weekly import CheckInWeekly


def up(database: peewee.Database) -> None:
    """The week rollup, filled from the day rollup already stored."""
    # SQLite: WITHOUT ROWID stores the rows in key order, so a station's weeks are read as one run.
    sqlite = isinstance(getattr(database, "obj", database), peewee.SqliteDatabase)
    with database.bind_ctx([CheckInWeekly]):
        CheckInWeekly._meta.without_rowid = sqlite
        try:
            database.create_tables([CheckInWeekly])
        finally:
            CheckInWeekly._meta.without_rowid = False
        CheckInWeekly.rebuild()


MIGRATION = (9, "weekly_rollup", up)
