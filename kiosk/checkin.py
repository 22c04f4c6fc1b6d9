"""Check-in: one tap (anonymous) or a member card scan, written locally with its outbox event, confirmed on screen."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, redirect, render_template, request, url_for

from kiosk.context import wake_outbox
from kiosk.home import live_state
from kiosk.models import CheckIn, db, record_checkin, visit_checkin
from kiosk.survey import invitation_after, render_invitation
from kiosk.trust import check_card
from waystation.web import current_settings, htmx, page_or_fragment

log = logging.getLogger(__name__)
bp = Blueprint("checkin", __name__, url_prefix="/checkin")


def _wake_outbox() -> None:
    wake_outbox()


@bp.post("/")
def create():
    """Check the rider in anonymously."""
    checkin = record_checkin()
    _wake_outbox()
    log.info("check-in %s recorded", checkin.event_id)
    if htmx:
        return render_template("kiosk/checkin/_done.html", checkin=checkin, **live_state())
    return redirect(url_for("checkin.show", checkin_id=checkin.id), 303)


@bp.post("/card")
def card():
    """Check a member in by the code their card's QR gave the scanner; every problem has its own message."""
    code = request.form.get("code", "")[:400]
    result = check_card(code)
    if not result.valid:
        log.info("card refused at check-in: %s", result.status)
        # htmx swaps only 2xx answers; anything else asking gets the refusal as an error status.
        return render_template("kiosk/checkin/_card_refused.html", status=result.status.value), 200 if htmx else 422
    settings = current_settings()
    member_no = result.card.member_no
    window = settings.kiosk.visit_window_minutes
    with db.atomic():
        checkin = visit_checkin(member_no, window)
        repeat = checkin is not None
        if not repeat:
            checkin = record_checkin("card", member_no)
    if repeat:
        log.info("card check-in %s seen again within the visit window", checkin.event_id)
    else:
        _wake_outbox()
    return render_template("kiosk/checkin/_done.html", checkin=checkin, repeat=repeat, window=window,
                           **live_state())


@bp.get("/<int:checkin_id>")
def show(checkin_id: int):
    """The confirmation: the dialog alone for htmx, the home screen with it open otherwise."""
    checkin = CheckIn.get_or_none(CheckIn.id == checkin_id)
    if checkin is None:
        abort(404)
    return page_or_fragment("kiosk/home/index.html", "kiosk/checkin/_done.html", checkin=checkin, **live_state())


@bp.get("/dismiss")
def dismiss():
    """Close the confirmation: the dialog slot, empty, or in its place central's survey invitation for
    this member's check-in (kiosk.survey), so an invitation never stands in the way of checking in."""
    if not htmx:
        return redirect(url_for("home.index"), 303)
    checkin = CheckIn.get_or_none(CheckIn.id == request.args.get("checkin", type=int))
    invite = invitation_after(checkin) if checkin is not None else None
    if invite is not None:
        log.info("survey %s offered to %s after check-in %s", invite.survey_id, invite.member_no, checkin.event_id)
        return render_invitation(invite)
    return render_template("kiosk/checkin/_dialog_slot.html")
