"""The hardship register's rules: who sees and does what, what a form must hold, the derived statuses.

Each change writes its audit entry (with before and after) in the caller's transaction; a bad input
raises HardshipError with the locale key of its message before anything is written.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from station_admin.core.audit import audit
from station_admin.core.models import District, StaffUser, Station, StationManager
from station_admin.core.protect import DataProtector
from station_admin.hardship.models import CAUSES, DOCUMENT_KINDS, HardshipCase, HardshipDocument, HardshipVisit
from station_admin.members.models import Member
from station_admin.requests.casework import add_months, parse_yuan
from station_admin.requests.models import CentreMember, LegalAidCentre, ServiceRequest, TransitionError
from waystation import cards

log = logging.getLogger(__name__)

MAX_MEMBERS = 30
MAX_NOTE = 250
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
VISIT_EVERY_MONTHS = 3
CENSUS_EVERY_MONTHS = 12
UPLOAD_LINK_HOURS = 72  # how long a worker's phone upload link works
DUE_WINDOW_DAYS = 14  # a visit or a census shows as due this many days before its day
# What a file's first bytes must be, per type it may be: never the name or the sender's content type.
MAGIC = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
)
# The kiosk's hardship_aid answer "cause" -> the register's cause, to prefill a record from a request.
REQUEST_CAUSES = {"illness": "illness", "injury": "accident", "disaster": "disaster", "income": "unemployment",
                  "other": "other"}


class HardshipError(ValueError):
    """A refused input or action; `key` is the locale key of the message for staff."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


@dataclass(frozen=True)
class CaseState:
    """What is due on a case on a given day, derived from its dates alone."""

    pending_approval: bool
    census_due_on: date
    census: str  # ok, due, overdue
    next_visit_on: date | None  # None until the case is first approved
    visit: str  # none (not approved yet), ok, due, overdue
    review_due: bool  # circumstances changed after the latest census

    @property
    def codes(self) -> list[str]:
        """The statuses to show, as locale keys under hardship.state."""
        codes = ["pending_approval"] if self.pending_approval else []
        codes += [f"census_{self.census}"] if self.census != "ok" else []
        codes += [f"visit_{self.visit}"] if self.visit in ("due", "overdue") else []
        return codes + (["review_due"] if self.review_due else [])


def _due(day: date, today: date) -> str:
    if today > day:
        return "overdue"
    return "due" if today >= day - timedelta(days=DUE_WINDOW_DAYS) else "ok"


def state_of(case: HardshipCase, last_visit_on: date | None, today: date, timezone: str) -> CaseState:
    """The case's statuses on `today` (local date): census, visit and review due or not, approval pending."""
    census_due_on = add_months(case.census_on, CENSUS_EVERY_MONTHS)
    next_visit_on, visit = None, "none"
    if case.approved_at is not None:
        approved_on = case.approved_at.astimezone(ZoneInfo(timezone)).date()
        base = max(approved_on, last_visit_on) if last_visit_on else approved_on
        next_visit_on = add_months(base, VISIT_EVERY_MONTHS)
        visit = _due(next_visit_on, today)
    return CaseState(
        pending_approval=case.approved_at is None or case.approved_at < case.recorded_at,
        census_due_on=census_due_on, census=_due(census_due_on, today), next_visit_on=next_visit_on, visit=visit,
        review_due=case.changed_at is not None and case.changed_at > case.recorded_at)


def states(cases: list[HardshipCase], today: date, timezone: str) -> list[tuple[HardshipCase, CaseState]]:
    """Each case with its state on `today`, in two queries whatever their number."""
    last = HardshipCase.last_visits([c.id for c in cases])
    return [(c, state_of(c, last.get(c.id), today, timezone)) for c in cases]


# Who may do what

def caseworker_districts(user: StaffUser) -> list[int]:
    """The districts whose cases a case worker works: those their centre serves (its own, and any it is
    named to serve), as request routing reads them (LegalAidCentre.for_district)."""
    centre = CentreMember.centre_of(user) if user.role == "caseworker" else None
    if centre is None:
        return []
    candidates = [centre.district_id, *(d.id for d in centre.served_districts())]
    return [d for d in dict.fromkeys(candidates) if (serving := LegalAidCentre.for_district(d)) and
            serving.id == centre.id]


def own_district_ids(user: StaffUser) -> list[int] | None:
    """The districts whose cases the user may open (None: all, for admins)."""
    return None if user.role == "admin" else caseworker_districts(user)


def may_view(user: StaffUser, case: HardshipCase) -> bool:
    """Admins and the case's district case workers open a case and its documents; nobody else."""
    return user.role == "admin" or case.district_id in caseworker_districts(user)


def may_approve(user: StaffUser, case: HardshipCase) -> bool:
    """The district union approves: one who may open the case and did not record this census."""
    return may_view(user, case) and user.id != case.recorded_by_id


