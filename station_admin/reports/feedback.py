"""The feedback report on the reports blueprint: pain points by category and place, satisfaction with
counts, and their CSV exports, suppressed exactly as on screen, within the user's stations."""

from __future__ import annotations

import logging

from flask import Response, g, request

from station_admin.community.feedback import SCORES
from station_admin.core.auth import login_required
from station_admin.reports import charts
from station_admin.reports.common import ROLES, bp, current_scope, page_context
from station_admin.reports.exports import csv_text, table_csv
from station_admin.reports.feedback_figures import pain_point_table, satisfaction_table
from station_admin.reports.scope import FilterError
from waystation.pain_points import load_pain_points
from waystation.web import current_language, page_or_fragment, translate

log = logging.getLogger(__name__)

EXPORTS = ("pain_points", "satisfaction")


def _figures(scope) -> dict:
    points = load_pain_points()
    lang = current_language()
    keys, cols, pains = pain_point_table(scope, points.ids)
    _, scores, averages = satisfaction_table(scope)
    labels = [points.label(k, lang) for k in keys]
    return {"pain_labels": labels, "pains": pains, "groups": cols, "group_names": [c.name(lang) for c in cols],
            "scores": scores, "averages": averages,
            "chart": charts.category_chart(labels, [pains.row_total(r) for r in range(len(keys))])}


@bp.get("/feedback")
@login_required(*ROLES)
def feedback():
    """Pain points by category and station or district, and satisfaction with its counts."""
    scope = current_scope()
    return page_or_fragment("station_admin/reports/feedback.html", "station_admin/reports/_feedback.html",
                            **_figures(scope), **page_context(scope, "feedback"))


@bp.get("/feedback/export")
@login_required(*ROLES)
def export_feedback():
    """A feedback table as CSV, suppressed exactly as on screen."""
    report = request.args.get("report", "")
    if report not in EXPORTS:
        raise FilterError("admin.reports.bad_report", value=report[:40])
    scope = current_scope()
    found = _figures(scope)
    total = translate("admin.reports.total")
    if report == "pain_points":
        text = table_csv(found["pains"], translate("admin.feedback.pain_point"), found["pain_labels"],
                         found["group_names"], total)
    else:
        table = found["scores"]
        rows = [[label, *(table.shown(r, c) for c in range(len(SCORES) + 1)), found["averages"][r]]
                for r, label in enumerate([*found["group_names"], total])]
        text = csv_text(["", *SCORES, translate("admin.feedback.ratings"),
                         translate("admin.reports.average")], rows)
    filename = f"feedback-{report}-{scope.first.isoformat()}-{scope.last.isoformat()}.csv"
    log.info("%s exported feedback %s for %s..%s", g.user.username, report, scope.first, scope.last)
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
