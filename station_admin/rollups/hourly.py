"""Rollups: small tables kept up to date as events are ingested, so reports never scan raw events.

A rollup family counts one kind of event per station per UTC hour. Hours are stored as whole hours
since 1970-01-01 00:00 UTC (an integer), so bucketing by local day, weekday and hour is integer
arithmetic that SQLite and PostgreSQL do alike and that an index on (station_code, hour) serves.

Local time is UTC plus a whole number of hours. That holds for Asia/Shanghai (UTC+8, no daylight
saving since 1991) and for every zone `utc_offset_hours` accepts; a zone with half-hour offsets or
daylight saving is refused at the first report instead of being bucketed wrongly.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import peewee

from station_admin.core.models import BaseModel, CheckIn
from station_admin.core.privacy import MIN_RANKING
from station_admin.rollups.periodic import CheckInDaily, CheckInWeekly

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_DAY = date(1970, 1, 1)
EPOCH_WEEKDAY = EPOCH_DAY.weekday()  # Thursday: weekday() of epoch day 0, Monday = 0


def hour_number(moment: datetime) -> int:
    """Whole hours since the epoch (UTC) of the hour a moment falls in."""
    return int((moment - EPOCH).total_seconds() // 3600)


def hour_start(number: int) -> datetime:
    """The UTC start of an hour number."""
    return EPOCH + timedelta(hours=number)


@cache
def utc_offset_hours(timezone: str) -> int:
    """The zone's fixed offset from UTC in whole hours; ValueError if it has DST or a partial-hour offset."""
    zone = ZoneInfo(timezone)
    offsets = {zone.utcoffset(datetime(year, month, 1)) for year in (2020, 2024, 2030) for month in (1, 4, 7, 10)}
    if len(offsets) != 1:
        raise ValueError(f"central.timezone {timezone!r} changes its UTC offset (daylight saving); "
                         "hourly rollups need a fixed whole-hour offset")
    (offset,) = offsets
    hours, rest = divmod(offset.total_seconds(), 3600)
    if rest:
        raise ValueError(f"central.timezone {timezone!r} is not a whole number of hours from UTC")
    return int(hours)


def local_day_hours(first: date, last: date, offset: int) -> tuple[int, int]:
    """The UTC hour numbers [start, end) that cover local days first..last inclusive."""
    start = (first - EPOCH_DAY).days * 24 - offset
    end = ((last - EPOCH_DAY).days + 1) * 24 - offset
    return start, end


