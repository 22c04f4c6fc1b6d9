"""Tracking a request on the rider's phone (/m/track): tracking code plus the phone's last four digits.

Shows the status in plain words and nothing personal. Failed look-ups are counted by the throttle
(station_admin.core.throttle): per client address, refused past the limit until the window has
passed; per tracking code, each try past the free ones waits longer, except on a phone that has
already opened the request (a stranger's guesses do not shut the rider out of their own case).
A wrong code and wrong digits get the same answer.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, request, session

from devices.protocol import utcnow
from devices.protocol.events import TRACKING_CODE_RE
from station_admin.core import throttle
from station_admin.core.context import current_catalogue
from station_admin.core.models import db
from station_admin.requests import casework
from station_admin.requests.models import STATUSES, ServiceRequest, TransitionError
from waystation.web import page_or_fragment, translate

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


def throttle_keys(code: str) -> dict[str, str]:
    """What a failed look-up counts against: the address, and the code unless this phone opened it before."""
    keys = {"address": request.remote_addr or "?"}
    if code not in session.get("tracked", []):
        keys["code"] = code
    return keys


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
    now, keys = utcnow(), throttle_keys(code)
    wait = throttle.held(throttle.TRACK, keys, now)
    if wait:
        return render(429, code=code, error=translate("track.error.limited", minutes=wait.minutes))
    req = ServiceRequest.find_for_tracking(code, last4)
    if req is None:
        with db.atomic():
            throttle.count(throttle.TRACK, keys, now)
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
