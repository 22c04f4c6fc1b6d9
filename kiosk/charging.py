"""Charging at the kiosk: scan the member card, see the slots, tap a free one, see the controller's answer.

No typing: the card scan identifies the rider (member number only; the kiosk never holds a name).
The member number stays in the server session until the idle reset wipes it.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template, request, session

from devices.protocol.charger import SlotStatus
from kiosk.context import station_operations
from kiosk.models import ChargerSlot, StationInfo
from kiosk.operations import ChargeStart, StationSession
from kiosk.trust import check_card
from waystation.web import current_settings, htmx, page_or_fragment

log = logging.getLogger(__name__)
bp = Blueprint("charging", __name__, url_prefix="/charging")
MEMBER_KEY = "charging_member"
# Why the kiosk itself refuses a slot, by the slot's last reported status.
REFUSED_BY_STATUS = {SlotStatus.CHARGING: "slot_busy", SlotStatus.FINISHED: "slot_busy",
                     SlotStatus.FAULTED: "slot_faulted", SlotStatus.UNAVAILABLE: "slot_disabled"}


def _settings():
    return current_settings()


def slot_rows() -> list[tuple[int, str]]:
    """Every slot of the station with its last reported status ("unknown" before any report)."""
    info = StationInfo.for_station(_settings().kiosk.station_id)
    found = {s.slot: s.status for s in ChargerSlot.select()}
    return [(n, found.get(n, "unknown")) for n in range(1, info.charger_slots + 1)]


def _context(**extra) -> dict:
    member_no = session.get(MEMBER_KEY)
    return {"slots": slot_rows(), "member_no": member_no,
            "own": StationSession.latest_for(member_no) if member_no else None,
            "poll_seconds": _settings().kiosk.poll_seconds,
            "status_poll_seconds": _settings().operations.command_status_poll_seconds, **extra}


def _refusal(key: str, **values):
    """A refusal dialog: 200 for htmx (it swaps only 2xx answers), 422 for anything else."""
    return render_template("kiosk/charging/_refused.html", key=key, values=values), 200 if htmx else 422


@bp.get("/")
def index():
    """The charging screen: the slots and how to start (scan the card)."""
    return render_template("kiosk/charging/index.html", **_context())


@bp.get("/slots")
def slots():
    """The slot list, polled while the screen is open."""
    return page_or_fragment("kiosk/charging/index.html", "kiosk/charging/_slots.html", **_context())


@bp.post("/card")
def card():
    """A scanned member card: who is charging (member number only), their session, the slots to tap."""
    result = check_card(request.form.get("code", "")[:400])
    if not result.valid:
        log.info("card refused at charging: %s", result.status)
        return _refusal("kiosk.card." + result.status.value)
    session[MEMBER_KEY] = result.card.member_no
    return render_template("kiosk/charging/_member.html", **_context())


@bp.post("/start")
def start():
    """Ask the controller to start the tapped slot for the scanned member; the answer is polled."""
    member_no = session.get(MEMBER_KEY)
    if not member_no:
        return _refusal("kiosk.charging.scan_first")
    slot = request.form.get("slot", "")
    known = dict(slot_rows())
    if not slot.isdigit() or int(slot) not in known:
        return _refusal("kiosk.charging.reason.unknown_slot")
    slot_no = int(slot)
    timeout = _settings().operations.command_timeout_s
    if StationSession.open_for(member_no) or ChargeStart.pending_for(member_no, timeout):
        return _refusal("kiosk.charging.reason.member_charging")
    status = known[slot_no]
    if status in REFUSED_BY_STATUS:
        return _refusal("kiosk.charging.reason." + REFUSED_BY_STATUS[status], slot=slot_no)
    operations = station_operations()
    if operations is None or not operations.connected:
        return _refusal("kiosk.charging.offline")
    row = operations.request_start(slot_no, member_no)
    return render_template("kiosk/charging/_start.html", start=row, **_context())


@bp.get("/start/<command_id>")
def show_start(command_id: str):
    """A start request's outcome: polled while the controller has not answered."""
    row = ChargeStart.current(command_id[:32], _settings().operations.command_timeout_s)
    if row is None or row.member_no != session.get(MEMBER_KEY):
        abort(404)
    return render_template("kiosk/charging/_start.html", start=row, **_context())


@bp.get("/dismiss")
def dismiss():
    """Close the dialog (the empty dialog slot)."""
    return render_template("kiosk/checkin/_dialog_slot.html")
