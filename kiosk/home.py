"""The home screen: station name, free seats, charger slots, the sync badge, the check-in button."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from kiosk.models import ChargerSlot, OutboxEvent, StationInfo
from kiosk.operations import Announcement
from waystation.web import page_or_fragment

bp = Blueprint("home", __name__)


def live_state() -> dict:
    """What the live part of the screen shows, read from the kiosk's own database."""
    settings = current_app.extensions["waystation.settings"]
    info = StationInfo.for_station(settings.kiosk.station_id)
    connected = current_app.extensions.get("waystation.broker_connected")
    return {
        "online": connected is not None and connected.is_set(),
        "station": info,
        "slots": ChargerSlot.counts(info.charger_slots),
        "pending": OutboxEvent.pending_count(),
        "poll_seconds": settings.kiosk.poll_seconds,
        "announcement": Announcement.current(),
    }


@bp.get("/")
def index():
    """The home screen."""
    return render_template("kiosk/home/index.html", **live_state())


@bp.get("/live")
def live():
    """Seats, chargers and the sync badge; polled by the home screen."""
    return page_or_fragment("kiosk/home/index.html", "kiosk/home/_live.html", **live_state())
