"""Migration 0001: initial."""

from __future__ import annotations

import peewee

from station_admin.core.models import MODELS


def up(database: peewee.Database) -> None:
    database.create_tables(MODELS)


MIGRATION = (1, "initial", up)
