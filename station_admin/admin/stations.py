"""Stations as staff set them up: every field of the domain, checked before anything is written,
opening hours through community.opening, closing that keeps history, and the station codes that
send data although central has no such station yet.

A change reaches the station's kiosk in the retained station configuration central publishes
(node.publishers.StationConfigPublisher notices changed configurations by itself).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime

from devices.protocol import ID_RE
from station_admin.admin.refusal import Refused
from station_admin.community.opening import SERVICES, OpeningInterval, parse_interval, set_hours
from station_admin.core.audit import audit
from station_admin.core.models import District, StaffUser, Station, db
from station_admin.core.unknown import UnknownStation
from station_admin.live.shared import stations_changed
from waystation.geo import out_of_china, valid_wgs84

log = logging.getLogger(__name__)

NAME_MAX = 80  # what the station configuration carries (devices.protocol.station_config)
ADDRESS_MAX = 200
MAX_SEATS = 1000
MAX_SLOTS = 64
WEEKDAYS = range(7)


@dataclass
class StationFacts:
    """Everything staff set about a station (the district by code, hours as weekday → intervals)."""

    code: str
    district: str
    name_zh: str
    name_en: str
    capacity: int
    charger_slots: int = 0
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None
    services: tuple[str, ...] = ()
    always_open: bool = False
    mobile: bool = False
    hours: dict[int, list[tuple[str, str]]] = field(default_factory=dict)


def facts_of(station: Station) -> StationFacts:
    """A stored station's facts (what the edit form starts from and the audit log keeps)."""
    hours: dict[int, list[tuple[str, str]]] = {}
    for interval in OpeningInterval.by_station([station.id])[station.id]:
        hours.setdefault(interval.weekday, []).append((interval.opens, interval.closes))
    return StationFacts(code=station.code, district=station.district.code, name_zh=station.name_zh,
                        name_en=station.name_en, capacity=station.capacity, charger_slots=station.charger_slots,
                        address=station.address, latitude=station.latitude, longitude=station.longitude,
                        services=tuple(s for s in station.services.split(",") if s), always_open=station.always_open,
                        mobile=station.mobile, hours=hours)


def _audit_view(facts: StationFacts) -> dict:
    view = dict(facts.__dict__)
    view["hours"] = {str(day): [f"{a}-{b}" for a, b in intervals] for day, intervals in sorted(facts.hours.items())
                     if intervals}
    view["services"] = list(facts.services)
    return view


def _minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:])


def _overlap(intervals: list[tuple[str, str]]) -> bool:
    spans = sorted((_minutes(a), _minutes(b) if _minutes(b) > _minutes(a) else 24 * 60) for a, b in intervals)
    return any(later[0] < earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))


def problems_of(facts: StationFacts, station: Station | None = None, *, codes: set[str] | None = None,
                districts: set[str] | None = None) -> list[tuple[str, dict]]:
    """Everything wrong with these facts (empty when they can be saved); `station` when changing one.

    `codes` and `districts` (every station code and district code) save a file import two queries a row.
    """
    problems: list[tuple[str, dict]] = []
    if station is None:
        if not ID_RE.match(facts.code):
            problems.append(("manage.error.code", {}))
        elif (facts.code in codes if codes is not None
              else Station.select().where(Station.code == facts.code).exists()):
            problems.append(("manage.error.code_taken", {"code": facts.code}))
    elif facts.code != station.code:
        problems.append(("manage.error.code_fixed", {}))
    if not (facts.district in districts if districts is not None
            else District.select().where(District.code == facts.district).exists()):
        problems.append(("manage.error.district", {"code": facts.district}))
    if not facts.name_zh or not facts.name_en or len(facts.name_zh) > NAME_MAX or len(facts.name_en) > NAME_MAX:
        problems.append(("manage.error.names", {"max": NAME_MAX}))
    if len(facts.address) > ADDRESS_MAX:
        problems.append(("manage.error.address", {"max": ADDRESS_MAX}))
    if (facts.latitude is None) != (facts.longitude is None):
        problems.append(("manage.error.coordinates_pair", {}))
    elif facts.latitude is not None and (
            not valid_wgs84(facts.latitude, facts.longitude) or math.isnan(facts.latitude)
            or math.isnan(facts.longitude) or out_of_china(facts.latitude, facts.longitude)):
        problems.append(("manage.error.coordinates", {}))
    if not 0 <= facts.capacity <= MAX_SEATS:
        problems.append(("manage.error.seats", {"max": MAX_SEATS}))
    if not 0 <= facts.charger_slots <= MAX_SLOTS:
        problems.append(("manage.error.slots", {"max": MAX_SLOTS}))
    unknown = sorted(set(facts.services) - set(SERVICES))
    if unknown:
        problems.append(("manage.error.services", {"codes": ", ".join(unknown)}))
    for day, intervals in facts.hours.items():
        if day not in WEEKDAYS:
            problems.append(("manage.error.weekday", {}))
        elif any(parse_interval(f"{a}-{b}") is None for a, b in intervals):
            problems.append(("manage.error.hours", {"weekday": day}))
        elif _overlap(intervals):
            problems.append(("manage.error.hours_overlap", {"weekday": day}))
    return problems


