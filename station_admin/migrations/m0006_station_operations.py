"""Migration 0006: station operations."""

from __future__ import annotations

import peewee

from station_admin.live import alarms, charging, commands


def up(database: peewee.Database) -> None:
    database.create_tables([charging.ChargeSession, charging.ChargerSlotEvent, commands.Command, alarms.Alarm])


MIGRATION = (6, "station_operations", up)
