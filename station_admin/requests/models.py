"""Service requests and their case work: legal-aid centres, requests, status history, follow-ups.

Statuses are data (STATUSES): each is open or closed and names the statuses it may move to; an
illegal move is refused with a clear message. Every move is a StatusChange row with actor and time.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime

import peewee

from station_admin.core.models import BaseModel, District, StaffUser, Station
from waystation.db import UTCDateTimeField

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Status:
    """A request status: open or closed, and where it may go next."""

    code: str
    open: bool
    next: tuple[str, ...]


_WORK = ("contact_attempted", "contacted", "withdrawn")
_CLOSE = ("closed_resolved", "closed_unresolved", "withdrawn")
STATUSES = {s.code: s for s in (
    Status("unrouted", True, ("assigned", "withdrawn")),
    Status("assigned", True, _WORK),
    Status("contact_attempted", True, (*_WORK, "closed_unresolved")),
    Status("contacted", True, ("accepted", "referred", *_CLOSE)),
    Status("accepted", True, ("referred", *_CLOSE)),
    Status("referred", True, _CLOSE),
    Status("reopened", True, ("contact_attempted", "contacted", "accepted", "referred", *_CLOSE)),
    Status("closed_resolved", False, ("reopened",)),
    Status("closed_unresolved", False, ("reopened",)),
    Status("withdrawn", False, ("reopened",)),
)}
OPEN_STATUSES = [code for code, s in STATUSES.items() if s.open]
CLOSED_STATUSES = [code for code, s in STATUSES.items() if not s.open]
REFERRALS = ("arbitration", "court", "other")


class TransitionError(ValueError):
    """A status change the rules do not allow; `key` is the locale key of the message for staff."""

    def __init__(self, message: str, key: str = "queue.error.transition"):
        super().__init__(message)
        self.key = key


class LegalAidCentre(BaseModel):
    """A district's legal-aid (and service) centre: where the district's requests are worked."""

    district = peewee.ForeignKeyField(District, backref="centres")
    name_zh = peewee.CharField()
    name_en = peewee.CharField()

    class Meta:
        table_name = "legal_aid_centre"

    @classmethod
    def for_district(cls, district_id: int) -> LegalAidCentre | None:
        """The centre that serves a district: the one named to serve it, else the first centre in it, or None."""
        serving = (cls.select().join(CentreDistrict, on=(CentreDistrict.centre == cls.id))
                   .where(CentreDistrict.district == district_id).first())
        return serving or cls.select().where(cls.district == district_id).order_by(cls.id).first()

    def served_districts(self) -> list[District]:
        """The districts this centre is named to serve besides its own, by code."""
        return list(District.select().join(CentreDistrict, on=(CentreDistrict.district == District.id))
                    .where(CentreDistrict.centre == self.id).order_by(District.code))

    @classmethod
    def visible_to(cls, user: StaffUser):
        """The centres a user may route to or see figures of."""
        query = cls.select(cls, District).join(District).order_by(District.code, cls.id)
        if user.role == "admin":
            return query
        if user.role == "federation":
            return query.where(District.federation == user.federation_id)
        if user.role == "caseworker":
            return query.where(cls.id.in_(CentreMember.select(CentreMember.centre).where(CentreMember.user == user.id)))
        return query.where(peewee.SQL("1 = 0"))


class CentreDistrict(BaseModel):
    """A district a legal-aid centre serves besides its own (a district without a centre of its own,
    say): routing sends that district's requests there. A district is served by one centre at most.
    Its table comes from migration 12."""

    centre = peewee.ForeignKeyField(LegalAidCentre, backref="served", on_delete="CASCADE")
    district = peewee.ForeignKeyField(District, unique=True, on_delete="CASCADE")

    class Meta:
        table_name = "centre_district"


class CentreMember(BaseModel):
    """A case worker's centre (a table of its own, so staff_user keeps its columns)."""

    user = peewee.ForeignKeyField(StaffUser, unique=True, on_delete="CASCADE")
    centre = peewee.ForeignKeyField(LegalAidCentre, backref="members", on_delete="CASCADE")

    class Meta:
        table_name = "centre_member"

    @classmethod
    def centre_of(cls, user: StaffUser) -> LegalAidCentre | None:
        """The centre a case worker works for, or None."""
        row = cls.get_or_none(cls.user == user.id)
        return row.centre if row else None


