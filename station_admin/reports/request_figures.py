"""Service-request report figures: by type and outcome, the first-contact deadline rate, the outcome
summary with its change against the previous period, and satisfaction by service.

Requests are few beside check-ins (thousands a year, not millions), so each report reads the narrow
rows of its period once and counts in Python. Every table goes through `privacy`; tables that show
the same figure twice (the deadline tables' totals, the cases per service on two pages) are
suppressed together, so one cannot give back what the other hides. The rules are written down in
docs/data-dictionary.md.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from station_admin.core.privacy import HIDDEN, MIN_CELL, MIN_RANKING, SuppressedTable, suppress, suppress_linked
from station_admin.reports.scope import ReportScope
from station_admin.requests.models import OPEN_STATUSES, CentreMember, LegalAidCentre, ServiceRequest, station_names
from station_admin.rollups.hourly import checkin_total, local_day_hours

log = logging.getLogger(__name__)

OUTCOMES = ("in_progress", "referred", "closed_resolved", "closed_unresolved", "withdrawn")
DEADLINE_COLUMNS = ("met", "missed")
SERVED = ("closed_resolved", "closed_unresolved")  # a request that ended with the service given or tried


@dataclass(frozen=True)
class RequestScope:
    """The requests a report counts: filed at these stations and routed to these centres (None: any)."""

    codes: list[str] | None
    centre_ids: list[int] | None
    first: date
    last: date
    offset: int

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The UTC [start, end) of the local days."""
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        start, end = local_day_hours(self.first, self.last, self.offset)
        return epoch + timedelta(hours=start), epoch + timedelta(hours=end)

    def previous(self) -> RequestScope:
        """The period of the same length just before this one."""
        days = (self.last - self.first).days + 1
        return RequestScope(self.codes, self.centre_ids, self.first - timedelta(days=days),
                            self.first - timedelta(days=1), self.offset)

    def requests(self, on: str) -> list[ServiceRequest]:
        """The requests with `on` (filed_at or closed_at) in the period."""
        if self.codes == [] or self.centre_ids == []:
            return []
        return list(ServiceRequest.for_report(self.codes, self.centre_ids, on, *self.bounds))


def request_scope(scope: ReportScope, user) -> RequestScope:
    """The requests a user's report covers: a case worker's centre, else those filed at the scope's stations."""
    if user.role == "caseworker":
        centre = CentreMember.centre_of(user)
        return RequestScope(None, [centre.id] if centre else [], scope.first, scope.last, scope.offset)
    return RequestScope(scope.codes, None, scope.first, scope.last, scope.offset)


def outcome_of(request: ServiceRequest) -> str:
    """The outcome column a request counts in."""
    if request.status in OPEN_STATUSES:
        return "referred" if request.status == "referred" else "in_progress"
    return request.status


def deadline_outcome(request: ServiceRequest, now: datetime) -> str | None:
    """"met", "missed", or None while it cannot be judged yet (the rule in docs/data-dictionary.md)."""
    if request.first_contact_at is not None:
        return "met" if request.first_contact_at <= request.due_at else "missed"
    ended = now if request.status in OPEN_STATUSES or request.closed_at is None else request.closed_at
    return "missed" if request.due_at < ended else None


def service_keys(catalogue, *groups: list[ServiceRequest]) -> list[str]:
    """The catalogue's services in its order, then any other service code the requests carry."""
    keys = list(catalogue.services)
    for group in groups:
        keys += sorted({r.service for r in group} - set(keys))
    return keys


def type_tables(rs: RequestScope, catalogue) -> tuple[list[str], SuppressedTable, SuppressedTable]:
    """Requests filed per service: by outcome now, and this period beside the previous one (linked)."""
    current, previous = rs.requests("filed_at"), rs.previous().requests("filed_at")
    keys = service_keys(catalogue, current, previous)
    by_outcome = Counter((r.service, outcome_of(r)) for r in current)
    now, before = Counter(r.service for r in current), Counter(r.service for r in previous)
    tables = [(keys, list(OUTCOMES), [[by_outcome[(k, o)] for o in OUTCOMES] for k in keys]),
              (keys, ["current", "previous"], [[now[k], before[k]] for k in keys])]
    links = [[(0, r, len(OUTCOMES)), (1, r, 0)] for r in range(len(keys) + 1)]
    outcome_table, period_table = suppress_linked(tables, links)
    return keys, outcome_table, period_table