class CheckInHourly(BaseModel):
    """Check-ins per station per UTC hour, written with the check-ins themselves."""

    station_code = peewee.CharField()
    hour = peewee.IntegerField()  # hours since 1970-01-01 00:00 UTC: the hour's start
    n = peewee.IntegerField()

    class Meta:
        table_name = "checkin_hourly"
        # The second index covers the report queries (no table lookups): half the time of the unique one.
        indexes = ((("station_code", "hour"), True), (("station_code", "hour", "n"), False))

    @property
    def hour_start(self) -> datetime:
        return hour_start(self.hour)

    @classmethod
    def add(cls, counts: Counter) -> None:
        """Add counts keyed by (station_code, hour) in one upsert statement."""
        upsert(cls._meta.database, cls._meta.table_name, counts)

    @classmethod
    def rebuild(cls) -> int:
        """Recount every hour from the raw check-ins (migration, repair); returns the rollup rows."""
        database = cls._meta.database
        database = getattr(database, "obj", database)  # the database behind the proxy
        cls.delete().execute()
        since = hour_start(0)
        # Whole-hour buckets of a text (SQLite) or timestamp (PostgreSQL) column, the same result on both.
        if isinstance(database, peewee.PostgresqlDatabase):
            bucket = "CAST(FLOOR(EXTRACT(EPOCH FROM occurred_at) / 3600) AS INTEGER)"
        else:
            bucket = "CAST(strftime('%s', substr(occurred_at, 1, 19)) AS INTEGER) / 3600"
        database.execute_sql(
            f"INSERT INTO {cls._meta.table_name} (station_code, hour, n) "
            f"SELECT station_code, {bucket}, COUNT(*) FROM {CheckIn._meta.table_name} "
            f"WHERE occurred_at >= {database.param} GROUP BY station_code, {bucket}",
            [CheckIn.occurred_at.db_value(since)])
        return cls.select().count()

    @classmethod
    def in_hours(cls, codes: list[str], start: int, end: int):
        """The rollup rows of these stations in hours [start, end)."""
        return cls.select().where(cls.station_code.in_(codes), cls.hour >= start, cls.hour < end)

    @classmethod
    def total(cls, codes: list[str], start: int, end: int) -> int:
        """All check-ins of these stations in hours [start, end)."""
        return int(cls.in_hours(codes, start, end).select(peewee.fn.COALESCE(peewee.fn.SUM(cls.n), 0)).scalar())

    @classmethod
    def per_local_day(cls, codes: list[str], start: int, end: int, offset: int) -> dict[tuple[str, date], int]:
        """Check-ins per (station, local date) in hours [start, end)."""
        day = ((cls.hour + offset) / 24).alias("day")
        query = (cls.select(cls.station_code, day, peewee.fn.SUM(cls.n).alias("total"))
                 .where(cls.station_code.in_(codes), cls.hour >= start, cls.hour < end)
                 .group_by(cls.station_code, peewee.SQL("day")).tuples())
        return {(code, EPOCH_DAY + timedelta(days=int(d))): int(total) for code, d, total in query}

    @classmethod
    def per_week_hour(cls, codes: list[str], start: int, end: int, offset: int) -> dict[tuple[int, int], int]:
        """Check-ins per (local weekday Monday=0, local hour) in hours [start, end), all these stations together."""
        # Hour of the week counted from the epoch's weekday; the rest is done in Python on 168 rows.
        local = cls.hour + offset
        # x mod 168 as integer division: peewee's % means LIKE, and psycopg2 would read a bare % as a parameter.
        week_hour = (local - local / 168 * 168).alias("wh")
        query = (cls.select(week_hour, peewee.fn.SUM(cls.n))
                 .where(cls.station_code.in_(codes), cls.hour >= start, cls.hour < end)
                 .group_by(peewee.SQL("wh")).tuples())
        cells: dict[tuple[int, int], int] = {}
        for wh, total in query:
            days, hour = divmod(int(wh), 24)
            cells[((EPOCH_WEEKDAY + days) % 7, hour)] = int(total)
        return cells


def upsert(database: peewee.Database, table: str, counts: Counter) -> None:
    """Add counts keyed by (station_code, hour) to a rollup table: one statement, SQLite and PostgreSQL."""
    if not counts:
        return
    rows = ", ".join([f"({database.param}, {database.param}, {database.param})"] * len(counts))
    params = [value for (code, hour), n in counts.items() for value in (code, hour, n)]
    database.execute_sql(
        f"INSERT INTO {table} (station_code, hour, n) VALUES {rows} "
        f"ON CONFLICT (station_code, hour) DO UPDATE SET n = {table}.n + excluded.n", params)


@dataclass(frozen=True)
class RollupFamily:
    """One kind of event counted per station per hour, per day (24 hour columns) and per week (168)."""

    kind: str
    model: type[CheckInHourly]
    daily: type[CheckInDaily]
    weekly: type[CheckInWeekly]


ROLLUPS: dict[str, RollupFamily] = {"checkin": RollupFamily("checkin", CheckInHourly, CheckInDaily, CheckInWeekly)}


def count_hours(rows: Iterable[tuple[str, datetime]]) -> Counter:
    """Counts per (station_code, hour number) of (station_code, moment) pairs."""
    return Counter((code, hour_number(moment)) for code, moment in rows)


def record(kind: str, rows: Iterable[tuple[str, datetime]]) -> None:
    """Count new events of one kind into its rollups (call inside the transaction that stores them)."""
    add_counts(kind, count_hours(rows))


def add_counts(kind: str, counts: Counter) -> None:
    """Add counts per (station, UTC hour number) to every rollup of one kind (hour, day and week)."""
    if counts:
        family = ROLLUPS[kind]
        family.model.add(counts)
        family.daily.add(counts)
        family.weekly.add(counts)