def new_public_id() -> str:
    """A request's public id: R and 12 random hexadecimal digits, unrelated to its tracking code."""
    return "R" + secrets.token_hex(6).upper()


class ServiceRequest(BaseModel):
    """A rider's request for a service, as filed at a kiosk and worked at central."""

    tracking_code = peewee.CharField(unique=True, max_length=12)
    # What Open311 names it by: random, and never the tracking code (half of the rider's /m/track sign-in).
    public_id = peewee.CharField(unique=True, max_length=16, default=new_public_id)
    event_id = peewee.CharField(unique=True, max_length=32)
    station_code = peewee.CharField(index=True)
    district = peewee.ForeignKeyField(District, null=True)  # the rider's district (chosen, else the station's)
    district_code = peewee.CharField(null=True)  # as sent, kept even when central does not know it
    service = peewee.CharField()
    answers = peewee.TextField(default="{}")  # JSON question id -> choice id
    member_no = peewee.CharField(null=True)
    phone_encrypted = peewee.TextField(null=True)
    phone_hash = peewee.CharField(null=True, index=True)
    phone_last4 = peewee.CharField(null=True)
    best_time = peewee.CharField()
    filed_at = UTCDateTimeField(index=True)
    centre = peewee.ForeignKeyField(LegalAidCentre, null=True, backref="requests")
    due_at = UTCDateTimeField(index=True)
    due_estimated = peewee.BooleanField(default=False)  # a year without a loaded calendar was counted
    first_contact_at = UTCDateTimeField(null=True)
    status = peewee.CharField(index=True)
    updated_at = UTCDateTimeField()
    closed_at = UTCDateTimeField(null=True)
    mediated = peewee.BooleanField(null=True)
    amount_recovered_fen = peewee.BigIntegerField(null=True)
    referred_to = peewee.CharField(null=True)
    satisfaction = peewee.IntegerField(null=True)
    unresolved = peewee.BooleanField(default=False)  # the rider said it was not resolved
    rating_open = peewee.BooleanField(default=False)  # the rider may rate the current closure
    # When the rider's contact details (phone, its hash and last four) were erased: by retention
    # after closing (privacy.closed_case_contact_days) or at the member's request.
    contact_erased_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "service_request"

    @property
    def answer_map(self) -> dict[str, str]:
        return json.loads(self.answers)

    @property
    def is_open(self) -> bool:
        return STATUSES[self.status].open

    def overdue(self, now: datetime) -> bool:
        """Whether the first-contact deadline has passed with no contact."""
        return self.first_contact_at is None and self.is_open and self.due_at < now

    @property
    def amount_recovered_yuan(self) -> str | None:
        if self.amount_recovered_fen is None:
            return None
        return f"{self.amount_recovered_fen // 100}.{self.amount_recovered_fen % 100:02d}"

    @classmethod
    def queue(cls, centre_ids: list[int] | None, state: str = "open"):
        """Requests of these centres (None: all) by due time; state open, closed or all."""
        query = cls.select().order_by(cls.due_at, cls.id)
        if centre_ids is not None:
            query = query.where(cls.centre.in_(centre_ids))
        if state == "open":
            query = query.where(cls.status.in_(OPEN_STATUSES))
        elif state == "closed":
            query = query.where(cls.status.in_(CLOSED_STATUSES))
        return query

    @classmethod
    def at_stations(cls, codes: list[str]):
        """Requests filed at these stations, newest first."""
        return cls.select().where(cls.station_code.in_(codes)).order_by(cls.filed_at.desc(), cls.id.desc())

    @classmethod
    def unrouted(cls):
        """Requests no centre takes: the queue an admin must route by hand."""
        return cls.select().where(cls.status == "unrouted").order_by(cls.filed_at, cls.id)

    @classmethod
    def counts_by_service_and_status(cls, district_ids: list[int] | None) -> dict[tuple[str, str], int]:
        """How many requests per (service, status) in these districts (None: all)."""
        query = (cls.select(cls.service, cls.status, peewee.fn.COUNT(cls.id).alias("n"))
                 .group_by(cls.service, cls.status))
        if district_ids is not None:
            query = query.where(cls.district.in_(district_ids))
        return {(r.service, r.status): r.n for r in query}

    @classmethod
    def counts_by_centre(cls, centre_ids: list[int], now: datetime) -> dict[int, dict[str, int]]:
        """Per centre: open, closed, and open past their first-contact deadline."""
        counts = {cid: {"open": 0, "closed": 0, "overdue": 0} for cid in centre_ids}
        query = (cls.select(cls.centre, cls.status, cls.due_at, cls.first_contact_at)
                 .where(cls.centre.in_(centre_ids)))
        for row in query:
            counts[row.centre_id]["open" if row.is_open else "closed"] += 1
            counts[row.centre_id]["overdue"] += row.overdue(now)
        return counts

    @classmethod
    def for_report(cls, codes: list[str] | None, centre_ids: list[int] | None, on: str, start: datetime,
                   end: datetime):
        """Requests filed at these stations and routed to these centres (None: any) with `on`
        (filed_at or closed_at) in [start, end): the rows a service-request report counts."""
        moment = getattr(cls, on)
        query = cls.select().where(moment >= start, moment < end)
        if codes is not None:
            query = query.where(cls.station_code.in_(codes))
        if centre_ids is not None:
            query = query.where(cls.centre.in_(centre_ids))
        return query

    @classmethod
    def find_for_tracking(cls, code: str, last4: str) -> ServiceRequest | None:
        """The request with this tracking code (or a collision-suffixed twin) and phone last four."""
        candidates = cls.select().where((cls.tracking_code == code) | (cls.tracking_code.startswith(code + "-")))
        return next((r for r in candidates if r.phone_last4 and r.phone_last4 == last4), None)


