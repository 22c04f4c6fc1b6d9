"""Station events (a legal night clinic every Friday 19:00–21:00, a health-check day, a class): storing
them, expanding weekly recurrences, and warning when one falls in a station's measured peak hours."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import peewee

from devices.protocol import schedule
from station_admin.core.models import BaseModel, StaffUser, Station
from station_admin.rollups.hourly import CheckInHourly, local_day_hours, peak_hours, utc_offset_hours
from waystation.db import UTCDateTimeField

log = logging.getLogger(__name__)

KINDS = schedule.KINDS
# Days of check-in history the peak-hour warning looks at (ending yesterday).
PEAK_HISTORY_DAYS = 28
# Hours a suggested quieter slot may start in (the stations' daytime and evening).
SUGGEST_FROM, SUGGEST_UNTIL = 8, 22


class ScheduledEvent(BaseModel):
    """An event at one or more stations: once, or every week on the first date's weekday until `last_date`."""

    title_zh = peewee.CharField(max_length=60)
    title_en = peewee.CharField(max_length=60)
    kind = peewee.CharField()
    first_date = peewee.DateField()
    last_date = peewee.DateField()
    weekly = peewee.BooleanField(default=False)
    starts = peewee.CharField(max_length=5)  # local HH:MM
    ends = peewee.CharField(max_length=5)
    created_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField()
    cancelled_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "scheduled_event"

    def dates(self, first: date, last: date) -> list[date]:
        """The local dates this event happens on within first..last."""
        if not self.weekly:
            return [self.first_date] if first <= self.first_date <= last else []
        start = max(first, self.first_date)
        start += timedelta(days=(self.first_date.weekday() - start.weekday()) % 7)
        end = min(last, self.last_date)
        return [start + timedelta(weeks=n) for n in range(((end - start).days // 7 + 1) if start <= end else 0)]

    @classmethod
    def active_at(cls, station_codes: list[str], first: date, last: date):
        """Events not cancelled at any of these stations that may happen in first..last, with their stations."""
        return (cls.select().distinct().join(ScheduledEventStation).join(Station)
                .where(Station.code.in_(station_codes), cls.cancelled_at.is_null(),
                       cls.first_date <= last, cls.last_date >= first)
                .order_by(cls.first_date, cls.starts))

    @classmethod
    def visible_to(cls, user: StaffUser):
        """Events at the stations a staff user may see (admins: all), newest first."""
        codes = [s.code for s in Station.visible_to(user)]
        return (cls.select().distinct().join(ScheduledEventStation).join(Station)
                .where(Station.code.in_(codes), cls.cancelled_at.is_null())
                .order_by(cls.first_date.desc(), cls.id.desc()))

    @property
    def station_codes(self) -> list[str]:
        return [link.station.code for link in self.stations]


class ScheduledEventStation(BaseModel):
    """Which stations an event is at."""

    event = peewee.ForeignKeyField(ScheduledEvent, backref="stations", on_delete="CASCADE")
    station = peewee.ForeignKeyField(Station, on_delete="CASCADE")

    class Meta:
        table_name = "scheduled_event_station"
        indexes = ((("event", "station"), True),)


def parse_hhmm(text: str) -> time | None:
    """A local time of day from HH:MM (00:00–23:59), or None."""
    try:
        hours, minutes = text.strip().split(":")
        if len(hours) == 2 and len(minutes) == 2:
            return time(int(hours), int(minutes))
    except ValueError:
        pass
    return None


def _occurrences_of(event: ScheduledEvent, today: date, last: date, zone: ZoneInfo) -> list[schedule.Occurrence]:
    starts, ends = parse_hhmm(event.starts), parse_hhmm(event.ends)
    return [schedule.Occurrence(event.id, event.kind, {"zh": event.title_zh, "en": event.title_en},
                                datetime.combine(day, starts, zone).astimezone(ZoneInfo("UTC")),
                                datetime.combine(day, ends, zone).astimezone(ZoneInfo("UTC")))
            for day in event.dates(today, last)]


def _in_order(items: list[schedule.Occurrence]) -> list[schedule.Occurrence]:
    return sorted(items, key=lambda o: (o.start, o.event_id))[:schedule.MAX_ITEMS]


def occurrences(station_code: str, today: date, timezone: str, days: int = 7) -> list[schedule.Occurrence]:
    """The station's event occurrences from today to `days` days on, in time order (UTC times)."""
    zone, last = ZoneInfo(timezone), today + timedelta(days=days)
    return _in_order([o for event in ScheduledEvent.active_at([station_code], today, last)
                      for o in _occurrences_of(event, today, last, zone)])


def occurrences_by_station(today: date, timezone: str, days: int = 7) -> dict[str, list[schedule.Occurrence]]:
    """occurrences() of every station that has any, in one query (stations without events are left out)."""
    zone, last = ZoneInfo(timezone), today + timedelta(days=days)
    rows = (ScheduledEvent.select(ScheduledEvent, Station.code.alias("station_code"))
            .join(ScheduledEventStation).join(Station)
            .where(ScheduledEvent.cancelled_at.is_null(), ScheduledEvent.first_date <= last,
                   ScheduledEvent.last_date >= today))
    by_event: dict[int, list[schedule.Occurrence]] = {}
    found: dict[str, list[schedule.Occurrence]] = {}
    for event in rows.objects():
        if event.id not in by_event:
            by_event[event.id] = _occurrences_of(event, today, last, zone)
        found.setdefault(event.station_code, []).extend(by_event[event.id])
    return {code: _in_order(items) for code, items in found.items()}


def covered_hours(starts: time, ends: time) -> list[int]:
    """The local clock hours an event from `starts` to `ends` touches (19:00–21:00 → 19, 20)."""
    last = ends.hour if ends.minute else ends.hour - 1
    return list(range(starts.hour, last + 1))


@dataclass(frozen=True)
class PeakWarning:
    """An event that falls in peak hours: which (station, weekday, hour) peaks, and quieter start times."""

    peaks: list[tuple[str, int, int]]
    suggestions: list[tuple[int, str]]  # (weekday, "HH:MM")


def peak_warning(station_codes: list[str], weekdays: set[int], starts: time, ends: time, today: date,
                 timezone: str) -> PeakWarning | None:
    """Whether an event on these weekdays and hours hits any chosen station's measured peak hours."""
    first, last = today - timedelta(days=PEAK_HISTORY_DAYS), today - timedelta(days=1)
    hours = set(covered_hours(starts, ends))
    peaks_by_station = {code: {(p.weekday, p.hour) for p in peak_hours(code, first, last, timezone)}
                        for code in station_codes}
    hits = sorted({(code, wd, h) for code, peaks in peaks_by_station.items() for wd, h in peaks
                   if wd in weekdays and h in hours})
    if not hits:
        return None
    all_peaks = set().union(*peaks_by_station.values())
    offset = utc_offset_hours(timezone)
    cells = CheckInHourly.per_week_hour(station_codes, *local_day_hours(first, last, offset), offset)
    length = len(hours)
    suggestions = []
    for weekday in sorted(weekdays):
        options = []
        for hour in range(SUGGEST_FROM, SUGGEST_UNTIL - length + 1):
            span = range(hour, hour + length)
            if any((weekday, h) in all_peaks for h in span):
                continue
            options.append((sum(cells.get((weekday, h), 0) for h in span), hour))
        suggestions += [(weekday, f"{hour:02d}:{starts.minute:02d}") for _, hour in sorted(options)[:3]]
    return PeakWarning(hits, suggestions)


def create_event(user: StaffUser | None, stations: list[Station], now: datetime, **fields) -> ScheduledEvent:
    """Store an event at these stations (kiosks hear it within the publish interval)."""
    event = ScheduledEvent.create(created_by=user, created_at=now, **fields)
    for station in stations:
        ScheduledEventStation.create(event=event, station=station)
    log.info("event %s (%s) scheduled at %s", event.id, event.kind, ", ".join(s.code for s in stations))
    return event
