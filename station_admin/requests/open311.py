"""Open311 GeoReport v2, read-only JSON: the service list and the requests, without personal data.

A request shows its public id (never the tracking code, which with the phone's last four digits opens
the rider's /m/track page), service, open/closed, times (+08:00; filed and updated to the hour, so a
time seen at the kiosk does not single a rider out), the station's address and coordinates as the
location, and the centre responsible. Never a phone number or its digits, member number or answer.
https://wiki.open311.org/GeoReport_v2/
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, jsonify, request

from devices.protocol import utcnow
from station_admin.core.context import current_catalogue
from station_admin.requests.models import CLOSED_STATUSES, OPEN_STATUSES, LegalAidCentre, ServiceRequest, station_names
from waystation.web import current_settings

log = logging.getLogger(__name__)
bp = Blueprint("open311", __name__, url_prefix="/open311/v2")
MAX_REQUESTS = 1000
DEFAULT_DAYS = 90


class FilterError(ValueError):
    """A query parameter Open311 clients sent wrong."""


def error(status: int, description: str):
    """An Open311 error body: a list of {code, description}."""
    return jsonify([{"code": status, "description": description}]), status


def catalogue():
    return current_catalogue()


def local(moment: datetime | None, *, to_the_hour: bool = False) -> str | None:
    """A time as ISO 8601 with the stations' offset (2026-02-13T10:00:00+08:00), cut to the hour if asked."""
    if moment is None:
        return None
    moment = moment.astimezone(ZoneInfo(current_settings().central.timezone))
    if to_the_hour:
        moment = moment.replace(minute=0, second=0, microsecond=0)
    return moment.isoformat(timespec="seconds")


@bp.get("/services.json")
def services():
    """Every service a rider can request."""
    lang = request.args.get("locale", "zh")[:2] if request.args.get("locale", "zh")[:2] in ("zh", "en") else "zh"
    return jsonify([
        {"service_code": s.open311_code, "service_name": s.name[lang], "description": s.description[lang],
         "metadata": False, "type": "batch", "keywords": ",".join(s.keywords), "group": s.group[lang]}
        for s in catalogue().services.values()
    ])


@bp.get("/requests.json")
def requests():
    """Requests matching the filters (service_code, status, start_date, end_date), newest first."""
    try:
        query = filtered(request.args)
    except FilterError as e:
        return error(400, str(e))
    return jsonify(described(list(query.limit(MAX_REQUESTS))))


@bp.get("/requests/<code>.json")
def one(code: str):
    """One request by its public id (service_request_id); a tracking code finds nothing."""
    req = ServiceRequest.get_or_none(ServiceRequest.public_id == code[:20])
    if req is None:
        return error(404, f"no request {code[:20]!r}")
    return jsonify(described([req]))


def filtered(args):
    """The request query for Open311's filters; FilterError for a bad one."""
    query = ServiceRequest.select().order_by(ServiceRequest.filed_at.desc(), ServiceRequest.id.desc())
    if args.get("service_code"):
        codes = []
        for open311_code in args["service_code"].split(","):
            service = catalogue().by_open311_code(open311_code.strip())
            if service is None:
                raise FilterError(f"unknown service_code {open311_code.strip()[:40]!r}")
            codes.append(service.code)
        query = query.where(ServiceRequest.service.in_(codes))
    if args.get("status"):
        wanted = {s.strip() for s in args["status"].split(",")}
        if not wanted <= {"open", "closed"}:
            raise FilterError("status must be open, closed or both (comma-separated)")
        statuses = (OPEN_STATUSES if "open" in wanted else []) + (CLOSED_STATUSES if "closed" in wanted else [])
        query = query.where(ServiceRequest.status.in_(statuses))
    end = parse_date(args.get("end_date"), "end_date") or utcnow()
    start = parse_date(args.get("start_date"), "start_date") or end - timedelta(days=DEFAULT_DAYS)
    if start > end:
        raise FilterError("start_date is after end_date")
    return query.where(ServiceRequest.filed_at >= start, ServiceRequest.filed_at <= end)


def parse_date(text: str | None, name: str) -> datetime | None:
    """A W3C date-time (2026-02-13T00:00:00+08:00, or a date read in the stations' time zone)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise FilterError(f"{name} is not an ISO 8601 date-time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(current_settings().central.timezone))
    return moment


def described(rows: list[ServiceRequest]) -> list[dict]:
    """The public face of requests: no phone, member number or answers."""
    stations = station_names({r.station_code for r in rows})
    centre_ids = {r.centre_id for r in rows if r.centre_id}
    centres = {c.id: c for c in LegalAidCentre.select().where(LegalAidCentre.id.in_(list(centre_ids)))} \
        if centre_ids else {}
    out = []
    for r in rows:
        service = catalogue().get(r.service)
        station = stations.get(r.station_code)
        centre = centres.get(r.centre_id)
        out.append({
            "service_request_id": r.public_id,
            "status": "open" if r.is_open else "closed",
            "service_code": service.open311_code if service else r.service,
            "service_name": service.name["zh"] if service else r.service,
            "agency_responsible": centre.name_zh if centre else "",
            "requested_datetime": local(r.filed_at, to_the_hour=True),
            "updated_datetime": local(r.updated_at, to_the_hour=True),
            "expected_datetime": local(r.due_at),
            "address": station.address if station else "",
            "lat": station.latitude if station else None,
            "long": station.longitude if station else None,
        })
    return out