def save_station(facts: StationFacts, station: Station | None = None, actor: StaffUser | None = None,
                 unreadable: list[tuple[str, dict]] = ()) -> Station:
    """Create a station, or change one (its code stays: the wire and its history use it); Refused when wrong.

    Creating a station whose code already sent data keeps what it sent: that data is stored under
    the code, and the station is no longer listed as unknown.
    """
    with db.atomic():
        problems = [*unreadable, *problems_of(facts, station)]
        if problems:
            raise Refused(problems)
        before = _audit_view(facts_of(station)) if station else None
        district = District.get(District.code == facts.district)
        station = station or Station(code=facts.code)
        station.district = district
        station.name_zh, station.name_en, station.address = facts.name_zh, facts.name_en, facts.address
        station.latitude, station.longitude = facts.latitude, facts.longitude
        station.capacity, station.charger_slots = facts.capacity, facts.charger_slots
        station.services = ",".join(s for s in SERVICES if s in facts.services)
        station.always_open, station.mobile = facts.always_open, facts.mobile
        station.save()
        set_hours(station, {day: intervals for day, intervals in facts.hours.items() if intervals})
        was_unknown = UnknownStation.delete().where(UnknownStation.station_code == station.code).execute() > 0
        audit("station.change" if before else "station.add", "station", station.code, actor=actor, before=before,
              after=_audit_view(facts_of(station)), **({"was_unknown": True} if was_unknown else {}))
    stations_changed()
    log.info("station %s %s", station.code, "changed" if before else "created")
    return station


def set_closed(station: Station, closed: bool, now: datetime, actor: StaffUser | None = None) -> None:
    """Close a station for good (its row and all its history stay) or open it again."""
    with db.atomic():
        before = station.closed_at
        station.closed_at = now if closed else None
        station.save()
        audit("station.close" if closed else "station.reopen", "station", station.code, actor=actor,
              before={"closed_at": before}, after={"closed_at": station.closed_at})
    stations_changed()


def _number(text: str, kind, key: str, problems: list) -> float | int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        problems.append((key, {}))
        return None
    if isinstance(value, float) and not math.isfinite(value):
        problems.append((key, {}))
        return None
    return value


def facts_from_form(form, code: str | None = None) -> tuple[StationFacts, list[tuple[str, dict]]]:
    """Station facts from the admin form, and what in it cannot even be read (numbers, hours).

    An unreadable value stands in as empty or 0; pass the problems on to save_station, which refuses
    them with everything else that is wrong.
    """
    problems: list[tuple[str, dict]] = []
    latitude = _number(form.get("latitude"), float, "manage.error.coordinates", problems)
    longitude = _number(form.get("longitude"), float, "manage.error.coordinates", problems)
    capacity = _number(form.get("capacity"), int, "manage.error.seats_number", problems)
    slots = _number(form.get("charger_slots"), int, "manage.error.slots_number", problems)
    hours: dict[int, list[tuple[str, str]]] = {}
    for day in WEEKDAYS:
        text = form.get(f"hours_{day}", "").strip()
        intervals = [parse_interval(part) for part in text.replace("，", ",").split(",") if part.strip()]
        if any(i is None for i in intervals):
            problems.append(("manage.error.hours", {"weekday": day}))
        hours[day] = [i for i in intervals if i is not None]
    facts = StationFacts(
        code=(code if code is not None else form.get("code", "")).strip(), district=form.get("district", ""),
        name_zh=" ".join(form.get("name_zh", "").split()), name_en=" ".join(form.get("name_en", "").split()),
        address=" ".join(form.get("address", "").split()), latitude=latitude, longitude=longitude,
        capacity=capacity or 0, charger_slots=slots or 0,
        services=tuple(form.getlist("services")), always_open=form.get("always_open") == "yes",
        mobile=form.get("mobile") == "yes", hours=hours)
    if capacity is None and not (form.get("capacity") or "").strip():
        problems.append(("manage.error.seats_number", {}))
    unique: list[tuple[str, dict]] = []
    for problem in problems:
        if problem not in unique:
            unique.append(problem)
    return facts, unique


def unknown_stations() -> list[UnknownStation]:
    """Station codes sending data that central has no station for, most recently heard first."""
    return list(UnknownStation.select().order_by(UnknownStation.last_seen_at.desc()))
