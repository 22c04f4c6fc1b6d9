"""What central tells each station about community life: its voucher policy and its week of events.

Both are retained per station and follow the trust publisher's pattern (station_admin.node.trust): every
`community.publish_seconds` the database is read and whatever differs from what this connection
last sent is published; on every (re)connect everything is sent again. The events list is
recomputed each time, so it moves on by itself at local midnight.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from devices.protocol import schedule, utcnow, vouchers
from station_admin.community import agenda, careday, opening
from station_admin.core.models import Station
from station_admin.node.publishing import ChangePublisher

log = logging.getLogger(__name__)


def current_messages(settings, now: datetime) -> list:
    """Every station's voucher policy and schedule as they should be now."""
    community, timezone = settings.community, settings.central.timezone
    today = now.astimezone(ZoneInfo(timezone)).date()
    messages = []
    for station in Station.select().order_by(Station.code):
        care_day, quota = careday.station_policy(station, community)
        messages.append(vouchers.VoucherPolicy(station.code, care_day, quota, now))
        messages.append(schedule.Schedule(station.code, tuple(agenda.occurrences(station.code, today, timezone)),
                                          now))
    return messages


def _content(message) -> tuple:
    """What a message says, without its timestamp."""
    if isinstance(message, vouchers.VoucherPolicy):
        return message.care_day, message.quota
    return message.items


class CommunityPublisher(ChangePublisher):
    """Publishes voucher policies and event schedules on connect and whenever they change."""

    name = "voucher policy and schedule"

    def __init__(self, link, settings):
        super().__init__(link, settings.community.publish_seconds)
        self.settings = settings

    def messages(self) -> list:
        return current_messages(self.settings, utcnow())

    def content(self, message) -> tuple:
        return _content(message)


def _m0007_community(database: peewee.Database) -> None:
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


MIGRATION = (7, "community", _m0007_community)
