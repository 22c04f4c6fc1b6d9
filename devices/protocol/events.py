"""Kiosk events: things that happened at a station and must reach central exactly once in effect.

QoS 1, never retained. Each carries a unique id (central stores it under a unique index, so a
redelivery has no second effect), the kiosk's station-local sequence number (gap-free, in the order
the events happened), the time it happened and a kind-specific body. Later issues add kinds by
adding a body class to KINDS.
"""

from __future__ import annotations

import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from devices.protocol._base import (
    EVENT_ID_RE,
    ID_RE,
    Message,
    ProtocolError,
    TopicPattern,
    decode,
    encode,
    format_time,
    get_int,
    get_str,
    get_time,
    show,
)
from devices.protocol.identifiers import VOUCHER_NO_RE
from devices.protocol.surveys import SurveyResponse

PATTERN = TopicPattern("station/{station}/event/{kind}")
# What a member_no field may hold on the wire (looser than identifiers.MEMBER_NO_RE, the format central issues).
MEMBER_NO_FIELD_RE = re.compile(r"^[A-Z0-9]{6,20}$")
# Tracking codes: 8 characters from 32 that cannot be misread (no 0/O, no 1/I): 32**8 = 2**40 codes.
TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TRACKING_CODE_RE = re.compile(rf"^[{TRACKING_ALPHABET}]{{8}}$")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # service, district, question and choice ids
PHONE_LAST4_RE = re.compile(r"^[0-9]{4}$")
MAX_ANSWERS = 20
MAX_SEALED_CHARS = 300
MAX_FEEDBACK_CATEGORIES = 8


class EventBody(Protocol):
    """The kind-specific part of an event."""

    KIND: ClassVar[str]

    def to_fields(self) -> dict: ...


@dataclass(frozen=True)
class CheckIn:
    """A rider checked in at the kiosk: anonymously, or (later) by scanning a member card."""

    KIND: ClassVar[str] = "checkin"
    method: str = "anonymous"
    member_no: str | None = None

    def to_fields(self) -> dict:
        fields = {"method": self.method}
        if self.member_no:
            fields["member_no"] = self.member_no
        return fields

    @classmethod
    def from_fields(cls, obj: dict) -> CheckIn:
        method = get_str(obj, "method", choices={"anonymous", "card"})
        member_no = get_str(obj, "member_no", pattern=MEMBER_NO_FIELD_RE, optional=True)
        if (method == "card") != (member_no is not None):
            raise ProtocolError("field member_no is required for a card check-in and only then")
        return cls(method, member_no)


@dataclass(frozen=True)
class ServiceRequest:
    """A rider asked for a service (legal aid, hardship aid...) at the kiosk.

    The rider is identified by member number, or (non-members) by a mobile number the kiosk sealed
    to central (`contact_sealed`, see waystation.sealing): exactly one of the two. `phone_last4`
    lets the rider track the request without an account; a member's may be filled in later.
    Whether `service`, `answers` and `best_time` name real catalogue entries is checked by central
    against its service catalogue; the wire checks only their shape.
    """

    KIND: ClassVar[str] = "service_request"
    service: str
    tracking_code: str
    answers: tuple[tuple[str, str], ...]
    best_time: str
    district: str | None = None
    member_no: str | None = None
    contact_sealed: str | None = None
    phone_last4: str | None = None

    @property
    def answer_map(self) -> dict[str, str]:
        return dict(self.answers)

    def to_fields(self) -> dict:
        fields = {"service": self.service, "tracking_code": self.tracking_code, "answers": self.answer_map,
                  "best_time": self.best_time}
        for name in ("district", "member_no", "contact_sealed", "phone_last4"):
            if getattr(self, name) is not None:
                fields[name] = getattr(self, name)
        return fields

    @classmethod
    def from_fields(cls, obj: dict) -> ServiceRequest:
        answers = obj.get("answers")
        if not isinstance(answers, dict) or not 0 < len(answers) <= MAX_ANSWERS:
            raise ProtocolError(f"field answers must be an object of 1 to {MAX_ANSWERS} question ids -> choice ids")
        for question, choice in answers.items():
            if not CODE_RE.fullmatch(question) or not isinstance(choice, str) or not CODE_RE.fullmatch(choice):
                raise ProtocolError(f"field answers has a malformed entry {show(question)}: {show(choice)}")
        member_no = get_str(obj, "member_no", pattern=MEMBER_NO_FIELD_RE, optional=True)
        sealed = get_str(obj, "contact_sealed", max_len=MAX_SEALED_CHARS, optional=True)
        if (member_no is None) == (sealed is None):
            raise ProtocolError("exactly one of member_no and contact_sealed is required")
        last4 = get_str(obj, "phone_last4", pattern=PHONE_LAST4_RE, optional=True)
        if sealed is not None and last4 is None:
            raise ProtocolError("field phone_last4 is required with contact_sealed")
        return cls(
            service=get_str(obj, "service", pattern=CODE_RE, max_len=40),
            tracking_code=get_str(obj, "tracking_code", pattern=TRACKING_CODE_RE, max_len=8),
            answers=tuple(sorted(answers.items())),
            best_time=get_str(obj, "best_time", pattern=CODE_RE, max_len=40),
            district=get_str(obj, "district", pattern=ID_RE, max_len=40, optional=True),
            member_no=member_no, contact_sealed=sealed, phone_last4=last4)


