"""The usage log: every event of each kind, newest first, one keyset page at a time.

Each kind of event (check-ins, charge sessions, service requests, voucher claims, feedback)
registers a `UsageKind`: how to read a page of it and which columns it has. Pages
are keyset pages (older than the last row shown), so page 10,000 costs what page 1 costs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import peewee

from station_admin.community.careday import Voucher
from station_admin.community.feedback import Feedback, FeedbackCategory
from station_admin.core.models import CheckIn
from station_admin.live.charging import ChargeSession
from station_admin.reports.scope import FilterError, ReportScope
from station_admin.requests.models import ServiceRequest
from station_admin.rollups.hourly import checkin_total, hour_start

log = logging.getLogger(__name__)

# Columns that identify a person (or open a request's status): shown to admins and station
# managers, never to federation users.
PERSONAL_COLUMNS = frozenset({"member_no", "tracking_code", "voucher_no"})


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
            for s in newest_first(ChargeSession, ChargeSession.started_at, codes, start, end, before, limit)]


def newest_first(model, moment, codes, start, end, before, limit) -> list:
    """Rows of `model` at these stations with `moment` in [start, end) older than the keyset `before`, newest first."""
    query = model.select().where(model.station_code.in_(codes), moment >= start, moment < end)
    if before is not None:
        query = query.where(peewee.Tuple(moment, model.id) < peewee.Tuple(moment.db_value(before[0]), before[1]))
    return list(query.order_by(moment.desc(), model.id.desc()).limit(limit))


def counter(model, moment):
    """A kind's total: rows of `model` at these stations with `moment` in the UTC hours [start, end)."""
    def total(codes: list[str], start_hour: int, end_hour: int) -> int:
        return model.select().where(model.station_code.in_(codes), moment >= hour_start(start_hour),
                                    moment < hour_start(end_hour)).count()
    return total


def _request_page(codes, start, end, before, limit) -> list[UsageRow]:
    # Service, status and code only: never a request's answers or contact details.
    return [UsageRow("request", r.id, r.event_id, r.station_code, r.filed_at,
                     {"service": r.service, "status": r.status, "tracking_code": r.tracking_code,
                      "member_no": r.member_no})
            for r in newest_first(ServiceRequest, ServiceRequest.filed_at, codes, start, end, before, limit)]


def _voucher_page(codes, start, end, before, limit) -> list[UsageRow]:
    return [UsageRow("voucher", v.id, v.claim_event_id, v.station_code, v.claimed_at,
                     {"voucher_no": v.voucher_no, "voucher_status": v.status, "member_no": v.member_no})
            for v in newest_first(Voucher, Voucher.claimed_at, codes, start, end, before, limit)]


def _feedback_page(codes, start, end, before, limit) -> list[UsageRow]:
    rows = newest_first(Feedback, Feedback.occurred_at, codes, start, end, before, limit)
    named: dict[int, list[str]] = {}
    for c in FeedbackCategory.select().where(FeedbackCategory.feedback.in_([f.id for f in rows])):
        named.setdefault(c.feedback_id, []).append(c.category)
    return [UsageRow("feedback", f.id, f.event_id, f.station_code, f.occurred_at,
                     {"score": str(f.score) if f.score else None, "categories": ", ".join(sorted(named.get(f.id, []))),
                      "member_no": f.member_no})
            for f in rows]


KINDS: dict[str, UsageKind] = {
    "checkin": UsageKind("checkin", ("method", "member_no"), _check_in_page, checkin_total),
    "charge": UsageKind("charge", ("slot", "member_no", "energy_wh", "end_reason"),
                        _charge_page, counter(ChargeSession, ChargeSession.started_at)),
    "request": UsageKind("request", ("service", "status", "tracking_code", "member_no"), _request_page,
                         counter(ServiceRequest, ServiceRequest.filed_at)),
    "voucher": UsageKind("voucher", ("voucher_no", "voucher_status", "member_no"), _voucher_page,
                         counter(Voucher, Voucher.claimed_at)),
    "feedback": UsageKind("feedback", ("score", "categories", "member_no"), _feedback_page,
                          counter(Feedback, Feedback.occurred_at)),
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
