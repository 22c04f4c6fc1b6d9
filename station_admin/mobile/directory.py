"""The public station directory on riders' phones (/m/stations): open now, free seats and chargers,
services, a mobile station's location today; and a CSV with WGS84 and GCJ-02 coordinates."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request

from devices.protocol import utcnow
from station_admin.community.opening import (
    SERVICES,
    OpeningInterval,
    StationLocation,
    hours_today,
    is_open,
    local_midnight,
)
from station_admin.core.models import District, LiveStation, Station, live_stations
from waystation.geo import wgs84_to_gcj02
from waystation.web import current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("directory", __name__, url_prefix="/m")
SORTS = ("district", "name")


@dataclass
class DirectoryEntry:
    """One station as the directory shows it."""

    live: LiveStation
    open_now: bool
    hours: list[str]
    services: list[str]
    location: StationLocation | None

    @property
    def station(self) -> Station:
        return self.live.station

    @property
    def free_chargers(self) -> int | None:
        """Available slots, or None while the charger controller is offline."""
        if not self.station.charger_slots:
            return 0
        counts = self.live.slot_counts()
        return None if counts.get("offline", 0) == self.station.charger_slots else counts.get("available", 0)

    @property
    def coordinates(self) -> tuple[float, float] | None:
        """WGS84 (lat, lon): today's reported place for a mobile station, else the stored one."""
        if self.location is not None:
            return self.location.latitude, self.location.longitude
        if self.station.latitude is None or self.station.longitude is None:
            return None
        return self.station.latitude, self.station.longitude


def directory(local: datetime, sort: str) -> list[DirectoryEntry]:
    """Every station with what the directory shows, at a local moment, in the asked order."""
    stations = list(Station.select(Station, District).join(District))
    midnight = local_midnight(local)
    lives = live_stations(stations, midnight.astimezone(ZoneInfo("UTC")))
    intervals = OpeningInterval.by_station([s.id for s in stations])
    locations = StationLocation.today([s.code for s in stations if s.mobile], midnight.astimezone(ZoneInfo("UTC")))
    entries = [DirectoryEntry(live, is_open(live.station.always_open, intervals[live.station.id], local),
                              hours_today(intervals[live.station.id], local.weekday()),
                              [c for c in live.station.services.split(",") if c in SERVICES],
                              locations.get(live.station.code))
               for live in lives]
    if sort == "name":
        return sorted(entries, key=lambda e: (e.station.name_zh, e.station.code))
    return sorted(entries, key=lambda e: (e.station.district.code, e.station.name_zh, e.station.code))


def _local_now() -> datetime:
    return utcnow().astimezone(ZoneInfo(current_settings().central.timezone))


@bp.get("/stations/")
def index():
    """The directory page."""
    sort = request.args.get("sort", "district")
    if sort not in SORTS:
        return render_template("station_admin/mobile/directory/index.html", entries=[], sort="district",
                               error=translate("directory.error_sort")), 400
    return render_template("station_admin/mobile/directory/index.html", entries=directory(_local_now(), sort),
                           sort=sort, error=None)


@bp.get("/stations.csv")
def export():
    """Every station with WGS84 and GCJ-02 (Chinese map apps) coordinates, as CSV."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "name_zh", "name_en", "district", "address", "mobile", "open_now", "free_seats",
                     "free_chargers", "services", "wgs84_lat", "wgs84_lon", "gcj02_lat", "gcj02_lon"])
    for entry in directory(_local_now(), "district"):
        s = entry.station
        coords = entry.coordinates
        gcj = wgs84_to_gcj02(*coords) if coords else None
        writer.writerow([s.code, s.name_zh, s.name_en, s.district.code, s.address, "yes" if s.mobile else "no",
                         "yes" if entry.open_now else "no", _blank(entry.live.free_seats),
                         _blank(entry.free_chargers), " ".join(entry.services),
                         *(f"{v:.6f}" for v in coords or ()), *(f"{v:.6f}" for v in gcj or ())]
                        + ([""] * 4 if coords is None else []))
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")  # the BOM lets Excel read the Chinese
    response.headers["Content-Disposition"] = 'attachment; filename="stations.csv"'
    return response


def _blank(value) -> str:
    return "" if value is None else str(value)
