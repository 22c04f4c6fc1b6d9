"""The screen's own state: language switch and the idle reset that wipes the session.

The idle reset itself runs in the browser (static/js/kiosk.js): any screen but the untouched home
screen starts a countdown of `kiosk.idle_reset_seconds`, warns for the last `kiosk.idle_warning_seconds`,
then POSTs to `screen.reset` and replaces the page by the home screen. Every kiosk page is sent
`no-store`, so going Back after a wipe asks the server again, and the server has forgotten the rider.
"""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, abort, redirect, request, session, url_for

from waystation.cards import CARD_PATTERN
from waystation.settings import ConfigError
from waystation.vouchers import VOUCHER_PATTERNS
from waystation.web import local_target, switch_language

bp = Blueprint("screen", __name__, url_prefix="/screen")
# Session keys that say nothing about a rider: a home screen whose session holds only these is pristine.
NEUTRAL_SESSION_KEYS = frozenset({"csrf"})
# The forms of the codes a rider scans here (member cards, vouchers), for the scanner code in the page.
# The session key of the large mode: set by the rider's tap, wiped with the rest by the idle reset.
LARGE_KEY = "large"
CODE_FORMS = json.dumps([CARD_PATTERN, *VOUCHER_PATTERNS])


@bp.post("/language")
def language():
    """Switch the screen language for this session."""
    return switch_language(local_target(request.form.get("back", ""), url_for("home.index")))


@bp.post("/size")
def size():
    """Large text and targets on or off for this visit (the session: the idle reset ends it)."""
    large = request.form.get("large", "")
    if large not in ("0", "1"):
        abort(400)
    if large == "1":
        session[LARGE_KEY] = True
    else:
        session.pop(LARGE_KEY, None)
    return redirect(local_target(request.form.get("back", ""), url_for("home.index")), 303)


def is_large() -> bool:
    """Whether this visit asked for the elder-friendly large mode."""
    return bool(session.get(LARGE_KEY))


@bp.post("/reset")
def reset():
    """Idle reset: forget everything about the last person at the screen (the browser then loads home)."""
    session.clear()
    response = Response(status=204)
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


def is_pristine() -> bool:
    """Whether this request shows the home screen to nobody in particular: the one screen the idle
    reset leaves alone (no language chosen, nothing of a rider in the session, no dialog open)."""
    return request.endpoint == "home.index" and set(session) <= NEUTRAL_SESSION_KEYS


def idle_timings(settings) -> dict:
    """The idle reset's timings for the page, checked: both positive, the warning shorter than the wait."""
    idle, warning = settings.kiosk.idle_reset_seconds, settings.kiosk.idle_warning_seconds
    if idle <= 0:
        raise ConfigError("kiosk.idle_reset_seconds: must be more than 0")
    if not 0 < warning < idle:
        raise ConfigError("kiosk.idle_warning_seconds: must be more than 0 and less than kiosk.idle_reset_seconds")
    return {"screen_idle_ms": round(idle * 1000), "screen_warning_ms": round(warning * 1000),
            "screen_idle_seconds": f"{idle:g}"}


def init_app(app: Flask, settings) -> None:
    """Give every page the idle timings and keep every kiosk page out of the browser's caches."""
    timings = idle_timings(settings)

    @app.context_processor
    def _screen():
        return {**timings, "screen_repeat_seconds": settings.kiosk.repeat_scan_seconds,
                "screen_pristine": is_pristine(), "screen_code_forms": CODE_FORMS,
                "screen_large": is_large()}

    @app.after_request
    def _no_store(response):
        # A page of one rider must not come back from a cache (Back, bfcache) for the next one.
        if request.endpoint != "static":
            response.headers["Cache-Control"] = "no-store"
        return response