def split_hours(start: int, end: int) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """Hours [start, end) as the partial-day edges the hourly rollup answers and the whole UTC days
    [first, end) the day rollup answers; together exactly the range, each hour once."""
    first_day, end_day = -(-start // 24), end // 24
    if first_day >= end_day:
        return [(start, end)], (0, 0)
    edges = [(s, e) for s, e in ((start, first_day * 24), (end_day * 24, end)) if s < e]
    return edges, (first_day, end_day)


def split_days(first: int, end: int) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """UTC days [first, end) as the partial-week edges the day rollup answers and the whole UTC weeks
    [first, end) the week rollup answers (week w is days 7w..7w+6); together each day once."""
    first_week, end_week = -(-first // 7), end // 7
    if first_week >= end_week:
        return ([(first, end)] if first < end else []), (0, 0)
    edges = [(s, e) for s, e in ((first, first_week * 7), (end_week * 7, end)) if s < e]
    return edges, (first_week, end_week)


def checkin_total(codes: list[str], start: int, end: int) -> int:
    """All check-ins of these stations in UTC hours [start, end), from the rollups."""
    edges, days = split_hours(start, end)
    total = sum(CheckInHourly.total(codes, s, e) for s, e in edges)
    return total + (CheckInDaily.total(codes, *days) if days[0] < days[1] else 0)


def checkin_per_local_day(groups: dict[str, list[str]], start: int, end: int,
                          offset: int) -> dict[tuple[str, date], int]:
    """Check-ins per (group, local date) in UTC hours [start, end), from the rollups; a group is a
    list of stations counted together (a district's), or one station."""
    edges, days = split_hours(start, end)
    found = CheckInDaily.per_local_day(groups, *days, offset) if days[0] < days[1] else Counter()
    group_of = {code: key for key, codes in groups.items() for code in codes}
    for s, e in edges:
        for (code, day), n in CheckInHourly.per_local_day(list(group_of), s, e, offset).items():
            found[(group_of[code], day)] += n
    return dict(found)


def checkin_per_week_hour(codes: list[str], start: int, end: int, offset: int) -> dict[tuple[int, int], int]:
    """Check-ins per (local weekday Monday=0, local hour) in UTC hours [start, end), from the rollups."""
    edges, days = split_hours(start, end)
    day_edges, weeks = split_days(*days)
    found = CheckInWeekly.per_week_hour(codes, *weeks, offset) if weeks[0] < weeks[1] else Counter()
    for s, e in day_edges:
        found.update(CheckInDaily.per_week_hour(codes, s, e, offset))
    for s, e in edges:
        found.update(CheckInHourly.per_week_hour(codes, s, e, offset))
    return dict(found)


@dataclass(frozen=True)
class PeakHour:
    """A local weekday and hour when a station (or district) is busiest, with its check-ins."""

    weekday: int  # Monday = 0
    hour: int
    check_ins: int


def peak_hours(station_codes: str | list[str], first: date, last: date, timezone: str,
               top: int = 3) -> list[PeakHour]:
    """The busiest local weekday-hours over local days first..last (e.g. to warn when an event falls in one).

    A ranking needs at least `privacy.MIN_RANKING` check-ins in a weekday-hour: fewer ranks no one.
    """
    codes = [station_codes] if isinstance(station_codes, str) else list(station_codes)
    offset = utc_offset_hours(timezone)
    return peak_hours_in(codes, *local_day_hours(first, last, offset), offset, top)


def peak_hours_in(codes: list[str], start: int, end: int, offset: int, top: int = 3) -> list[PeakHour]:
    """The busiest weekday-hours of these stations in UTC hours [start, end), each with MIN_RANKING cases."""
    return rank_peaks(checkin_per_week_hour(codes, start, end, offset), top)


def rank_peaks(cells: dict[tuple[int, int], int], top: int = 3) -> list[PeakHour]:
    """The busiest of counted weekday-hours, each with at least MIN_RANKING cases, busiest first."""
    ranked = sorted(((n, wd, h) for (wd, h), n in cells.items() if n >= MIN_RANKING),
                    key=lambda c: (-c[0], c[1], c[2]))
    return [PeakHour(wd, h, n) for n, wd, h in ranked[:top]]
