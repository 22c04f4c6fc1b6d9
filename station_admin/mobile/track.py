"""Tracking a request on the rider's phone (/m/track): tracking code plus the phone's last four digits.

Shows the status in plain words and nothing personal. Failed look-ups are counted per client
address and per tracking code in the database (so every web process sees them); past the limit,
look-ups are refused until the window has passed. A wrong code and wrong digits get the same answer.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from flask import Blueprint, request, session

from devices.protocol import utcnow
from devices.protocol.events import TRACKING_CODE_RE
from station_admin.core.context import current_catalogue
from station_admin.core.models import db
from station_admin.requests import casework
from station_admin.requests.models import STATUSES, ServiceRequest, TrackingFailure, TransitionError
from waystation.web import current_settings, page_or_fragment, translate

log = logging.getLogger(__name__)
bp = Blueprint("track", __name__, url_prefix="/m/track")
LAST4_RE = re.compile(r"^[0-9]{4}$")
REMEMBERED = 5  # codes a phone's session may rate after looking them up


def render(status: int = 200, **context):
    """The tracking page, or its fragment for htmx."""
    context.setdefault("req", None)
    context.setdefault("error", None)
    context.setdefault("code", "")
    context.setdefault("services", current_catalogue())
    return page_or_fragment("station_admin/mobile/track/index.html", "station_admin/mobile/track/_track.html",
                            **context), status


def limited(code: str, now) -> bool:
    """Whether this address or this code has failed too often lately."""
    settings = current_settings().requests
    since = now - timedelta(minutes=settings.track_window_minutes)
    return (TrackingFailure.recent("ip", request.remote_addr or "?", since) >= settings.track_max_failures
            or TrackingFailure.recent("code", code, since) >= settings.track_max_failures)


def normalise_code(text: str) -> str:
    """A tracking code as a rider may paste or type it: spaces, dashes and dots dropped, any case."""
    return re.sub(r"[\s\-\u2010-\u2015\u00b7.]", "", text[:40]).upper()[:20]


@bp.get("")
def index():
    """The look-up form (the receipt's QR code may fill in the code)."""
    code = normalise_code(request.args.get("code", ""))[:8]
    return render(code=code if TRACKING_CODE_RE.match(code) else "")


@bp.post("")
def lookup():
    """Look a request up by code and last four digits; the same message for any mismatch."""
    code = normalise_code(request.form.get("code", ""))
    last4 = request.form.get("last4", "").strip()[:10]
    if not TRACKING_CODE_RE.match(code) or not LAST4_RE.match(last4):
        return render(400, code=code[:8], error=translate("track.error.format"))
    now = utcnow()
    if limited(code, now):
        log.warning("tracking look-ups limited for %s / %s", request.remote_addr, code)
        return render(429, code=code, error=translate(
            "track.error.limited", minutes=current_settings().requests.track_window_minutes))
    req = ServiceRequest.find_for_tracking(code, last4)
    if req is None:
        with db.atomic():
            TrackingFailure.record({"ip": request.remote_addr or "?", "code": code}, now)
            TrackingFailure.forget_before(now - timedelta(days=1))
        return render(404, code=code, error=translate("track.error.not_found"))
    session["tracked"] = [req.tracking_code, *[c for c in session.get("tracked", []) if c != req.tracking_code]][
        :REMEMBERED]
    return render(req=req, code=code, statuses=STATUSES)


@bp.post("/rate")
def rate():
    """The rider's rating of a closed request (1-5), or "not resolved", which reopens it."""
    code = request.form.get("code", "")[:20]
    if code not in session.get("tracked", []):
        return render(403, error=translate("track.error.again"))
    req = ServiceRequest.get_or_none(ServiceRequest.tracking_code == code)
    if req is None:
        return render(403, error=translate("track.error.again"))
    choice = request.form.get("score", "")
    if choice != "unresolved" and choice not in ("1", "2", "3", "4", "5"):
        return render(400, req=req, code=code, error=translate("track.error.rate"))
    try:
        with db.atomic():
            casework.rate(req, None if choice == "unresolved" else int(choice), utcnow())
    except TransitionError as e:
        return render(400, req=ServiceRequest.get_by_id(req.id), code=code, error=translate(e.key))
    return render(req=ServiceRequest.get_by_id(req.id), code=code, thanks=True)
