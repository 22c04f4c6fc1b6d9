"""Service-request reports on the reports blueprint: by type and outcome, first contact within deadline,
the outcome summary, and their CSV exports (suppressed exactly as on screen).

Admins see every request, federation users those filed at their subtree's stations (aggregates only:
no names, no phone numbers anywhere here), station managers those filed at their stations, and case
workers the deadline report of the requests routed to their centre.
"""

from __future__ import annotations

import logging

from flask import Response, g, request

from devices.protocol import utcnow
from station_admin.core.auth import login_required
from station_admin.core.context import current_catalogue
from station_admin.reports import charts, request_figures
from station_admin.reports.common import bp, current_scope, page_context
from station_admin.reports.exports import csv_text, table_csv
from station_admin.reports.scope import FilterError
from waystation.web import current_language, page_or_fragment, translate

log = logging.getLogger(__name__)

ROLES = ("admin", "federation", "manager")
DEADLINE_ROLES = (*ROLES, "caseworker")
EXPORTS = ("types", "satisfaction", "deadline_centre", "deadline_station", "deadline_month", "outcomes")



def _service_name(code: str, lang: str) -> str:
    service = current_catalogue().get(code)
    return service.name[lang] if service else code


def _types_context(scope) -> dict:
    rs = request_figures.request_scope(scope, g.user)
    keys, table, _ = request_figures.type_tables(rs, current_catalogue())
    lang = current_language()
    names = [_service_name(k, lang) for k in keys]
    ratings, averages = request_figures.satisfaction_table(rs, keys)
    chart = charts.category_chart(names, [table.row_total(r) for r in range(len(keys))])
    return {"keys": keys, "names": names, "table": table, "ratings": ratings, "averages": averages, "chart": chart,
            "outcome_labels": [translate(f"admin.reports.outcome_{o}") for o in request_figures.OUTCOMES]}


@bp.get("/requests")
@login_required(*ROLES)
def requests():
    """Service requests filed in the range by type and outcome, and satisfaction by service."""
    scope = current_scope()
    return page_or_fragment("station_admin/reports/requests.html", "station_admin/reports/_requests.html",
                            **_types_context(scope), **page_context(scope, "requests"))


@bp.get("/deadlines")
@login_required(*DEADLINE_ROLES)
def deadlines():
    """First contact within the deadline: numerator, denominator and rate by centre, station and month."""
    scope = current_scope()
    rs = request_figures.request_scope(scope, g.user)
    tables = request_figures.deadline_tables(rs, utcnow(), current_language(), translate("admin.reports.not_routed"))
    months = tables["month"]
    chart = charts.bar_chart(months.labels, [months.percent(r) for r in range(len(months.keys))])
    return page_or_fragment("station_admin/reports/deadlines.html", "station_admin/reports/_deadlines.html",
                            tables=tables, chart=chart, ranking=request_figures.ranking(tables["centre"]),
                            station_ranking=request_figures.ranking(tables["station"]),
                            **page_context(scope, "deadlines"))


@bp.get("/outcomes")
@login_required(*ROLES)
def outcomes():
    """The outcome summary in the form federations publish, with the change against the previous period."""
    scope = current_scope()
    rs = request_figures.request_scope(scope, g.user)
    lines, keys, by_period = request_figures.outcome_summary(rs, current_catalogue())
    lang = current_language()
    return page_or_fragment("station_admin/reports/outcomes.html", "station_admin/reports/_outcomes.html",
                            lines=lines, keys=keys, names=[_service_name(k, lang) for k in keys],
                            by_period=by_period, previous=rs.previous(), **page_context(scope, "outcomes"))


@bp.get("/requests/export")
@login_required(*DEADLINE_ROLES)
def export_requests():
    """A service-request report table as CSV, suppressed exactly as on screen."""
    report = request.args.get("report", "")
    if report not in EXPORTS:
        raise FilterError("admin.reports.bad_report", value=report[:40])
    if g.user.role == "caseworker" and not report.startswith("deadline_"):
        raise FilterError("admin.reports.bad_report", value=report[:40])
    scope = current_scope()
    rs = request_figures.request_scope(scope, g.user)
    lang = current_language()
    total = translate("admin.reports.total")
    service = translate("admin.reports.service")
    if report == "types":
        keys, table, _ = request_figures.type_tables(rs, current_catalogue())
        text = table_csv(table, service, [_service_name(k, lang) for k in keys],
                         [translate(f"admin.reports.outcome_{o}") for o in request_figures.OUTCOMES], total)
    elif report == "satisfaction":
        keys, _, _ = request_figures.type_tables(rs, current_catalogue())
        table, averages = request_figures.satisfaction_table(rs, keys)
        rows = [[_service_name(k, lang), table.shown(r, 0), averages[k]] for r, k in enumerate(table.rows)]
        rows.append([total, table.grand_total, averages[""]])
        text = csv_text([service, translate("admin.reports.ratings"), translate("admin.reports.average")], rows)
    elif report == "outcomes":
        lines, _, _ = request_figures.outcome_summary(rs, current_catalogue())
        text = csv_text([translate("admin.reports.figure"), translate("admin.reports.this_period"),
                         translate("admin.reports.previous_period"), translate("admin.reports.change")],
                        [[translate(f"admin.reports.sum_{line.key}"), line.current, line.previous, line.change]
                         for line in lines])
    else:
        tables = request_figures.deadline_tables(rs, utcnow(), lang, translate("admin.reports.not_routed"))
        rates = tables[report.removeprefix("deadline_")]
        text = rate_csv(rates, total)
    filename = f"requests-{report}-{scope.first.isoformat()}-{scope.last.isoformat()}.csv"
    log.info("%s exported %s for %s..%s", g.user.username, report, scope.first, scope.last)
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def rate_csv(rates: request_figures.RateTable, total_label: str) -> str:
    """A deadline table as CSV: met, missed, the denominator and the rate, hidden entries as "*"."""
    table = rates.table
    rows = [[label, table.shown(r, 0), table.shown(r, 1), table.shown(r, 2), rates.rate(r)]
            for r, label in enumerate(rates.labels)]
    last = len(rates.labels)
    rows.append([total_label, table.shown(last, 0), table.shown(last, 1), table.shown(last, 2), rates.rate(last)])
    header = ["", translate("admin.reports.met"), translate("admin.reports.missed"),
              translate("admin.reports.judged"), translate("admin.reports.rate")]
    return csv_text(header, rows)
