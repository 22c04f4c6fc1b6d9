"""What central tells each station about community life: its voucher policy and its week of events.

Both are retained per station and follow the trust publisher's pattern (station_admin.trust): every
`community.publish_seconds` the database is read and whatever differs from what this connection
last sent is published; on every (re)connect everything is sent again. The events list is
recomputed each time, so it moves on by itself at local midnight.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from devices.protocol import schedule, utcnow, vouchers
from station_admin import agenda, careday, opening
from station_admin.models import Station, db

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


class CommunityPublisher:
    """Publishes voucher policies and event schedules on connect and whenever they change."""

    def __init__(self, link, settings):
        self.link = link
        self.settings = settings
        self.interval_s = settings.community.publish_seconds
        self._sent: dict[str, tuple] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        link.on_connect(self._on_connect)

    def _on_connect(self) -> None:
        self._sent = {}
        self._wake.set()

    def start(self) -> None:
        """Start the publishing loop (the link connects on its own)."""
        self._thread = threading.Thread(target=self._run, name="community-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the loop."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def publish_changes(self) -> int:
        """Publish what differs from what was last sent on this connection; returns how many messages."""
        with db.connection_context():
            messages = current_messages(self.settings, utcnow())
        sent = 0
        for message in messages:
            content = _content(message)
            if self._sent.get(message.topic) == content:
                continue
            self.link.publish(message)
            self._sent[message.topic] = content
            sent += 1
        if sent:
            log.info("published %d voucher policy and schedule messages", sent)
        return sent

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stop.is_set() or not self.link.connected.is_set():
                continue
            try:
                self.publish_changes()
            except Exception:
                log.exception("could not publish voucher policies and schedules; trying again")


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
