"""The usage log: every event of each kind, newest first, one keyset page at a time.

Each kind of event (check-ins and charge sessions today; requests, vouchers and feedback as their
features arrive) registers a `UsageKind`: how to read a page of it and which columns it has. Pages
are keyset pages (older than the last row shown), so page 10,000 costs what page 1 costs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from station_admin.charging import ChargeSession
from station_admin.models import CheckIn
from station_admin.rollups import checkin_total, hour_start
from station_admin.scope import FilterError, ReportScope

log = logging.getLogger(__name__)

# Columns that identify a person: shown to admins and station managers, never to federation users.
PERSONAL_COLUMNS = frozenset({"member_no"})


@dataclass
class UsageRow:
    """One event in the usage log."""

    kind: str
    id: int
    event_id: str
    station_code: str
    occurred_at: datetime
    details: dict[str, str | None] = field(default_factory=dict)

    @property
    def cursor(self) -> str:
        """The keyset position of this row, for the next page's `before`."""
        return encode_cursor(self.occurred_at, self.id)


@dataclass(frozen=True)
class UsageKind:
    """A kind of event in the usage log: its label, its own columns, a page reader and a total."""

    name: str
    columns: tuple[str, ...]
    page: Callable[[list[str], datetime, datetime, tuple[datetime, int] | None, int], list[UsageRow]]
    total: Callable[[list[str], int, int], int]

    def columns_for(self, role: str) -> tuple[str, ...]:
        """The kind's columns this role may see."""
        return self.columns if role != "federation" else tuple(c for c in self.columns if c not in PERSONAL_COLUMNS)


def _check_in_page(codes, start, end, before, limit) -> list[UsageRow]:
    return [UsageRow("checkin", c.id, c.event_id, c.station_code, c.occurred_at,
                     {"method": c.method, "member_no": c.member_no})
            for c in CheckIn.newest_first(codes, start, end, before, limit)]


def _charge_page(codes, start, end, before, limit) -> list[UsageRow]:
    return [UsageRow("charge", s.id, s.session_id, s.station_code, s.started_at,
                     {"slot": str(s.slot), "member_no": s.member_no, "energy_wh": str(s.energy_wh),
                      "end_reason": s.end_reason})
            for s in ChargeSession.newest_first(codes, start, end, before, limit)]


def _charge_total(codes: list[str], start_hour: int, end_hour: int) -> int:
    return ChargeSession.started_in(codes, hour_start(start_hour), hour_start(end_hour))


KINDS: dict[str, UsageKind] = {
    "checkin": UsageKind("checkin", ("method", "member_no"), _check_in_page, checkin_total),
    "charge": UsageKind("charge", ("slot", "member_no", "energy_wh", "end_reason"),
                        _charge_page, _charge_total),
}


def encode_cursor(moment: datetime, row_id: int) -> str:
    """A keyset position as text: microseconds since the epoch and the row id."""
    micros = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // _MICROSECOND
    return f"{micros}.{row_id}"


_MICROSECOND = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)


def decode_cursor(text: str) -> tuple[datetime, int]:
    """The keyset position in a `before` argument; FilterError when it is not one."""
    try:
        micros, row_id = text.split(".")
        moment = datetime(1970, 1, 1, tzinfo=UTC) + int(micros) * _MICROSECOND
        return moment, int(row_id)
    except (ValueError, OverflowError):
        raise FilterError("admin.reports.bad_cursor") from None


def usage_page(scope: ReportScope, before: tuple[datetime, int] | None, size: int) -> tuple[list[UsageRow], bool]:
    """A page of the scope's usage log and whether older rows follow."""
    if not scope.codes:
        return [], False
    start, end = (hour_start(h) for h in scope.hours)
    rows = KINDS[scope.kind].page(scope.codes, start, end, before, size + 1)
    return rows[:size], len(rows) > size
