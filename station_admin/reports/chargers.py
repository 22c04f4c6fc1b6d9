"""The charger report on the reports blueprint: sessions by how they ended, energy delivered, utilisation
(share of slot-hours spent charging) and faults, per station or district, with its CSV exports.

Sessions are people's: their counts are suppressed like every count (`privacy.suppress`), and a
place's energy and utilisation are shown only where its session count is shown. Faults count slot
state changes into `faulted` (equipment, not people), so they are never hidden.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import Response, request

from devices.protocol import utcnow
from station_admin.core.auth import login_required
from station_admin.core.privacy import HIDDEN, SuppressedTable, suppress
from station_admin.live.charging import ChargerSlotEvent, ChargeSession
from station_admin.reports import charts
from station_admin.reports.common import ROLES, bp, current_scope, page_context
from station_admin.reports.exports import csv_text, table_csv
from station_admin.reports.figures import Group, bounds, group_of, groups
from station_admin.reports.scope import FilterError, ReportScope
from waystation.web import current_language, page_or_fragment, translate

log = logging.getLogger(__name__)

END_REASONS = ("full", "unplugged", "time_limit", "remote_stop", "fault", "disabled", "controller_lost", "charging")
EXPORTS = ("sessions", "chargers")


@dataclass
class ChargerFigures:
    """Per place (in `places` order, then the total): energy in kWh, utilisation in %, faults, as shown."""

    places: list[Group]
    sessions: SuppressedTable
    energy_kwh: list[str]
    utilisation: list[str]
    faults: list[int]


def charger_figures(scope: ReportScope, now: datetime) -> ChargerFigures:
    """The charger figures of the scope's stations over its date range."""
    places = groups(scope)
    index = {g.code: j for j, g in enumerate(places)}
    place_of = group_of(scope)
    start, end = bounds(scope)
    cells = [[0] * len(places) for _ in END_REASONS]
    energy = [0] * (len(places) + 1)
    charging_s = [0.0] * (len(places) + 1)
    for s in ChargeSession.overlapping(scope.codes, start, end) if scope.codes else []:
        j = index[place_of[s.station_code]]
        if start <= s.started_at < end:  # counted where it started, like every event
            cells[END_REASONS.index(s.end_reason or "charging")][j] += 1
            energy[j] += s.energy_wh
        stop = min(s.ended_at or now, end)
        charging_s[j] += max((stop - max(s.started_at, start)).total_seconds(), 0)
    energy[-1], charging_s[-1] = sum(energy[:-1]), sum(charging_s[:-1])
    slot_s = [0.0] * (len(places) + 1)
    span = (min(end, now) - start).total_seconds() if now > start else 0
    for station in scope.stations:
        slot_s[index[place_of[station.code]]] += station.charger_slots * span
    slot_s[-1] = sum(slot_s[:-1])
    faults = [0] * (len(places) + 1)
    for code, n in (ChargerSlotEvent.faults_by_station(scope.codes, start, end) if scope.codes else {}).items():
        faults[index[place_of[code]]] += n
    faults[-1] = sum(faults[:-1])
    table = suppress(list(END_REASONS), [g.code for g in places], cells)
    last = len(END_REASONS)
    energy_shown, use_shown = [], []
    for j in range(len(places) + 1):
        if table.hidden[last][j]:  # derived figures hide with the count they come from
            energy_shown.append(HIDDEN)
            use_shown.append(HIDDEN)
            continue
        energy_shown.append(f"{energy[j] / 1000:.1f}" if table.grid[last][j] else "0")
        # Utilisation is slot time spent charging, whenever the session began: slots charging all through the
        # range on sessions begun before it are in use although no session starts in it. "—": no charger slots.
        use_shown.append(f"{100 * charging_s[j] / slot_s[j]:.1f}" if slot_s[j] else "—")
    return ChargerFigures(places, table, energy_shown, use_shown, faults)


def _figures(scope: ReportScope) -> dict:
    found = charger_figures(scope, utcnow())
    lang = current_language()
    names = [g.name(lang) for g in found.places]
    reasons = [translate(f"admin.chargers.reason_{r}") for r in END_REASONS]
    last = len(END_REASONS)
    return {"found": found, "place_names": names, "reasons": reasons,
            "chart": charts.category_chart(names, [found.sessions.shown(last, j) for j in range(len(names))])}


@bp.get("/chargers")
@login_required(*ROLES)
def chargers():
    """Charger use per station or district: sessions by end, energy, utilisation, faults."""
    scope = current_scope()
    return page_or_fragment("station_admin/reports/chargers.html", "station_admin/reports/_chargers.html",
                            **_figures(scope), **page_context(scope, "chargers"))


@bp.get("/chargers/export")
@login_required(*ROLES)
def export_chargers():
    """A charger table as CSV, suppressed exactly as on screen."""
    report = request.args.get("report", "")
    if report not in EXPORTS:
        raise FilterError("admin.reports.bad_report", value=report[:40])
    scope = current_scope()
    figures = _figures(scope)
    found, total = figures["found"], translate("admin.reports.total")
    if report == "sessions":
        text = table_csv(found.sessions, translate("admin.chargers.end_reason"), figures["reasons"],
                         figures["place_names"], total)
    else:
        last = len(END_REASONS)
        header = [translate("admin.chargers.place"), translate("admin.chargers.sessions"),
                  translate("admin.chargers.energy_kwh"), translate("admin.chargers.utilisation"),
                  translate("admin.chargers.faults")]
        rows = [[name, found.sessions.shown(last, j), found.energy_kwh[j], found.utilisation[j], found.faults[j]]
                for j, name in enumerate([*figures["place_names"], total])]
        text = csv_text(header, rows)
    filename = f"chargers-{report}-{scope.first.isoformat()}-{scope.last.isoformat()}.csv"
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
