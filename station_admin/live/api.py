"""The read-only JSON API for other systems: `Authorization: Bearer <token>` or a staff session."""

from __future__ import annotations

from flask import Blueprint

from devices.protocol import format_time
from station_admin.core.auth import login_required
from station_admin.live.dashboard import visible_live_stations

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/stations")
@login_required("admin", "federation", "manager")
def stations():
    """Every station in the caller's scope with its live state."""
    rows, now = visible_live_stations()
    return {
        "generated_at": format_time(now),
        "stations": [
            {
                "code": live.station.code,
                "name": {"zh": live.station.name_zh, "en": live.station.name_en},
                "district": live.station.district.code,
                "online": live.online,
                "capacity": live.station.capacity,
                "people_inside": live.people_inside,
                "free_seats": live.free_seats,
                "occupancy_at": format_time(live.occupancy_at) if live.occupancy_at else None,
                "check_ins_today": live.check_ins_today,
                "kiosk_backlog": live.backlog,
                "charger_slots": live.slots,
                "devices": [
                    {"device": d.device, "kind": d.kind, "online": d.online,
                     "heartbeat_at": format_time(d.heartbeat_at) if d.heartbeat_at else None}
                    for d in live.devices.values()
                ],
            }
            for live in rows
        ],
    }
