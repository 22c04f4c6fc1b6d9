"""Case work on service requests: filing from kiosk events, routing, deadlines, status moves, outcomes.

Views and the ingest worker call these functions; each writes its StatusChange and audit entry in
the caller's transaction.
"""

from __future__ import annotations

import calendar
import json
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from devices.protocol import events
from station_admin.core.audit import audit
from station_admin.core.models import District, StaffUser, Station
from station_admin.core.protect import DataProtector, is_mobile, normalise_mobile
from station_admin.members.models import Member
from station_admin.requests.models import (
    REFERRALS,
    STATUSES,
    CentreMember,
    ContactAttempt,
    FollowUp,
    LegalAidCentre,
    ServiceRequest,
    StatusChange,
    TransitionError,
)
from station_admin.requests.workdays import COUNTINGS, WorkdayCalendar
from waystation.sealing import SealError
from waystation.services import Catalogue, Service, load_services

log = logging.getLogger(__name__)

MAX_AMOUNT_FEN = 10_000_000 * 100
YUAN_RE = re.compile(r"^[0-9]{1,8}(\.[0-9]{1,2})?$")  # not \d: it takes full-width digits too
FOLLOW_UP_MONTHS = (3, 6, 9, 12)


@dataclass(frozen=True)
class Intake:
    """What filing a request needs: the service catalogue, the data protector, the local time zone, the counting."""

    catalogue: Catalogue
    protector: DataProtector
    timezone: str
    counting: str = COUNTINGS[0]  # requests.deadline_counting

    @classmethod
    def from_settings(cls, settings, protector: DataProtector | None = None) -> Intake:
        """The intake for these settings; pass the web app's protector when both run in one process."""
        return cls(load_services(settings.requests.services_file or None),
                   protector or DataProtector(settings.secret("central.data_key")), settings.central.timezone,
                   settings.requests.deadline_counting)

    def problems(self, body: events.ServiceRequest) -> list[str]:
        """Why a service request event cannot be filed (empty when it can)."""
        return request_problems(body, self.catalogue, self.protector)


def request_problems(body: events.ServiceRequest, catalogue: Catalogue, protector) -> list[str]:
    """Why a service request event cannot be filed (empty when it can): catalogue and contact checks."""
    problems = catalogue.request_problems(body.service, body.answer_map, body.best_time)
    if body.contact_sealed is not None:
        try:
            phone = protector.unseal(body.contact_sealed)
        except SealError as e:
            return [*problems, f"contact_sealed does not open: {e}"]
        if not is_mobile(phone):
            problems.append("contact_sealed is not a mainland mobile number")
        elif normalise_mobile(phone)[-4:] != body.phone_last4:
            problems.append("phone_last4 does not match the sealed mobile number")
    return problems


def route(service: Service, district: District | None, station: Station | None) -> LegalAidCentre | None:
    """The centre a request goes to by its service's routing rule, or None (unroutable)."""
    target = district if service.routing == "rider_district" else (station.district if station else None)
    if target is None:
        return None
    return LegalAidCentre.for_district(target.id)


