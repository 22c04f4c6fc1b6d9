"""The week rollup: check-ins per station per UTC week, the week's 168 UTC hours as columns.

A year-long heat-map reads one row per station-week instead of seven station-days. Weeks are whole
168-hour runs since 1970-01-01 00:00 UTC (a Thursday: week `w` is hours `168 w` .. `168 w + 167`,
i.e. `hour // 168`) and the columns `w000`..`w167` are the hours of that week. Because a week is a
whole number of days, column `c` falls on the same local weekday and hour in every week for any
whole-hour offset, so the local weekday x hour grid is a fixed regrouping of 168 column sums. Kept
next to the hourly and day rollups, in the same transaction; `rollups` reads whole weeks from here
and the days and hours at a range's edges from those.
"""

from __future__ import annotations

import logging
from collections import Counter

import peewee

from station_admin.core.models import BaseModel

log = logging.getLogger(__name__)

HOURS_PER_WEEK = 168
EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
WEEK_COLUMNS = tuple(f"w{h:03d}" for h in range(HOURS_PER_WEEK))
ROWS_PER_STATEMENT = 150  # 171 parameters a row: under SQLite's bound-parameter limit


class CheckInWeekly(BaseModel):
    """Check-ins per station per UTC week (`n`) and per hour of that week (`w000`..`w167`)."""

    station_code = peewee.CharField()
    week = peewee.IntegerField()  # whole 168-hour weeks since 1970-01-01 00:00 UTC (a Thursday)
    n = peewee.IntegerField()

    class Meta:
        table_name = "checkin_weekly"
        primary_key = peewee.CompositeKey("station_code", "week")

    @classmethod
    def add(cls, counts: Counter) -> None:
        """Add counts keyed by (station_code, hour number) to their week rows, in few upsert statements."""
        rows: dict[tuple[str, int], list[int]] = {}
        for (code, hour), n in counts.items():
            week, h = divmod(hour, HOURS_PER_WEEK)
            rows.setdefault((code, week), [0] * HOURS_PER_WEEK)[h] += n
        items = list(rows.items())
        for start in range(0, len(items), ROWS_PER_STATEMENT):
            _upsert(cls._meta.database, items[start:start + ROWS_PER_STATEMENT])

    @classmethod
    def rebuild(cls, daily_table: str = "checkin_daily") -> int:
        """Recount every week from the day rollup (migration, repair); returns the week rows."""
        database = cls._meta.database
        database = getattr(database, "obj", database)
        cls.delete().execute()
        day_of_week = "(day - day / 7 * 7)"  # not %: psycopg2 reads a bare % as a parameter
        columns = ", ".join(f"SUM(CASE WHEN {day_of_week} = {c // 24} THEN h{c % 24:02d} ELSE 0 END)"
                            for c in range(HOURS_PER_WEEK))
        database.execute_sql(
            f"INSERT INTO {cls._meta.table_name} (station_code, week, n, {', '.join(WEEK_COLUMNS)}) "
            f"SELECT station_code, day / 7, SUM(n), {columns} FROM {daily_table} WHERE day >= 0 "
            f"GROUP BY station_code, day / 7")
        return cls.select().count()

    @classmethod
    def per_week_hour(cls, codes: list[str], first: int, end: int, offset: int) -> Counter:
        """Check-ins per (local weekday Monday=0, local hour) in UTC weeks [first, end), these stations together."""
        sums = [peewee.fn.SUM(getattr(cls, column)) for column in WEEK_COLUMNS]
        query = cls.select(*sums).where(cls.station_code.in_(codes), cls.week >= first, cls.week < end).tuples()
        found: Counter = Counter()
        for column, n in enumerate(next(iter(query), ())):
            if n:
                days, local_hour = divmod(column + offset, 24)
                found[((EPOCH_WEEKDAY + days) % 7, local_hour)] += int(n)
        return found


for _column in WEEK_COLUMNS:
    CheckInWeekly._meta.add_field(_column, peewee.IntegerField(default=0))


def _upsert(database: peewee.Database, items: list[tuple[tuple[str, int], list[int]]]) -> None:
    """Add week rows (station, week, 168 hour counts) to the table: one statement, SQLite and PostgreSQL."""
    table = CheckInWeekly._meta.table_name
    marks = ", ".join([database.param] * (3 + HOURS_PER_WEEK))
    values = ", ".join([f"({marks})"] * len(items))
    params = [v for (code, week), hours in items for v in (code, week, sum(hours), *hours)]
    # Only the columns a batch touches are updated: an ingest batch is usually a few hours of one week.
    touched = [c for h, c in enumerate(WEEK_COLUMNS) if any(hours[h] for _, hours in items)]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in ("n", *touched))
    database.execute_sql(
        f"INSERT INTO {table} (station_code, week, n, {', '.join(WEEK_COLUMNS)}) VALUES {values} "
        f"ON CONFLICT (station_code, week) DO UPDATE SET {updates}", params)
