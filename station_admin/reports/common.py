"""What every report page shares: the blueprint, who may read reports, the scope a request asks for, errors.

The report pages (`views`, `chargers`, `requests`, `feedback`) add their routes to `bp`; the package
imports them all, so `station_admin.reports.bp` is complete.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template, request

from devices.protocol import utcnow
from station_admin.reports.scope import FilterError, ReportScope, parse_scope
from station_admin.reports.usage import KINDS
from waystation.web import current_settings, htmx, translate

log = logging.getLogger(__name__)
bp = Blueprint("reports", __name__, url_prefix="/reports")

ROLES = ("admin", "federation", "manager")
REPORTS = ("daily", "heatmap", "usage", "chargers", "requests", "deadlines", "outcomes", "feedback")


def current_scope(kinds: tuple[str, ...] = ("checkin",)) -> ReportScope:
    """The report scope the request's filters ask for, within the signed-in user's stations."""
    central, reports = current_settings().central, current_settings().reports
    today = utcnow().astimezone(zone()).date()
    return parse_scope(request.args, g.user, central.timezone, today, reports.default_days, reports.max_days, kinds)


def zone() -> ZoneInfo:
    """The zone reports count days and hours in."""
    return ZoneInfo(current_settings().central.timezone)


@bp.errorhandler(FilterError)
def bad_filter(error: FilterError):
    """A filter the user cannot have: a clear message in their language, 400, nothing else happens."""
    message = translate(error.key, **error.values)
    log.info("refused report filter %s from %s: %s", error.key, g.user.username if g.user else "-", request.args)
    template = "station_admin/reports/_error.html" if htmx else "station_admin/reports/error.html"
    report = (request.endpoint or "").rpartition(".")[2]
    return render_template(template, message=message, scope=None,
                           report=report if report in REPORTS else "daily"), 400


def page_context(scope: ReportScope, report: str) -> dict:
    """What every report template needs besides its own figures."""
    return {"scope": scope, "report": report, "lang_name": lang_name, "kinds": list(KINDS)}


def lang_name(thing, lang: str) -> str:
    """A station's, district's or centre's name in the language asked for."""
    return thing.name_zh if lang == "zh" else thing.name_en
