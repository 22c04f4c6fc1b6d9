"""The working-day calendar page: loaded years, and an upload for next year's arrangement."""

from __future__ import annotations

import logging

from flask import Blueprint, g, render_template, request

from devices.protocol import utcnow
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.context import current_catalogue
from station_admin.core.models import db
from station_admin.requests.queue import missing_calendar_years
from station_admin.requests.workdays import CalendarError, DeadlineRule, WorkdayYear, import_calendar
from waystation.web import current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("calendars", __name__, url_prefix="/calendar")


def render_page(error: str | None = None, imported: WorkdayYear | None = None, recount=None, status: int = 200):
    """The page: loaded years, the missing-year warning, the outcome of an upload."""
    return render_template("station_admin/requests/calendars/index.html", years=WorkdayYear.loaded_years(),
                           error=error, imported=imported, recount=recount,
                           missing_years=missing_calendar_years()), status


@bp.get("/")
@login_required("admin", "federation")
def index():
    """Loaded years and the upload form."""
    return render_page()


@bp.post("/")
@login_required("admin", "federation")
def upload():
    """Import a calendar file (docs/workdays.md) and recount open deadlines; a bad file changes nothing."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_page(translate("calendar.no_file"), status=400)
    data = upload.read()
    rule = DeadlineRule.of(current_settings(), current_catalogue())
    try:
        with db.atomic():
            imported, recount = import_calendar(data, upload.filename, g.user, utcnow(), rule)
            audit("calendar.import", "calendar", imported.year, source=upload.filename,
                  days=imported.days.count(), deadlines_moved=recount.moved)
    except CalendarError as e:
        log.info("calendar upload %r refused: %s", upload.filename, e)
        return render_page(translate("calendar.invalid", reason=str(e)), status=400)
    return render_page(imported=imported, recount=recount)
