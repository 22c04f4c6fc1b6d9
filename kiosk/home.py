"""The home screen: station name, free seats, charger slots, the sync badge, the check-in button, events."""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, render_template

import waystation
from devices.protocol import utcnow
from kiosk.context import broker_online
from kiosk.models import ChargerSlot, OutboxEvent, ScheduleItem, StationInfo, db
from kiosk.operations import Announcement
from waystation.web import current_settings, page_or_fragment

# At most this many events of today and of the coming week on the home screen (it must not scroll).
AGENDA_ITEMS = 2

log = logging.getLogger(__name__)
bp = Blueprint("home", __name__)


def live_state() -> dict:
    """What the live part of the screen shows, read from the kiosk's own database."""
    settings = current_settings()
    info = StationInfo.for_station(settings.kiosk.station_id)
    return {
        "online": broker_online(),
        "station": info,
        "slots": ChargerSlot.counts(info.charger_slots),
        "pending": OutboxEvent.pending_count(),
        "poll_seconds": settings.kiosk.poll_seconds,
        "announcement": Announcement.current(),
        "agenda": week_agenda(settings.kiosk.timezone),
    }


def week_agenda(timezone: str) -> dict:
    """Today's remaining events and the coming week's, from the schedule central last sent."""
    now = utcnow()
    local = now.astimezone(ZoneInfo(timezone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    tomorrow = (midnight + timedelta(days=1)).astimezone(ZoneInfo("UTC"))
    return {"today": list(ScheduleItem.between(now, tomorrow).limit(AGENDA_ITEMS)),
            "week": list(ScheduleItem.between(tomorrow, tomorrow + timedelta(days=7)).limit(AGENDA_ITEMS))}


@bp.get("/")
def index():
    """The home screen."""
    return render_template("kiosk/home/index.html", **live_state())


@bp.get("/live")
def live():
    """Seats, chargers and the sync badge; polled by the home screen."""
    return page_or_fragment("kiosk/home/index.html", "kiosk/home/_live.html", **live_state())


@bp.get("/healthz")
def healthz():
    """For the station PC itself (upgrade-station, a watchdog): the version serving and whether the database answers."""
    try:
        db.execute_sql("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure of the database is an unhealthy kiosk
        log.warning("health check: the database does not answer: %s", error)
        return jsonify(status="database", version=waystation.__version__), 503
    return jsonify(status="ok", version=waystation.__version__, station=current_settings().kiosk.station_id)
