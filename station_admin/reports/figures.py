"""Report figures: the tables the report pages and their exports show, read from rollups and suppressed.

Each builder returns a `SuppressedTable`; the page, its chart and its CSV export all draw from that
one object, so what is hidden on screen is hidden in the file too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from station_admin.core.privacy import SuppressedTable, suppress
from station_admin.reports.scope import ReportScope
from station_admin.rollups.hourly import PeakHour, checkin_per_local_day, checkin_per_week_hour, rank_peaks

log = logging.getLogger(__name__)

WEEKDAYS = range(7)  # Monday = 0
HOURS = range(24)


@dataclass
class Group:
    """A column of a report: a station or a district, with its names."""

    code: str
    name_zh: str
    name_en: str

    def name(self, lang: str) -> str:
        return self.name_zh if lang == "zh" else self.name_en


def groups(scope: ReportScope) -> list[Group]:
    """The report's columns: the scope's stations or their districts, in a stable order."""
    if scope.by == "station":
        return [Group(s.code, s.name_zh, s.name_en) for s in scope.stations]
    seen: dict[str, Group] = {}
    for s in scope.stations:
        d = s.district
        seen.setdefault(d.code, Group(d.code, d.name_zh, d.name_en))
    return list(seen.values())


def bounds(scope: ReportScope) -> tuple[datetime, datetime]:
    """The scope's date range as UTC moments [start, end)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    start, end = scope.hours
    return epoch + timedelta(hours=start), epoch + timedelta(hours=end)


def group_of(scope: ReportScope) -> dict[str, str]:
    """Each station's column in the report: itself, or its district."""
    return {s.code: (s.code if scope.by == "station" else s.district.code) for s in scope.stations}


def daily_table(scope: ReportScope) -> tuple[SuppressedTable, list[Group]]:
    """Check-ins per local day (rows) and station or district (columns), with totals, suppressed."""
    cols = groups(scope)
    index = {g.code: j for j, g in enumerate(cols)}
    group_of = {s.code: (s.code if scope.by == "station" else s.district.code) for s in scope.stations}
    days = scope.days
    day_index = {d: i for i, d in enumerate(days)}
    cells = [[0] * len(cols) for _ in days]
    members: dict[str, list[str]] = {g.code: [] for g in cols}
    for code, group in group_of.items():
        members[group].append(code)
    if scope.codes:
        for (group, day), n in checkin_per_local_day(members, *scope.hours, scope.offset).items():
            if day in day_index:
                cells[day_index[day]][index[group]] += n
    return suppress([d.isoformat() for d in days], [g.code for g in cols], cells), cols


def heatmap(scope: ReportScope, top: int = 3) -> tuple[SuppressedTable, list[PeakHour]]:
    """Check-ins per local weekday (rows, Monday first) and hour (columns) over the scope, suppressed,
    and the busiest weekday-hours (each with at least MIN_RANKING check-ins): one query for both."""
    found = checkin_per_week_hour(scope.codes, *scope.hours, scope.offset) if scope.codes else {}
    cells = [[found.get((wd, h), 0) for h in HOURS] for wd in WEEKDAYS]
    return suppress([str(wd) for wd in WEEKDAYS], [f"{h:02d}" for h in HOURS], cells), rank_peaks(found, top)
