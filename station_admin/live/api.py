"""The read-only JSON API for other systems: `Authorization: Bearer <token>` or a staff session.

`GET /api/v1/stations` pages with an opaque key-set cursor (stable while stations are added), filters
and sorts as the dashboard does, and answers `If-None-Match` with 304 when its page says the same as
before (a weak ETag over the page's content), so an integration polls cheaply (docs/api.md).
"""

from __future__ import annotations

import hashlib
import json
import logging

from flask import Blueprint, g, jsonify, request

from devices.protocol import format_time, utcnow
from station_admin.core.auth import login_required
from station_admin.live import board
from station_admin.live.dashboard import local_midnight
from waystation.web import current_language, current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.errorhandler(board.BoardError)
def bad_query(error: board.BoardError):
    """A parameter the API does not take: 400 with the reason in the caller's language, nothing else happens."""
    log.info("refused API query %s from %s: %s", error.key, g.user.username if g.user else "-", request.args)
    return {"error": translate(error.key, **error.values)}, 400


def station_json(live) -> dict:
    """One station as the API shows it."""
    return {
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
            {"device": d.device, "kind": d.kind, "online": live.device_online(d),
             "heartbeat_at": format_time(d.heartbeat_at) if d.heartbeat_at else None}
            for d in live.devices.values()
        ],
    }


@bp.get("/stations")
@login_required("admin", "federation", "manager")
def stations():
    """A page of the stations in the caller's scope with their live state, and the next page's cursor."""
    settings = current_settings()
    args = request.args
    query = board.BoardQuery.from_args(args)
    limit = board.parse_int(args, "limit", settings.central.page_size, 1, board.MAX_LIMIT)
    now = utcnow()
    page = board.cursor_page(g.user, query, args.get("cursor") or None, limit, now,
                             local_midnight(now, settings.central.timezone), settings, current_language())
    content = {"stations": [station_json(live) for live in page.stations], "next_cursor": page.next_cursor}
    etag = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]
    if request.if_none_match.contains_weak(etag):
        response = jsonify()
        response.status_code = 304
        response.set_data(b"")
    else:
        response = jsonify({"generated_at": format_time(now), **content})
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