@dataclass
class RateTable:
    """A deadline table: met and missed per row, the row total as denominator, and the rate when shown."""

    keys: list
    labels: list[str]
    table: SuppressedTable

    def rate(self, r: int) -> str:
        """The share met as a percentage; HIDDEN when it would disclose a hidden count, "—" with no cases."""
        table, total_col = self.table, len(DEADLINE_COLUMNS)
        if table.hidden[r][0] or table.hidden[r][total_col]:
            return HIDDEN
        total = table.grid[r][total_col]
        return f"{100 * table.grid[r][0] / total:.1f}%" if total else "—"

    def percent(self, r: int) -> int | str:
        """The rate rounded to a whole percent, for charts; "*" when hidden."""
        shown = self.rate(r)
        return round(float(shown[:-1])) if shown.endswith("%") else (HIDDEN if shown == HIDDEN else 0)


def deadline_tables(rs: RequestScope, now: datetime, lang: str, unrouted: str = "—") -> dict[str, RateTable]:
    """First contact within deadline by centre, station and month of filing, suppressed together."""
    judged = [(r, o) for r in rs.requests("filed_at") if (o := deadline_outcome(r, now)) is not None]
    months = sorted({f"{d.year:04d}-{d.month:02d}" for d in
                     (rs.first + timedelta(days=n) for n in range((rs.last - rs.first).days + 1))})
    month_of = {r.id: (r.filed_at + timedelta(hours=rs.offset)).strftime("%Y-%m") for r, _ in judged}
    centre_ids = sorted({r.centre_id for r, _ in judged if r.centre_id is not None})
    centres = {c.id: c for c in LegalAidCentre.select().where(LegalAidCentre.id.in_(centre_ids))}
    codes = sorted({r.station_code for r, _ in judged})
    stations = station_names(set(codes))
    groups = {
        "centre": ([*centre_ids, *([None] if any(r.centre_id is None for r, _ in judged) else [])],
                   lambda r: r.centre_id,
                   lambda k: unrouted if k is None else getattr(centres[k], f"name_{lang}")),
        "station": (codes, lambda r: r.station_code,
                    lambda k: getattr(stations[k], f"name_{lang}") if k in stations else k),
        "month": (months, lambda r: month_of[r.id], lambda k: k),
    }
    tables = []
    for keys, key_of, _ in groups.values():
        counts = Counter((key_of(r), o) for r, o in judged)
        tables.append((keys, list(DEADLINE_COLUMNS), [[counts[(k, c)] for c in DEADLINE_COLUMNS] for k in keys]))
    links = [[(t, len(tables[t][0]), c) for t in range(len(tables))] for c in range(len(DEADLINE_COLUMNS) + 1)]
    result = suppress_linked(tables, links)
    return {name: RateTable(keys, [label(k) for k in keys], table)
            for (name, (keys, _, label)), table in zip(groups.items(), result, strict=True)}


def ranking(rates: RateTable) -> list[tuple[str, str, int]]:
    """Rows ranked by rate, best first: only those with MIN_RANKING judged requests and nothing hidden."""
    table, total_col = rates.table, len(DEADLINE_COLUMNS)
    rows = [(table.grid[r][0] / table.grid[r][total_col], rates.labels[r], rates.rate(r), table.grid[r][total_col])
            for r in range(len(rates.keys))
            if table.grid[r][total_col] >= MIN_RANKING and not any(table.hidden[r][:total_col + 1])]
    return [(label, rate, n) for _, label, rate, n in sorted(rows, key=lambda row: (-row[0], row[1]))]


def satisfaction_table(rs: RequestScope, keys: list[str]) -> tuple[SuppressedTable, dict[str, str]]:
    """Ratings per service of requests closed in the period, and each service's average where its count shows."""
    rated = [r for r in rs.requests("closed_at") if r.satisfaction is not None]
    keys = keys + sorted({r.service for r in rated} - set(keys))
    counts, sums = Counter(r.service for r in rated), Counter()
    for r in rated:
        sums[r.service] += r.satisfaction
    table = suppress(keys, ["ratings"], [[counts[k]] for k in keys])
    averages = {k: (f"{sums[k] / counts[k]:.2f}" if counts[k] else "—") if not table.hidden[r][1] else HIDDEN
                for r, k in enumerate(keys)}
    total = sum(counts.values())
    averages[""] = HIDDEN if table.hidden[len(keys)][1] else (f"{sum(sums.values()) / total:.2f}" if total else "—")
    return table, averages


