"""The station directory's facts: opening hours (several intervals a day, overnight, 24 hours),
services offered, and where a mobile station parks today (reported over MQTT)."""

from __future__ import annotations

import logging
from datetime import datetime

import peewee

from devices.protocol import location
from station_admin.core.models import BaseModel, Station
from waystation.db import UTCDateTimeField

log = logging.getLogger(__name__)

SERVICES = ("seat", "water", "microwave", "charging", "toilet", "first_aid", "legal_aid", "wifi")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class OpeningInterval(BaseModel):
    """One opening interval of a station on a weekday (Monday = 0), local time.

    `closes` may be "24:00"; a `closes` at or before `opens` runs past midnight into the next day
    (20:00–02:00).
    """

    station = peewee.ForeignKeyField(Station, backref="opening", on_delete="CASCADE")
    weekday = peewee.IntegerField()
    opens = peewee.CharField(max_length=5)
    closes = peewee.CharField(max_length=5)

    class Meta:
        table_name = "opening_interval"
        indexes = ((("station", "weekday"), False),)

    @property
    def overnight(self) -> bool:
        return _minutes(self.closes) <= _minutes(self.opens)

    @classmethod
    def by_station(cls, station_ids: list[int]) -> dict[int, list[OpeningInterval]]:
        """Every interval of these stations, by station id, in weekday and time order."""
        found: dict[int, list[OpeningInterval]] = {i: [] for i in station_ids}
        for row in cls.select().where(cls.station.in_(station_ids)).order_by(cls.weekday, cls.opens):
            found[row.station_id].append(row)
        return found


def is_open(always_open: bool, intervals: list[OpeningInterval], local: datetime) -> bool:
    """Whether a station with these intervals is open at a local moment."""
    if always_open:
        return True
    now = local.hour * 60 + local.minute
    yesterday = (local.weekday() - 1) % 7
    for interval in intervals:
        opens, closes = _minutes(interval.opens), _minutes(interval.closes)
        if interval.weekday == local.weekday():
            if interval.overnight and now >= opens:
                return True
            if not interval.overnight and opens <= now < closes:
                return True
        elif interval.weekday == yesterday and interval.overnight and now < closes:
            return True
    return False


def hours_today(intervals: list[OpeningInterval], weekday: int) -> list[str]:
    """Today's intervals as "08:00–20:00" texts."""
    return [f"{i.opens}–{i.closes}" for i in intervals if i.weekday == weekday]


def parse_interval(text: str) -> tuple[str, str] | None:
    """("HH:MM", "HH:MM") from "HH:MM-HH:MM" (closing may be 24:00), or None when malformed."""
    opens, sep, closes = text.strip().replace("–", "-").partition("-")
    for part in (opens, closes):
        if len(part) != 5 or part[2] != ":" or not (part[:2] + part[3:]).isdigit():
            return None
    if not (int(opens[:2]) < 24 and int(opens[3:]) < 60 and int(closes[3:]) < 60
            and (int(closes[:2]) < 24 or closes == "24:00")) or opens == closes:
        return None
    return opens, closes


def set_hours(station: Station, week: dict[int, list[tuple[str, str]]]) -> None:
    """Replace a station's opening hours (weekday → intervals)."""
    OpeningInterval.delete().where(OpeningInterval.station == station).execute()
    for weekday, intervals in week.items():
        for opens, closes in intervals:
            OpeningInterval.create(station=station, weekday=weekday, opens=opens, closes=closes)


class StationLocation(BaseModel):
    """Where a mobile station reported it stands (WGS84), and when."""

    station_code = peewee.CharField(primary_key=True)
    latitude = peewee.DoubleField()
    longitude = peewee.DoubleField()
    place = peewee.CharField(default="")
    reported_at = UTCDateTimeField()

    class Meta:
        table_name = "station_location"

    @classmethod
    def today(cls, codes: list[str], since: datetime) -> dict[str, StationLocation]:
        """The locations of these stations reported since `since` (local midnight): today's."""
        return {row.station_code: row for row in cls.select().where(cls.station_code.in_(codes),
                                                                    cls.reported_at >= since)}


def on_location(message: location.Location) -> None:
    """A mobile station's position; an older report never overwrites a newer one."""
    values = {"latitude": message.latitude, "longitude": message.longitude, "place": message.place,
              "reported_at": message.ts}
    (StationLocation.insert(station_code=message.station, **values)
     .on_conflict(conflict_target=[StationLocation.station_code],
                  update={getattr(StationLocation, k): v for k, v in values.items()},
                  where=(StationLocation.reported_at <= message.ts))
     .execute())


def local_midnight(local: datetime) -> datetime:
    """The start of a local moment's day."""
    return local.replace(hour=0, minute=0, second=0, microsecond=0)

