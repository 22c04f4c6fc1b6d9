"""Filing service requests the way ingest does, for the request tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from devices.protocol import events
from station_admin.core.models import db
from station_admin.node.ingest import on_events
from station_admin.requests.casework import Intake
from station_admin.requests.models import ServiceRequest
from waystation.sealing import seal

SHANGHAI = ZoneInfo("Asia/Shanghai")
ANSWERS = {
    "legal_aid": {"matter": "wages", "work": "delivery"},
    "hardship_aid": {"cause": "illness", "household": "dependants"},
    "counselling": {"topic": "stress", "way": "phone"},
    "health_check": {"kind": "heat"},
    "other": {"topic": "station"},
}
_seq = iter(range(1, 10**9))


def intake_of(app) -> Intake:
    """The ingest intake with the app's own catalogue and data key."""
    return Intake(app.extensions["waystation.services"], app.extensions["waystation.protector"], "Asia/Shanghai")


def local(*parts) -> datetime:
    """A Shanghai wall-clock time."""
    return datetime(*parts, tzinfo=SHANGHAI)


def body(app, service="legal_aid", phone="13812345678", member_no=None, district=None, answers=None,
         code=None, best_time="evening", last4=None):
    """A service_request body: a non-member with a sealed mobile unless member_no is given."""
    sealed = None if member_no else seal(app.extensions["waystation.protector"].sealing_public_key, phone)
    last4 = last4 if last4 is not None else (None if member_no else phone[-4:])
    return events.ServiceRequest(service, code or events.new_tracking_code(),
                                 tuple(sorted((answers or ANSWERS[service]).items())), best_time, district,
                                 member_no, sealed, last4)


def file(app, station="xh-longhua", at=None, **kwargs) -> ServiceRequest | None:
    """File one request through on_events (as ingest does) and return what central stored."""
    b = body(app, **kwargs)
    event = events.StationEvent(station, events.new_event_id(), next(_seq), at or local(2026, 3, 2, 10, 0), b)
    with app.app_context(), db.connection_context(), db.atomic():
        on_events([event], intake_of(app))
        return ServiceRequest.get_or_none(ServiceRequest.event_id == event.event_id)
