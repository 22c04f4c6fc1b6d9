"""What a report covers: the filters a staff user asked for, checked against the stations they may see.

Dates are local dates in `central.timezone`, inclusive at both ends. Every bad input raises
`FilterError` with a message key, so the view answers 400 in the user's language, never 500.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from station_admin.core.models import District, StaffUser, Station
from station_admin.rollups.hourly import local_day_hours, utc_offset_hours

log = logging.getLogger(__name__)

GROUPINGS = ("district", "station")
# Group a report by station when it covers at most this many stations, else by district.
STATION_GROUPING_UP_TO = 12


class FilterError(ValueError):
    """A filter the user sent is not acceptable; `key` names the message to show."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass
class ReportScope:
    """The stations, local days and grouping one report covers, within the user's scope."""

    stations: list[Station]
    first: date
    last: date
    offset: int                  # local time = UTC + offset hours
    district: str = ""
    station: str = ""
    by: str = "district"
    kind: str = "checkin"
    districts: list[District] = field(default_factory=list)  # every district the user may see
    visible: list[Station] = field(default_factory=list)     # every station the user may see

    @property
    def codes(self) -> list[str]:
        return [s.code for s in self.stations]

    @property
    def hours(self) -> tuple[int, int]:
        """The UTC hour numbers [start, end) of the local days."""
        return local_day_hours(self.first, self.last, self.offset)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def query_args(self, **changes) -> dict[str, str]:
        """The filters as query-string arguments (for links, exports and the next page)."""
        args = {"district": self.district, "station": self.station, "from": self.first.isoformat(),
                "to": self.last.isoformat(), "by": self.by, "kind": self.kind}
        args.update(changes)
        return {k: v for k, v in args.items() if v}


def parse_date(text: str, name: str) -> date:
    """A YYYY-MM-DD local date; FilterError naming the field otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FilterError("admin.reports.bad_date", field=name, value=text[:40]) from None


def parse_scope(args, user: StaffUser, timezone: str, today: date, default_days: int, max_days: int,
                kinds: tuple[str, ...] = ("checkin",)) -> ReportScope:
    """The report scope the query-string `args` ask for, within what `user` may see."""
    visible = list(Station.visible_to(user))
    districts = list({s.district.code: s.district for s in visible}.values())
    last = parse_date(args["to"], "to") if args.get("to") else today
    first = parse_date(args["from"], "from") if args.get("from") else last - timedelta(days=default_days - 1)
    if first > last:
        raise FilterError("admin.reports.dates_reversed")
    if (last - first).days + 1 > max_days:
        raise FilterError("admin.reports.range_too_long", days=max_days)
    district = args.get("district", "").strip()
    station = args.get("station", "").strip()
    kind = args.get("kind", "").strip() or kinds[0]
    if kind not in kinds:
        raise FilterError("admin.reports.bad_kind", value=kind[:40])
    stations = visible
    if district:
        if district not in {d.code for d in districts}:
            raise FilterError("admin.reports.bad_district", value=district[:40])
        stations = [s for s in stations if s.district.code == district]
    if station:
        stations = [s for s in stations if s.code == station]
        if not stations:
            raise FilterError("admin.reports.bad_station", value=station[:40])
    by = args.get("by", "").strip()
    if by and by not in GROUPINGS:
        raise FilterError("admin.reports.bad_grouping", value=by[:40])
    if not by:
        by = "station" if district or station or len(stations) <= STATION_GROUPING_UP_TO else "district"
    return ReportScope(stations, first, last, utc_offset_hours(timezone), district, station, by, kind, districts,
                       visible)