def file_requests(batch: list[events.StationEvent], catalogue: Catalogue, protector, now: datetime,
                  timezone: str, counting: str = COUNTINGS[0]) -> list[ServiceRequest]:
    """Create, route and date a request for each new service_request event (the caller's transaction)."""
    if not batch:
        return []
    workdays = WorkdayCalendar.load()
    filed = []
    for event in batch:
        body = event.body
        problems = request_problems(body, catalogue, protector)
        if problems:
            log.warning("service request %s from %s not filed: %s", event.event_id, event.station, "; ".join(problems))
            continue
        service = catalogue.get(body.service)
        station = Station.select(Station, District).join(District).where(Station.code == event.station).first()
        district_code = body.district or (station.district.code if station else None)
        district = District.get_or_none(District.code == district_code) if district_code else None
        centre = route(service, district, station)
        deadline = workdays.add_working_days(event.ts, service.first_contact_working_days, timezone, counting)
        phone, last4 = None, body.phone_last4
        if body.contact_sealed is not None:
            phone = protector.unseal(body.contact_sealed)
        elif (member := Member.get_or_none(Member.member_no == body.member_no)) is not None:
            # A member's request carries only the member number; central knows the number to call.
            phone = protector.decrypt(member.phone_enc)
            last4 = last4 or normalise_mobile(phone)[-4:]
        request = ServiceRequest.create(
            tracking_code=_free_tracking_code(body.tracking_code), event_id=event.event_id,
            station_code=event.station, district=district, district_code=district_code, service=service.code,
            answers=json.dumps(body.answer_map), member_no=body.member_no,
            phone_encrypted=protector.encrypt(phone) if phone else None,
            phone_hash=protector.lookup_hash(phone) if phone else None, phone_last4=last4,
            best_time=body.best_time, filed_at=event.ts, centre=centre, due_at=deadline.due_at,
            due_estimated=deadline.estimated, status="assigned" if centre else "unrouted", updated_at=now)
        note = f"centre {centre.id}" if centre else f"no centre for district {district_code!r}"
        StatusChange.create(request=request, from_status=None, to_status=request.status, actor_name="system",
                            at=now, note=note)
        audit("request.file", "request", request.id, actor=None, service=service.code, station=event.station,
              centre=centre.id if centre else None)
        if centre is None:
            log.warning("service request %s (%s at %s) cannot be routed: in the unrouted queue",
                        event.event_id, service.code, event.station)
        filed.append(request)
    return filed


def _free_tracking_code(code: str) -> str:
    """The kiosk's code, or code-2, code-3... when (rarely) another request already has it."""
    taken = {r.tracking_code for r in ServiceRequest.select(ServiceRequest.tracking_code).where(
        (ServiceRequest.tracking_code == code) | ServiceRequest.tracking_code.startswith(code + "-"))}
    if code not in taken:
        return code
    n = 2
    while f"{code}-{n}" in taken:
        n += 1
    log.warning("a tracking code is taken; stored with the suffix -%d", n)
    return f"{code}-{n}"


def unrouted_requests():
    """Requests no centre takes. The hook for the alarms subsystem: raise an alarm while non-empty."""
    return ServiceRequest.unrouted()


def move(request: ServiceRequest, to_status: str, actor: StaffUser | None, now: datetime, note: str = "",
         actor_name: str | None = None) -> StatusChange:
    """Change a request's status if the rules allow it, recording who and when."""
    if to_status not in STATUSES[request.status].next:
        raise TransitionError(f"a request that is {request.status} cannot become {to_status}")
    change = StatusChange.create(request=request, from_status=request.status, to_status=to_status, actor=actor,
                                 actor_name=actor_name or (actor.username if actor else "system"), at=now,
                                 note=note[:250])
    request.status = to_status
    request.updated_at = now
    if STATUSES[to_status].open:
        request.closed_at = None
        request.rating_open = False
    else:
        request.closed_at = now
        request.rating_open = True
    request.save()
    audit("request.status", "request", request.id, actor=actor, to=to_status, note=note[:250])
    return change


def log_attempt(request: ServiceRequest, outcome: str, actor: StaffUser, now: datetime) -> None:
    """A call to the rider; reaching them is the first contact."""
    if outcome not in ContactAttempt.OUTCOMES:
        raise TransitionError(f"unknown outcome {outcome!r}", key="queue.error.outcome")
    if outcome == "reached":
        record_contact(request, actor, now)
        ContactAttempt.create(request=request, at=now, actor=actor, outcome=outcome)
        return
    target = "contact_attempted"
    move(request, target, actor, now, note=outcome)
    ContactAttempt.create(request=request, at=now, actor=actor, outcome=outcome)


def record_contact(request: ServiceRequest, actor: StaffUser, now: datetime) -> None:
    """The rider was reached: first contact (the deadline is met or missed now)."""
    move(request, "contacted", actor, now)
    if request.first_contact_at is None:
        request.first_contact_at = now
        request.save()


