"""Migration 0004: reports."""

from __future__ import annotations

import peewee

from station_admin.core.models import CheckIn
from station_admin.rollups.hourly import CheckInHourly


def up(database: peewee.Database) -> None:
    """Hourly check-in rollup (filled from the check-ins already stored), export jobs, the usage-log index."""
    from station_admin.reports.exports import ExportJob

    with database.bind_ctx([CheckIn, CheckInHourly, ExportJob]):
        database.create_tables([CheckInHourly, ExportJob])
        # The usage log pages newest first across stations: (occurred_at, id) is its keyset order.
        database.execute_sql("CREATE INDEX checkin_occurred_at_id ON checkin (occurred_at, id)")
        CheckInHourly.rebuild()


MIGRATION = (4, "reports", up)
