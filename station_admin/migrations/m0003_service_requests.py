"""Migration 0003: service requests."""

from __future__ import annotations

import peewee

from station_admin.requests.models import TABLES


def up(database: peewee.Database) -> None:
    from devices.protocol import utcnow
    from station_admin.requests import workdays

    database.create_tables([*workdays.TABLES, *TABLES])
    workdays.load_bundled_calendars(utcnow())


MIGRATION = (3, "service_requests", up)
