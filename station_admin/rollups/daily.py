"""The day rollup: check-ins per station per UTC day, the day's 24 UTC hours as columns.

Year-long reports read one row per station-day instead of up to 24 hourly rows. Days are whole UTC
days since 1970-01-01 and the columns `h00`..`h23` are UTC hours, so the table does not depend on the
configured time zone: a local day or a local weekday-hour is a fixed set of (day, column) pairs for
any whole-hour offset, summed exactly. `rollups` keeps it next to the hourly rollup, in the same
transaction, and reads whole UTC days from here and the partial days at a range's edges from there.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import date, timedelta

import peewee

from station_admin.core.models import BaseModel

log = logging.getLogger(__name__)

EPOCH_DAY = date(1970, 1, 1)
EPOCH_WEEKDAY = EPOCH_DAY.weekday()  # Thursday
HOUR_COLUMNS = tuple(f"h{h:02d}" for h in range(24))
ROWS_PER_STATEMENT = 1000  # 27 parameters a row: under SQLite's bound-parameter limit


class CheckInDaily(BaseModel):
    """Check-ins per station per UTC day (`n`) and per UTC hour of that day (`h00`..`h23`)."""

    station_code = peewee.CharField()
    day = peewee.IntegerField()  # whole days since 1970-01-01 (UTC)
    n = peewee.IntegerField()

    class Meta:
        table_name = "checkin_daily"
        primary_key = peewee.CompositeKey("station_code", "day")

    @classmethod
    def add(cls, counts: Counter) -> None:
        """Add counts keyed by (station_code, hour number) to their day rows, in few upsert statements."""
        rows: dict[tuple[str, int], list[int]] = {}
        for (code, hour), n in counts.items():
            day, h = divmod(hour, 24)
            rows.setdefault((code, day), [0] * 24)[h] += n
        items = list(rows.items())
        for start in range(0, len(items), ROWS_PER_STATEMENT):
            _upsert(cls._meta.database, items[start:start + ROWS_PER_STATEMENT])

    @classmethod
    def rebuild(cls, hourly_table: str = "checkin_hourly") -> int:
        """Recount every day from the hourly rollup (migration, repair); returns the day rows."""
        database = cls._meta.database
        database = getattr(database, "obj", database)
        cls.delete().execute()
        hour_of_day = "(hour - hour / 24 * 24)"  # not %: psycopg2 reads a bare % as a parameter
        columns = ", ".join(f"SUM(CASE WHEN {hour_of_day} = {h} THEN n ELSE 0 END)" for h in range(24))
        database.execute_sql(
            f"INSERT INTO {cls._meta.table_name} (station_code, day, n, {', '.join(HOUR_COLUMNS)}) "
            f"SELECT station_code, hour / 24, SUM(n), {columns} FROM {hourly_table} WHERE hour >= 0 "
            f"GROUP BY station_code, hour / 24")
        return cls.select().count()

    @classmethod
    def _in_days(cls, query, codes: list[str], first: int, end: int):
        return query.where(cls.station_code.in_(codes), cls.day >= first, cls.day < end)

    @classmethod
    def total(cls, codes: list[str], first: int, end: int) -> int:
        """All check-ins of these stations on UTC days [first, end)."""
        query = cls.select(peewee.fn.COALESCE(peewee.fn.SUM(cls.n), 0))
        return int(cls._in_days(query, codes, first, end).scalar())

    @classmethod
    def per_local_day(cls, groups: dict[str, list[str]], first: int, end: int, offset: int) -> Counter:
        """Check-ins per (group, local date) on UTC days [first, end), each group its stations together.

        Each UTC day feeds up to two local days; the database sums each group's days (one small query
        a group) so a year of 200 stations returns days, not 73,000 station-days.
        """
        database = cls._meta.database
        shifts = _columns_by_shift(offset)
        # The largest share of a day is its total less the others: fewer columns added per row.
        largest = max(shifts, key=lambda shift: len(shifts[shift]))
        sums = ", ".join(f"SUM(n - ({' + '.join(c for k, cs in shifts.items() if k != largest for c in cs)}))"
                         if shift == largest and len(shifts) > 1 else f"SUM({' + '.join(columns)})"
                         for shift, columns in shifts.items())
        found: Counter = Counter()
        for key, codes in groups.items():
            if not codes:
                continue
            marks = ", ".join([database.param] * len(codes))
            cursor = database.execute_sql(
                f"SELECT day, {sums} FROM {cls._meta.table_name} WHERE station_code IN ({marks}) "
                f"AND day >= {database.param} AND day < {database.param} GROUP BY day", [*codes, first, end])
            for day, *parts in cursor.fetchall():
                for shift, part in zip(shifts, parts, strict=True):
                    if part:
                        found[(key, EPOCH_DAY + timedelta(days=day + shift))] += int(part)
        return found

    @classmethod
    def per_week_hour(cls, codes: list[str], first: int, end: int, offset: int) -> Counter:
        """Check-ins per (local weekday Monday=0, local hour) on UTC days [first, end), these stations together."""
        weekday = (cls.day - cls.day / 7 * 7).alias("dw")  # days since the epoch mod 7, as integer division
        sums = [peewee.fn.SUM(getattr(cls, column)) for column in HOUR_COLUMNS]
        query = cls._in_days(cls.select(weekday, *sums), codes, first, end).group_by(peewee.SQL("dw")).tuples()
        found: Counter = Counter()
        for dw, *hours in query:
            for h, n in enumerate(hours):
                if n:
                    shift, local_hour = divmod(h + offset, 24)
                    found[((EPOCH_WEEKDAY + int(dw) + shift) % 7, local_hour)] += int(n)
        return found


for _column in HOUR_COLUMNS:
    CheckInDaily._meta.add_field(_column, peewee.IntegerField(default=0))


def _columns_by_shift(offset: int) -> dict[int, list[str]]:
    """The UTC hour columns grouped by how many days later their local date is (offset in whole hours)."""
    shifts: dict[int, list[str]] = {}
    for h, column in enumerate(HOUR_COLUMNS):
        shifts.setdefault((h + offset) // 24, []).append(column)
    return shifts


def _upsert(database: peewee.Database, items: list[tuple[tuple[str, int], list[int]]]) -> None:
    """Add day rows (station, day, 24 hour counts) to the table: one statement, SQLite and PostgreSQL."""
    table = CheckInDaily._meta.table_name
    marks = ", ".join([database.param] * 27)
    values = ", ".join([f"({marks})"] * len(items))
    params = [v for (code, day), hours in items for v in (code, day, sum(hours), *hours)]
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in ("n", *HOUR_COLUMNS))
    database.execute_sql(
        f"INSERT INTO {table} (station_code, day, n, {', '.join(HOUR_COLUMNS)}) VALUES {values} "
        f"ON CONFLICT (station_code, day) DO UPDATE SET {updates}", params)