def recording_stations(user: StaffUser) -> list[Station]:
    """The stations a user may record a case at: a manager's own; district staff and admins any of theirs."""
    if user.role == "manager":
        return list(Station.select().join(StationManager, on=StationManager.station == Station.id)
                    .where(StationManager.user == user.id).order_by(Station.code))
    query = Station.select().order_by(Station.code)
    if user.role == "caseworker":
        query = query.where(Station.district.in_(caseworker_districts(user)))
    return list(query) if user.role in ("admin", "caseworker") else []


def recording_districts(user: StaffUser) -> list[District]:
    """The districts a user may record a case in."""
    if user.role == "admin":
        return list(District.select().order_by(District.code))
    if user.role == "caseworker":
        return list(District.select().where(District.id.in_(caseworker_districts(user))).order_by(District.code))
    if user.role == "manager":
        return list(District.select().where(District.id.in_([s.district_id for s in recording_stations(user)]))
                    .order_by(District.code))
    return []


# Forms

@dataclass(frozen=True)
class Figures:
    """What a census records: cause, household, income, the line, the day, the card number."""

    cause: str
    household_members: int
    household_income_fen: int
    assistance_line_fen: int
    census_on: date
    member_no: str | None

    def as_dict(self) -> dict:
        return {"cause": self.cause, "household_members": self.household_members,
                "household_income_fen": self.household_income_fen, "assistance_line_fen": self.assistance_line_fen,
                "census_on": self.census_on.isoformat(), "member_no": self.member_no}


def parse_figures(form, today: date) -> Figures:
    """The census figures from a staff form; HardshipError naming the first bad field."""
    cause = form.get("cause", "")
    if cause not in CAUSES:
        raise HardshipError("hardship.error.cause")
    members_text = form.get("household_members", "").strip()
    if not (members_text.isascii() and members_text.isdigit() and 1 <= int(members_text) <= MAX_MEMBERS):
        raise HardshipError("hardship.error.members")
    income = _yuan(form.get("household_income", ""), "hardship.error.income")
    line = _yuan(form.get("assistance_line", ""), "hardship.error.line")
    if line == 0:
        raise HardshipError("hardship.error.line")
    census_on = parse_day(form.get("census_on", ""), today, "hardship.error.census_on")
    member_no = form.get("member_no", "").strip().upper() or None
    if member_no is not None and (not cards.MEMBER_NO_RE.match(member_no)
                                  or not Member.select().where(Member.member_no == member_no).exists()):
        raise HardshipError("hardship.error.member_no")
    return Figures(cause, int(members_text), income, line, census_on, member_no)


def _yuan(text: str, key: str) -> int:
    try:
        fen = parse_yuan(text)
    except TransitionError:
        raise HardshipError(key) from None
    if fen is None:
        raise HardshipError(key)
    return fen


