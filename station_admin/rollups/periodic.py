"""The day and week rollups: check-ins per station per UTC day or week, the period's UTC hours as columns.

Year-long reports read one row per station-day (`checkin_daily`, columns `h00`..`h23`) or per
station-week (`checkin_weekly`, columns `w000`..`w167`) instead of up to 24 or 168 hourly rows. Days
and weeks are whole runs of 24 and 168 hours since 1970-01-01 00:00 UTC (a Thursday: week `w` is
hours `168 w` .. `168 w + 167`, i.e. `hour // 168`), so neither table depends on the configured time
zone: because both periods are whole days, column `c` falls on the same local weekday and hour in
every period for any whole-hour offset, and a local day or weekday-hour is a fixed set of (period,
column) pairs, summed exactly. Both are kept next to the hourly rollup in the same transaction;
`rollups.hourly` reads whole weeks from the week rollup and the days and hours at a range's edges
from the day and hourly ones.

Both tables are one definition (`Period`: hours a row holds, column names, rows per statement, the
finer rollup it is rebuilt from) and one set of methods (`PeriodRollup`).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import peewee

from station_admin.core.models import BaseModel

log = logging.getLogger(__name__)

EPOCH_DAY = date(1970, 1, 1)
EPOCH_WEEKDAY = EPOCH_DAY.weekday()  # Thursday (Monday = 0)
HOURS_PER_WEEK = 168
# Most bound parameters in one statement (SQLite's limit is 32,766; psycopg2 has none of its own).
MAX_PARAMETERS = 30_000


@dataclass(frozen=True)
class Period:
    """The shape of one period rollup and of the finer rollup it is rebuilt from."""

    key: str  # the column numbering the periods since the epoch: "day", "week"
    hours: int  # UTC hours a row holds, a whole number of days dividing a week: 24, 168
    column_format: str  # the name of hour column c: "h{:02d}", "w{:03d}"
    rows_per_statement: int  # most rows in one upsert (fewer when their touched hours pass MAX_PARAMETERS)
    source_table: str  # the finer rollup `rebuild` recounts from
    source_key: str  # its period column ("hour", "day")
    source_hours: int  # the hours of one of its periods (1, 24)
    source_columns: tuple[str, ...]  # its count columns, one per hour of its period

    @property
    def columns(self) -> tuple[str, ...]:
        """The hour columns, in hour order."""
        return tuple(self.column_format.format(c) for c in range(self.hours))


DAY = Period("day", 24, "h{:02d}", 1000, "checkin_hourly", "hour", 1, ("n",))
WEEK = Period("week", HOURS_PER_WEEK, "w{:03d}", 1000, "checkin_daily", "day", 24, DAY.columns)


class PeriodRollup:
    """Check-ins per station per period (`n`) and per UTC hour of that period (one column an hour)."""

    period: Period

    @classmethod
    def add(cls, counts: Counter) -> None:
        """Add counts keyed by (station_code, hour number) to their period rows, in few upsert statements."""
        hours = cls.period.hours
        rows: dict[tuple[str, int], list[int]] = {}
        touched_hours: set[int] = set()
        for (code, hour), n in counts.items():
            number, h = divmod(hour, hours)
            rows.setdefault((code, number), [0] * hours)[h] += n
            if n:
                touched_hours.add(h)
        if not touched_hours:
            return
        items = list(rows.items())
        # The hour columns this batch counts into (an ingest batch usually spans an hour or two): only
        # these are sent, a row's other columns are a constant 0 in the statement.
        touched = sorted(touched_hours)
        step = min(cls.period.rows_per_statement, MAX_PARAMETERS // (3 + len(touched)))
        for start in range(0, len(items), step):
            cls._upsert(items[start:start + step], touched)

    @classmethod
    def _upsert(cls, items: list[tuple[tuple[str, int], list[int]]], touched: list[int]) -> None:
        """Add period rows (station, period, the counts of the `touched` hours): one statement, SQLite and
        PostgreSQL.

        The rows' values are a VALUES list of the touched hours alone, and the insert selects all the
        hour columns from it with 0 for the rest: a batch from 500 stations sends 500 x (3 + touched)
        values, not 500 x (3 + 168), which PostgreSQL took 65 ms a statement to parse.
        """
        database, period, table = cls._meta.database, cls.period, cls._meta.table_name
        columns = period.columns
        names = [f"t{h}" for h in touched]
        marks = ", ".join([database.param] * (3 + len(touched)))
        values = ", ".join([f"({marks})"] * len(items))
        params = [v for (code, number), hours in items
                  for v in (code, number, sum(hours), *(hours[h] for h in touched))]
        picked = dict(zip(touched, names, strict=True))
        selected = ", ".join(picked.get(h, "0") for h in range(period.hours))
        updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in ("n", *(columns[h] for h in touched)))
        # WHERE true: SQLite reads "ON CONFLICT" after a bare "SELECT ... FROM v" as part of a join.
        database.execute_sql(
            f"WITH v (code, number, n{''.join(', ' + n for n in names)}) AS (VALUES {values}) "
            f"INSERT INTO {table} (station_code, {period.key}, n, {', '.join(columns)}) "
            f"SELECT code, number, n, {selected} FROM v WHERE true "
            f"ON CONFLICT (station_code, {period.key}) DO UPDATE SET {updates}", params)

    @classmethod
    def rebuild(cls, source_table: str | None = None) -> int:
        """Recount every period from the finer rollup (migration, repair); returns the period rows."""
        database = cls._meta.database
        database = getattr(database, "obj", database)
        period = cls.period
        key, ratio = period.source_key, period.hours // period.source_hours
        cls.delete().execute()
        within = f"({key} - {key} / {ratio} * {ratio})"  # not %: psycopg2 reads a bare % as a parameter
        sums = ", ".join(
            f"SUM(CASE WHEN {within} = {c // period.source_hours} "
            f"THEN {period.source_columns[c % period.source_hours]} ELSE 0 END)" for c in range(period.hours))
        database.execute_sql(
            f"INSERT INTO {cls._meta.table_name} (station_code, {period.key}, n, {', '.join(period.columns)}) "
            f"SELECT station_code, {key} / {ratio}, SUM(n), {sums} FROM {source_table or period.source_table} "
            f"WHERE {key} >= 0 GROUP BY station_code, {key} / {ratio}")
        return cls.select().count()

    @classmethod
    def _in_periods(cls, query, codes: list[str], first: int, end: int):
        number = getattr(cls, cls.period.key)
        return query.where(cls.station_code.in_(codes), number >= first, number < end)

    @classmethod
    def total(cls, codes: list[str], first: int, end: int) -> int:
        """All check-ins of these stations in periods [first, end)."""
        query = cls.select(peewee.fn.COALESCE(peewee.fn.SUM(cls.n), 0))
        return int(cls._in_periods(query, codes, first, end).scalar())

    @classmethod
    def per_local_day(cls, groups: dict[str, list[str]], first: int, end: int, offset: int) -> Counter:
        """Check-ins per (group, local date) in periods [first, end), each group its stations together.

        Each period feeds the local days its hours fall on; the database sums each group's periods
        (one small query a group) so a year of 200 stations returns days, not 73,000 station-days.
        """
        database, period = cls._meta.database, cls.period
        shifts = _columns_by_shift(period.columns, offset)
        # The largest share of a period is its total less the others: fewer columns added per row.
        largest = max(shifts, key=lambda shift: len(shifts[shift]))
        sums = ", ".join(f"SUM(n - ({' + '.join(c for k, cs in shifts.items() if k != largest for c in cs)}))"
                         if shift == largest and len(shifts) > 1 else f"SUM({' + '.join(columns)})"
                         for shift, columns in shifts.items())
        days_per_period = period.hours // 24
        found: Counter = Counter()
        for key, codes in groups.items():
            if not codes:
                continue
            marks = ", ".join([database.param] * len(codes))
            cursor = database.execute_sql(
                f"SELECT {period.key}, {sums} FROM {cls._meta.table_name} WHERE station_code IN ({marks}) "
                f"AND {period.key} >= {database.param} AND {period.key} < {database.param} GROUP BY {period.key}",
                [*codes, first, end])
            for number, *parts in cursor.fetchall():
                for shift, part in zip(shifts, parts, strict=True):
                    if part:
                        found[(key, EPOCH_DAY + timedelta(days=number * days_per_period + shift))] += int(part)
        return found

    @classmethod
    def per_week_hour(cls, codes: list[str], first: int, end: int, offset: int) -> Counter:
        """Check-ins per (local weekday Monday=0, local hour) in periods [first, end), these stations together."""
        period = cls.period
        number = getattr(cls, period.key)
        per_week = HOURS_PER_WEEK // period.hours
        # The period's place in its epoch week (days since the epoch mod 7; always 0 for weeks), as integer division.
        place = (number - number / per_week * per_week).alias("place")
        sums = [peewee.fn.SUM(getattr(cls, column)) for column in period.columns]
        query = cls._in_periods(cls.select(place, *sums), codes, first, end).group_by(peewee.SQL("place")).tuples()
        found: Counter = Counter()
        for at, *hours in query:
            for h, n in enumerate(hours):
                if n:
                    days, local_hour = divmod(int(at) * period.hours + h + offset, 24)
                    found[((EPOCH_WEEKDAY + days) % 7, local_hour)] += int(n)
        return found


def _columns_by_shift(columns: tuple[str, ...], offset: int) -> dict[int, list[str]]:
    """Hour columns grouped by how many days after the period's first their local date is (offset in whole hours)."""
    shifts: dict[int, list[str]] = {}
    for h, column in enumerate(columns):
        shifts.setdefault((h + offset) // 24, []).append(column)
    return shifts


def period_rollup(name: str, table: str, period: Period, doc: str) -> type:
    """A rollup model of one period: station_code, the period number, the total n, one column an hour."""
    fields = {"station_code": peewee.CharField(), period.key: peewee.IntegerField(), "n": peewee.IntegerField()}
    fields.update({column: peewee.IntegerField(default=0) for column in period.columns})
    meta = type("Meta", (), {"table_name": table, "primary_key": peewee.CompositeKey("station_code", period.key)})
    return type(name, (PeriodRollup, BaseModel), {**fields, "Meta": meta, "period": period, "__doc__": doc,
                                                  "__module__": __name__})


CheckInDaily = period_rollup(
    "CheckInDaily", "checkin_daily", DAY,
    "Check-ins per station per UTC day (`n`; `day`: whole days since 1970-01-01) and per UTC hour of "
    "that day (`h00`..`h23`).")
CheckInWeekly = period_rollup(
    "CheckInWeekly", "checkin_weekly", WEEK,
    "Check-ins per station per UTC week (`n`; `week`: whole 168-hour weeks since 1970-01-01 00:00 UTC, "
    "a Thursday) and per hour of that week (`w000`..`w167`).")