@dataclass
class SummaryLine:
    """One line of the outcome summary: this period, the previous one and the change, as shown."""

    key: str
    current: int | str
    previous: int | str
    change: str
    detail: tuple[str, str] = ("", "")  # e.g. numerator / denominator of a rate, per period


def shown_count(n: int) -> int | str:
    """A lone count as it may be shown: HIDDEN ("*") for 1 to 4."""
    return HIDDEN if 0 < n < MIN_CELL else n


def change(current, previous, unit: str = "") -> str:
    """The change from the previous period, when both are shown numbers: "+3 (+12.5%)", or "—"."""
    try:
        now, before = float(str(current).rstrip("%")), float(str(previous).rstrip("%"))
    except ValueError:
        return "—"
    if unit == "pp":
        return f"{now - before:+.1f} pp"
    diff = now - before
    text = f"{diff:+.2f}" if unit == "avg" else f"{diff:+,.2f}" if unit == "yuan" else f"{int(diff):+d}"
    return f"{text} ({100 * diff / before:+.1f}%)" if before else text


def _period(rs: RequestScope, keys: list[str]) -> dict:
    """The summary's figures for one period."""
    closed = rs.requests("closed_at")
    people = {r.member_no or (f"p:{r.phone_hash}" if r.phone_hash else f"r:{r.id}") for r in closed
              if r.status in SERVED}
    mediated = [r for r in closed if r.mediated]
    succeeded = sum(r.status == "closed_resolved" for r in mediated)
    mediation = suppress(["mediation"], ["succeeded", "failed"], [[succeeded, len(mediated) - succeeded]])
    rate = RateTable(["mediation"], [""], mediation).rate(0)
    amounts = [r.amount_recovered_fen for r in closed if r.amount_recovered_fen is not None]
    fen = sum(amounts)
    yuan = HIDDEN if 0 < len(amounts) < MIN_CELL else f"{fen // 100:,}.{fen % 100:02d}"
    ratings, averages = satisfaction_table(rs, keys)
    check_ins = checkin_total(rs.codes, *local_day_hours(rs.first, rs.last, rs.offset)) if rs.codes else 0
    return {"people": shown_count(len(people)), "check_ins": shown_count(check_ins),
            "mediation": (rate, f"{mediation.shown(0, 0)} / {mediation.shown(0, 2)}"),
            "yuan": yuan, "satisfaction": averages[""], "ratings": ratings.grand_total}


def outcome_summary(rs: RequestScope, catalogue) -> tuple[list[SummaryLine], list[str], SuppressedTable]:
    """The federation's outcome summary with the change against the previous period, and cases by service."""
    keys, _, by_period = type_tables(rs, catalogue)
    now, before = _period(rs, keys), _period(rs.previous(), keys)
    cases = len(keys)
    lines = [
        SummaryLine("people_served", now["people"], before["people"], change(now["people"], before["people"])),
        SummaryLine("check_ins", now["check_ins"], before["check_ins"], change(now["check_ins"], before["check_ins"])),
        SummaryLine("cases", by_period.shown(cases, 0), by_period.shown(cases, 1),
                    change(by_period.shown(cases, 0), by_period.shown(cases, 1))),
        SummaryLine("mediation_rate", now["mediation"][0], before["mediation"][0],
                    change(now["mediation"][0], before["mediation"][0], "pp"),
                    (now["mediation"][1], before["mediation"][1])),
        SummaryLine("yuan_recovered", now["yuan"], before["yuan"],
                    change(str(now["yuan"]).replace(",", ""), str(before["yuan"]).replace(",", ""), "yuan")),
        SummaryLine("satisfaction", now["satisfaction"], before["satisfaction"],
                    change(now["satisfaction"], before["satisfaction"], "avg"),
                    (str(now["ratings"]), str(before["ratings"]))),
    ]
    if rs.codes is None:
        lines = [line for line in lines if line.key != "check_ins"]
    return lines, keys, by_period
