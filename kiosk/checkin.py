"""Check-in: one tap, written locally with its outbox event, confirmed on screen."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, redirect, render_template, url_for

from kiosk.home import live_state
from kiosk.models import CheckIn, record_checkin
from waystation.web import htmx, page_or_fragment

log = logging.getLogger(__name__)
bp = Blueprint("checkin", __name__, url_prefix="/checkin")


@bp.post("/")
def create():
    """Check the rider in anonymously."""
    checkin = record_checkin()
    wake = current_app.extensions.get("waystation.outbox_wake")
    if wake:
        wake()
    log.info("check-in %s recorded", checkin.event_id)
    if htmx:
        return render_template("kiosk/checkin/_done.html", checkin=checkin, **live_state())
    return redirect(url_for("checkin.show", checkin_id=checkin.id), 303)


@bp.get("/<int:checkin_id>")
def show(checkin_id: int):
    """The confirmation: the dialog alone for htmx, the home screen with it open otherwise."""
    checkin = CheckIn.get_or_none(CheckIn.id == checkin_id)
    if checkin is None:
        abort(404)
    return page_or_fragment("kiosk/home/index.html", "kiosk/checkin/_done.html", checkin=checkin, **live_state())


@bp.get("/dismiss")
def dismiss():
    """Close the confirmation (the dialog slot, empty)."""
    if not htmx:
        return redirect(url_for("home.index"), 303)
    return render_template("kiosk/checkin/_dialog_slot.html")