def accept(request: ServiceRequest, service: Service, actor: StaffUser, now: datetime, timezone: str) -> None:
    """Take the case on; a service with follow-ups gets its visits and yearly review scheduled."""
    move(request, "accepted", actor, now)
    if service.follow_ups and not FollowUp.select().where(FollowUp.request == request).exists():
        start = now.astimezone(ZoneInfo(timezone)).date()
        rows = [{"request": request.id, "kind": "visit", "due_on": add_months(start, m)} for m in FOLLOW_UP_MONTHS]
        rows.append({"request": request.id, "kind": "review", "due_on": add_months(start, 12)})
        FollowUp.insert_many(rows).execute()


def refer(request: ServiceRequest, referred_to: str, actor: StaffUser, now: datetime) -> None:
    """Send the case on to arbitration, a court or another body."""
    if referred_to not in REFERRALS:
        raise TransitionError(f"unknown referral {referred_to!r}", key="queue.error.referral")
    move(request, "referred", actor, now, note=referred_to)
    request.referred_to = referred_to
    request.save()


def close(request: ServiceRequest, resolved: bool, mediated: bool, amount_text: str, actor: StaffUser,
          now: datetime) -> None:
    """Close with the outcome: mediated or not, amount recovered in yuan (stored in fen)."""
    fen = parse_yuan(amount_text)
    move(request, "closed_resolved" if resolved else "closed_unresolved", actor, now)
    request.mediated = mediated
    request.amount_recovered_fen = fen
    request.save()


def parse_yuan(text: str) -> int | None:
    """Fen from a yuan amount typed by staff ("1234.5"); None when blank; TransitionError when invalid."""
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    if not YUAN_RE.match(text):
        raise TransitionError(f"amount {text!r} is not a yuan amount", key="queue.error.amount")
    whole, _, cents = text.partition(".")
    fen = int(whole) * 100 + int((cents + "00")[:2])
    if fen > MAX_AMOUNT_FEN:
        raise TransitionError(f"amount {text!r} is over the limit", key="queue.error.amount")
    return fen


def reopen(request: ServiceRequest, actor: StaffUser | None, now: datetime, note: str = "",
           actor_name: str | None = None) -> None:
    """Open a closed case again (staff, or the rider saying it was not resolved)."""
    move(request, "reopened", actor, now, note=note, actor_name=actor_name)


def reroute(request: ServiceRequest, centre: LegalAidCentre, service: Service, actor: StaffUser, now: datetime,
            timezone: str, counting: str = COUNTINGS[0]) -> None:
    """Send a request to another centre; the deadline is counted again from the original filing time."""
    if not request.is_open:
        raise TransitionError("a closed request cannot be re-routed", key="queue.error.closed")
    before = request.centre_id
    deadline = WorkdayCalendar.load().add_working_days(request.filed_at, service.first_contact_working_days, timezone,
                                                       counting)
    note = f"centre {before} -> {centre.id}"
    if request.status == "unrouted":
        move(request, "assigned", actor, now, note=note)
    else:
        StatusChange.create(request=request, from_status=request.status, to_status=request.status, actor=actor,
                            actor_name=actor.username, at=now, note=note)
    request.centre = centre
    request.due_at = deadline.due_at
    request.due_estimated = deadline.estimated
    request.updated_at = now
    request.save()
    audit("request.route", "request", request.id, actor=actor, centre_from=before, centre_to=centre.id,
          due_at=deadline.due_at.isoformat())


def rate(request: ServiceRequest, score: int | None, now: datetime) -> None:
    """The rider's verdict on a closed request: 1-5, or None for "not resolved" (which reopens it)."""
    if request.is_open or not request.rating_open:
        raise TransitionError("this request cannot be rated now", key="track.error.rate")
    if score is None:
        request.unresolved = True
        request.save()
        reopen(request, None, now, note="rider: not resolved", actor_name="rider")
        return
    if not 1 <= score <= 5:
        raise TransitionError("a rating is 1 to 5", key="track.error.rate")
    request.satisfaction = score
    request.rating_open = False
    request.save()
    audit("request.rate", "request", request.id, actor=None, score=score)


def may_work_on(user: StaffUser, request: ServiceRequest) -> bool:
    """Admins work on every request, case workers on their centre's."""
    if user.role == "admin":
        return True
    if user.role == "caseworker":
        centre = CentreMember.centre_of(user)
        return centre is not None and request.centre_id == centre.id
    return False


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
