"""The live dashboard: every station in the user's scope, refreshed while it is open."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, g

from devices.protocol import utcnow
from station_admin.core.auth import login_required
from station_admin.core.models import Station, live_stations
from station_admin.core.unknown import UnknownStation
from station_admin.live.alarms import strip_context
from station_admin.live.health import StationHealth
from waystation.web import current_settings, htmx, page_or_fragment

bp = Blueprint("dashboard", __name__)


def local_midnight(now: datetime, timezone: str) -> datetime:
    """The start of today where the stations are."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def visible_live_stations():
    """The signed-in user's stations in service (closed ones keep their history in reports) with their live state."""
    settings = current_settings()
    now = utcnow()
    stations = list(Station.visible_to(g.user).where(Station.closed_at.is_null()))
    return live_stations(stations, local_midnight(now, settings.central.timezone)), now


@bp.get("/")
@login_required("admin", "federation", "manager")
def index():
    """The dashboard page."""
    return stations()


@bp.get("/dashboard/stations")
@login_required("admin", "federation", "manager")
def stations():
    """The station cards: the fragment the page polls, or the whole page."""
    settings = current_settings()
    rows, now = visible_live_stations()
    alarms = {} if htmx else strip_context(g.user, now)  # the page's alarm strip then polls on its own
    if not htmx and g.user.role == "admin":
        alarms["unknown_stations"] = UnknownStation.select().count()
    health = StationHealth.of_stations([r.station.code for r in rows])
    return page_or_fragment("station_admin/live/dashboard/index.html", "station_admin/live/dashboard/_stations.html",
                            stations=rows, now=now, poll_seconds=settings.central.poll_seconds, health=health,
                            limits=settings.alarms, **alarms)
