"""Station health at central: each kiosk's latest health report, its clock offset, and what is wrong with it.

The clock offset is the report's `ts` minus central's receive time (central's clock decides), as
for heartbeats: a positive offset is a kiosk clock ahead of central's. Alarms come from `conditions` (live.alarms).
"""

from __future__ import annotations

import re
from datetime import datetime

import peewee

import waystation
from devices.protocol import health as wire
from devices.protocol import utcnow
from station_admin.core.models import BaseModel
from waystation.db import UTCDateTimeField

MB = 1024 * 1024


class StationHealth(BaseModel):
    """A kiosk's latest health report as central received it."""

    station_code = peewee.CharField()
    device = peewee.CharField()
    reported_at = UTCDateTimeField()
    received_at = UTCDateTimeField()
    clock_offset_ms = peewee.BigIntegerField()
    version = peewee.CharField()
    uptime_s = peewee.BigIntegerField()
    disk_free_bytes = peewee.BigIntegerField()
    db_bytes = peewee.BigIntegerField()
    outbox_pending = peewee.IntegerField()
    outbox_oldest_age_s = peewee.BigIntegerField(null=True)
    last_sync = UTCDateTimeField(null=True)

    class Meta:
        table_name = "station_health"
        indexes = ((("station_code", "device"), True),)

    @property
    def clock_offset_s(self) -> float:
        """Seconds the kiosk's clock is ahead of central's (negative: behind)."""
        return self.clock_offset_ms / 1000

    @property
    def disk_free_mb(self) -> int:
        return self.disk_free_bytes // MB

    @property
    def db_mb(self) -> float:
        return round(self.db_bytes / MB, 1)

    @classmethod
    def of_stations(cls, codes: list[str]) -> dict[str, StationHealth]:
        """The newest kiosk report of each of these stations."""
        found: dict[str, StationHealth] = {}
        for row in cls.select().where(cls.station_code.in_(codes)).order_by(cls.received_at):
            found[row.station_code] = row
        return found


def on_health(message: wire.Health, received_at: datetime | None = None) -> None:
    """Store a kiosk's health report with its clock offset by central's receive time; an older one never wins."""
    now = received_at or utcnow()
    fields = {
        StationHealth.reported_at: message.ts, StationHealth.received_at: now,
        StationHealth.clock_offset_ms: round((message.ts - now).total_seconds() * 1000),
        StationHealth.version: message.version, StationHealth.uptime_s: message.uptime_s,
        StationHealth.disk_free_bytes: message.disk_free_bytes, StationHealth.db_bytes: message.db_bytes,
        StationHealth.outbox_pending: message.outbox_pending,
        StationHealth.outbox_oldest_age_s: message.outbox_oldest_age_s, StationHealth.last_sync: message.last_sync,
    }
    existing = StationHealth.get_or_none(StationHealth.station_code == message.station,
                                         StationHealth.device == message.device)
    if existing is None:
        StationHealth.insert({StationHealth.station_code: message.station, StationHealth.device: message.device,
                              **fields}).on_conflict_ignore().execute()
    elif existing.reported_at <= message.ts:
        StationHealth.update(fields).where(StationHealth.id == existing.id).execute()


def version_key(version: str) -> tuple[int, ...]:
    """A version's numeric parts for ordering (`0.10.1` after `0.9`); non-numbers count as 0."""
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.+_-]", version)[:4])


def conditions(now: datetime, settings) -> dict[tuple[str, str], tuple[str, dict]]:
    """Health alarms: (kind, station/device) -> (station, details), by the alarms settings.

    Each kind is one query returning only the reports that break a limit (versions are compared
    in Python, but only over the few distinct versions).
    """
    found: dict[tuple[str, str], tuple[str, dict]] = {}
    central_version = version_key(waystation.__version__)
    H = StationHealth
    low = H.select(H.station_code, H.device, H.disk_free_bytes).where(
        H.disk_free_bytes < settings.min_free_disk_mb * MB).tuples()
    for station, device, free in low:
        found[("disk_low", f"{station}/{device}")] = (station, {"free_mb": free // MB,
                                                               "min_mb": settings.min_free_disk_mb})
    limit_ms = settings.clock_offset_s * 1000
    off = H.select(H.station_code, H.device, H.clock_offset_ms).where(
        (H.clock_offset_ms > limit_ms) | (H.clock_offset_ms < -limit_ms)).tuples()
    for station, device, offset_ms in off:
        found[("clock_off", f"{station}/{device}")] = (station, {"offset_s": round(offset_ms / 1000, 1),
                                                                "max_s": settings.clock_offset_s})
    versions = [v for (v,) in H.select(H.version).distinct().tuples() if version_key(v) < central_version]
    if versions:
        for station, device, version in H.select(H.station_code, H.device, H.version).where(
                H.version.in_(versions)).tuples():
            found[("version_behind", f"{station}/{device}")] = (station, {"version": version,
                                                                         "central": waystation.__version__})
    # The report's age grows while the kiosk is silent, so judge it at central's now (only kiosks with
    # something waiting report an oldest age).
    aging = H.select(H.station_code, H.device, H.outbox_oldest_age_s, H.received_at, H.outbox_pending).where(
        H.outbox_oldest_age_s.is_null(False)).tuples()
    for station, device, age_s, received_at, pending in aging:
        age = age_s + max((now - received_at).total_seconds(), 0)
        if age > settings.outbox_age_s:
            found[("outbox_old", f"{station}/{device}")] = (station, {"age_s": int(age), "max_s": settings.outbox_age_s,
                                                                     "pending": pending})
    return found
