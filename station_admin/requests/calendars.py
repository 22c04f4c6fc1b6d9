"""The working-day calendar page: loaded years, and an upload for next year's arrangement."""

from __future__ import annotations

import logging

from flask import Blueprint, g, render_template, request

from devices.protocol import utcnow
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.models import db
from station_admin.requests.workdays import CalendarError, WorkdayYear, import_calendar
from waystation.web import translate

log = logging.getLogger(__name__)
bp = Blueprint("calendars", __name__, url_prefix="/calendar")


@bp.get("/")
@login_required("admin", "federation")
def index():
    """Loaded years and the upload form."""
    return render_template("station_admin/requests/calendars/index.html", years=WorkdayYear.loaded_years(), error=None,
                           imported=None)


@bp.post("/")
@login_required("admin", "federation")
def upload():
    """Import a calendar file (docs/workdays.md); a bad file is refused with the reason and changes nothing."""
    upload = request.files.get("file")
    error, imported = None, None
    if upload is None or not upload.filename:
        error = translate("calendar.no_file")
    else:
        data = upload.read()
        try:
            with db.atomic():
                imported = import_calendar(data, upload.filename, g.user, utcnow())
                audit("calendar.import", "calendar", imported.year, source=upload.filename,
                      days=imported.days.count())
        except CalendarError as e:
            log.info("calendar upload %r refused: %s", upload.filename, e)
            error = translate("calendar.invalid", reason=str(e))
    return render_template("station_admin/requests/calendars/index.html", years=WorkdayYear.loaded_years(), error=error,
                           imported=imported), 400 if error else 200