@dataclass(frozen=True)
class VoucherClaim:
    """A member scanned their card at the kiosk to claim this month's care-day voucher.

    `voucher_no` is made by the kiosk, so a provisional voucher it shows offline and the voucher
    central confirms later are the same one. Central decides (docs/vouchers.md) and answers on the
    station's voucher decision topic. `provisional` says the kiosk was offline and showed the rider
    a provisional voucher at once (so a claim central cannot confirm is flagged, not just refused).
    """

    KIND: ClassVar[str] = "voucher_claim"
    voucher_no: str
    member_no: str
    provisional: bool = False

    def to_fields(self) -> dict:
        fields = {"voucher_no": self.voucher_no, "member_no": self.member_no}
        if self.provisional:
            fields["provisional"] = True
        return fields

    @classmethod
    def from_fields(cls, obj: dict) -> VoucherClaim:
        provisional = obj.get("provisional", False)
        if not isinstance(provisional, bool):
            raise ProtocolError(f"field provisional must be true or false, got {show(provisional)}")
        return cls(get_str(obj, "voucher_no", pattern=VOUCHER_NO_RE, max_len=10),
                   get_str(obj, "member_no", pattern=MEMBER_NO_FIELD_RE, max_len=20), provisional)



@dataclass(frozen=True)
class Feedback:
    """A rider rated the station (1 to 5) and/or named pain points at the kiosk; anonymous unless a card was scanned.

    The wire checks the categories' shape only; central names them from config/pain_points.toml.
    """

    KIND: ClassVar[str] = "feedback"
    score: int | None = None
    categories: tuple[str, ...] = ()
    member_no: str | None = None

    def to_fields(self) -> dict:
        fields: dict = {"categories": list(self.categories)}
        if self.score is not None:
            fields["score"] = self.score
        if self.member_no:
            fields["member_no"] = self.member_no
        return fields

    @classmethod
    def from_fields(cls, obj: dict) -> Feedback:
        score = None if obj.get("score") is None else get_int(obj, "score", low=1, high=5)
        categories = obj.get("categories", [])
        if not isinstance(categories, list) or len(categories) > MAX_FEEDBACK_CATEGORIES:
            raise ProtocolError(f"field categories must be a list of at most {MAX_FEEDBACK_CATEGORIES} ids")
        for category in categories:
            if not isinstance(category, str) or not CODE_RE.fullmatch(category):
                raise ProtocolError(f"field categories has a malformed id {show(category)}")
        if len(set(categories)) != len(categories):
            raise ProtocolError("field categories repeats an id")
        if score is None and not categories:
            raise ProtocolError("a feedback needs a score or at least one category")
        return cls(score, tuple(categories), get_str(obj, "member_no", pattern=MEMBER_NO_FIELD_RE, optional=True))



@dataclass(frozen=True)
class ClassroomPlay:
    """A rider started a classroom video on the kiosk's classroom screen (`completed` false), or watched it
    to its end (`completed` true): two events for a play watched through, one for a play left early."""

    KIND: ClassVar[str] = "classroom_play"
    video: int
    completed: bool = False

    def to_fields(self) -> dict:
        return {"video": self.video, "completed": self.completed}

    @classmethod
    def from_fields(cls, obj: dict) -> ClassroomPlay:
        completed = obj.get("completed", False)
        if not isinstance(completed, bool):
            raise ProtocolError(f"field completed must be true or false, got {show(completed)}")
        return cls(get_int(obj, "video", low=1), completed)


# A survey response's body lives with its family (devices.protocol.surveys); it travels as an event like the rest.
KINDS = {body.KIND: body for body in (CheckIn, ServiceRequest, VoucherClaim, Feedback, ClassroomPlay, SurveyResponse)}


@dataclass(frozen=True)
class StationEvent(Message):
    """One kiosk event with its envelope."""

    PATTERN: ClassVar[TopicPattern] = PATTERN

    station: str
    event_id: str
    seq: int
    ts: datetime
    body: EventBody

    @property
    def kind(self) -> str:
        return self.body.KIND

    def to_payload(self) -> bytes:
        return encode({"id": self.event_id, "seq": self.seq, "ts": format_time(self.ts),
                       "data": self.body.to_fields()})


def new_event_id() -> str:
    """A fresh unique event id (32 lower-case hex digits)."""
    return uuid.uuid4().hex


def new_tracking_code() -> str:
    """A fresh tracking code for a rider's receipt (8 unambiguous characters, random)."""
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def parse(topic: str, payload: bytes) -> StationEvent:
    """A StationEvent from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    body_class = KINDS.get(parts["kind"])
    if body_class is None:
        raise ProtocolError(f"unknown event kind {show(parts['kind'])}; known: {sorted(KINDS)}")
    obj = decode(payload)
    data = obj.get("data")
    if not isinstance(data, dict):
        raise ProtocolError("field data must be an object")
    return StationEvent(
        station=parts["station"],
        event_id=get_str(obj, "id", pattern=EVENT_ID_RE, max_len=32),
        seq=get_int(obj, "seq", low=1),
        ts=get_time(obj),
        body=body_class.from_fields(data),
    )