def parse_day(text: str, today: date, key: str) -> date:
    """A YYYY-MM-DD day no later than today and no more than a year back."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise HardshipError(key) from None
    if day > today or day < today - timedelta(days=366):
        raise HardshipError(key)
    return day


# Changes

def record(figures: Figures, district: District, station_code: str | None, request: ServiceRequest | None,
           actor: StaffUser, now: datetime) -> HardshipCase:
    """Step one: a station or the district records a case (pending the district union's approval)."""
    if request is not None and HardshipCase.select().where(HardshipCase.request == request).exists():
        raise HardshipError("hardship.error.request_taken")
    case = HardshipCase.create(district=district, station_code=station_code, request=request,
                               cause=figures.cause, household_members=figures.household_members,
                               household_income_fen=figures.household_income_fen,
                               assistance_line_fen=figures.assistance_line_fen, census_on=figures.census_on,
                               member_no=figures.member_no, recorded_at=now, recorded_by=actor)
    audit("hardship.record", "hardship", case.id, actor=actor, before=None,
          after={**figures.as_dict(), "district": district.code, "station": station_code,
                 "request": request.id if request else None})
    return case


def recensus(case: HardshipCase, figures: Figures, actor: StaffUser, now: datetime) -> None:
    """A new census (yearly, or after a change in circumstances): new figures, to be approved again."""
    if figures.census_on < case.census_on:
        raise HardshipError("hardship.error.census_older")
    before = _figures_of(case).as_dict()
    for name, value in vars(figures).items():
        setattr(case, name, value)
    case.recorded_at, case.recorded_by = now, actor
    case.save()
    audit("hardship.census", "hardship", case.id, actor=actor, before=before, after=figures.as_dict())


def _figures_of(case: HardshipCase) -> Figures:
    return Figures(case.cause, case.household_members, case.household_income_fen, case.assistance_line_fen,
                   case.census_on, case.member_no)


def approve(case: HardshipCase, actor: StaffUser, now: datetime) -> None:
    """Step two: the district union approves the latest census; never the one who recorded it."""
    if not may_approve(actor, case):
        raise HardshipError("hardship.error.same_user")
    if case.approved_at is not None and case.approved_at >= case.recorded_at:  # approved since last recorded
        raise HardshipError("hardship.error.approved")
    before = {"approved_census_on": _iso(case.approved_census_on), "approved_by": case.approved_by_id}
    case.approved_census_on, case.approved_at, case.approved_by = case.census_on, now, actor
    case.save()
    audit("hardship.approve", "hardship", case.id, actor=actor, before=before,
          after={"approved_census_on": case.census_on.isoformat(), "approved_by": actor.id})


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def report_change(case: HardshipCase, note: str, actor: StaffUser, now: datetime) -> None:
    """Circumstances changed: the case needs a review (a new census) from now on."""
    note = note.strip()
    if not note or len(note) > MAX_NOTE:
        raise HardshipError("hardship.error.note")
    before = {"changed_at": case.changed_at.isoformat() if case.changed_at else None, "change_note": case.change_note}
    case.changed_at, case.change_note = now, note
    case.save()
    audit("hardship.change", "hardship", case.id, actor=actor, before=before,
          after={"changed_at": now.isoformat(), "change_note": note})


def record_visit(case: HardshipCase, visited_on: date, note: str, actor: StaffUser, now: datetime) -> HardshipVisit:
    """A visit to the worker, on a day not before the census; visits start once the case is approved."""
    if case.approved_at is None:
        raise HardshipError("hardship.error.not_approved")
    if visited_on < case.census_on:
        raise HardshipError("hardship.error.visit_before_census")
    if len(note.strip()) > MAX_NOTE:
        raise HardshipError("hardship.error.note")
    visit = HardshipVisit.create(case=case, visited_on=visited_on, by=actor, note=note.strip(), recorded_at=now)
    audit("hardship.visit", "hardship", case.id, actor=actor, before=None,
          after={"visit": visit.id, "visited_on": visited_on.isoformat()})
    return visit


def sniff(data: bytes, filename: str) -> str:
    """The content type a document's bytes show, if its name says the same type; HardshipError otherwise."""
    lowered = filename.lower()
    for magic, content_type, suffixes in MAGIC:
        if lowered.endswith(suffixes):
            if data.startswith(magic):
                return content_type
            raise HardshipError("hardship.error.disguised")
    raise HardshipError("hardship.error.file_type")


def add_uploaded(case: HardshipCase, kind: str, sent, source: str, protector: DataProtector,
                 actor: StaffUser | None, now: datetime) -> HardshipDocument:
    """A document from an upload form (staff page or the rider's phone): read no more than the limit allows."""
    if sent is None or not sent.filename:
        raise HardshipError("hardship.error.file_empty")
    data = sent.stream.read(MAX_DOCUMENT_BYTES + 1)
    return add_document(case, kind, sent.filename, data, source, protector, actor, now)


def add_document(case: HardshipCase, kind: str, filename: str, data: bytes, source: str,
                 protector: DataProtector, actor: StaffUser | None, now: datetime) -> HardshipDocument:
    """Store a document encrypted, after checking its kind, size and type by its first bytes."""
    if kind not in DOCUMENT_KINDS:
        raise HardshipError("hardship.error.kind")
    if not data:
        raise HardshipError("hardship.error.file_empty")
    if len(data) > MAX_DOCUMENT_BYTES:
        raise HardshipError("hardship.error.file_size")
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()[:120] or "document"
    content_type = sniff(data, name)
    document = HardshipDocument.create(case=case, kind=kind, filename=name, content_type=content_type,
                                       size=len(data), content=protector.encrypt_bytes(data, "document"),
                                       source=source, uploaded_at=now, uploaded_by=actor)
    audit("hardship.document", "hardship", case.id, actor=actor, before=None,
          after={"document": document.id, "kind": kind, "content_type": content_type, "size": len(data),
                 "source": source})
    return document


def read_document(document: HardshipDocument, protector: DataProtector, actor: StaffUser) -> bytes:
    """A document's clear bytes, with the read audited."""
    data = protector.decrypt_bytes(document.content, "document")
    audit("hardship.document_view", "hardship", document.case_id, actor=actor, document=document.id)
    return data


def upload_token(case: HardshipCase, protector: DataProtector, now: datetime, actor: StaffUser) -> str:
    """A link token the worker's phone uploads documents to this case with, for UPLOAD_LINK_HOURS; audited."""
    expires = int((now + timedelta(hours=UPLOAD_LINK_HOURS)).timestamp())
    payload = f"{case.id}.{expires}"
    audit("hardship.upload_link", "hardship", case.id, actor=actor, expires=expires)
    return f"{payload}.{protector.link_mac('hardship-upload', payload)}"


def case_for_token(token: str, protector: DataProtector, now: datetime) -> HardshipCase | None:
    """The case a phone upload token is for, if the token is genuine and still valid; else None."""
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isalnum() for p in parts) or not parts[0].isdigit() \
            or not parts[1].isdigit() or len(parts[0]) > 12 or len(parts[1]) > 12:
        return None
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(parts[2], protector.link_mac("hardship-upload", payload)):
        return None
    if int(parts[1]) < now.timestamp():
        return None
    return HardshipCase.get_or_none(HardshipCase.id == int(parts[0]))