class StatusChange(BaseModel):
    """One move of a request's status (or its centre), with who did it and when."""

    request = peewee.ForeignKeyField(ServiceRequest, backref="changes", on_delete="CASCADE")
    from_status = peewee.CharField(null=True)
    to_status = peewee.CharField()
    actor = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    actor_name = peewee.CharField()  # a staff user name, "system" or "rider"
    at = UTCDateTimeField()
    note = peewee.CharField(default="")

    class Meta:
        table_name = "status_change"

    @classmethod
    def history(cls, request: ServiceRequest):
        """A request's changes, oldest first."""
        return cls.select().where(cls.request == request).order_by(cls.at, cls.id)


class ContactAttempt(BaseModel):
    """A try to reach the rider by phone, reached or not."""

    OUTCOMES = ("no_answer", "busy", "wrong_number", "reached")
    request = peewee.ForeignKeyField(ServiceRequest, backref="attempts", on_delete="CASCADE")
    at = UTCDateTimeField()
    actor = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    outcome = peewee.CharField()

    class Meta:
        table_name = "contact_attempt"


class FollowUp(BaseModel):
    """A scheduled follow-up of a hardship case: a quarterly visit or the yearly review."""

    KINDS = ("visit", "review")
    request = peewee.ForeignKeyField(ServiceRequest, backref="follow_ups", on_delete="CASCADE")
    kind = peewee.CharField()
    due_on = peewee.DateField(index=True)
    done_at = UTCDateTimeField(null=True)
    done_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "follow_up"

    @classmethod
    def due_by(cls, last_day: date, centre_ids: list[int] | None):
        """Follow-ups not done and due on or before `last_day` (overdue ones too), soonest first."""
        query = (cls.select(cls, ServiceRequest).join(ServiceRequest)
                 .where(cls.done_at.is_null(), cls.due_on <= last_day).order_by(cls.due_on, cls.id))
        if centre_ids is not None:
            query = query.where(ServiceRequest.centre.in_(centre_ids))
        return query


def station_names(codes: set[str]) -> dict[str, Station]:
    """Stations by code, for labelling lists in one query."""
    return {s.code: s for s in Station.select().where(Station.code.in_(list(codes)))} if codes else {}


TABLES = [LegalAidCentre, CentreMember, ServiceRequest, StatusChange, ContactAttempt, FollowUp]
