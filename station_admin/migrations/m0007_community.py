"""Migration 0007: community."""

from __future__ import annotations

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from station_admin.community import agenda, careday, opening
from station_admin.core.models import Station


def up(database: peewee.Database) -> None:
    """Vouchers, events, opening hours, mobile station locations; directory columns on station."""
    models = [agenda.ScheduledEvent, agenda.ScheduledEventStation, opening.OpeningInterval, opening.StationLocation]
    with database.bind_ctx([careday.Voucher, careday.VoucherPolicy, *models]):
        careday.create_tables(database)
        database.create_tables(models)
    # A database made by this version's first migration already has the columns.
    have = {c.name for c in database.get_columns("station")}
    migrator = SchemaMigrator.from_database(database)
    migrate(*[migrator.add_column("station", name, getattr(Station, name))
              for name in ("services", "always_open", "mobile") if name not in have])


MIGRATION = (7, "community", up)
