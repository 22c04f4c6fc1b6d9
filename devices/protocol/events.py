"""Kiosk events: things that happened at a station and must reach central exactly once in effect.

QoS 1, never retained. Each carries a unique id (central stores it under a unique index, so a
redelivery has no second effect), the kiosk's station-local sequence number (gap-free, in the order
the events happened), the time it happened and a kind-specific body. Later issues add kinds by
adding a body class to KINDS.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol

from devices.protocol._base import (
    EVENT_ID_RE,
    Message,
    ProtocolError,
    TopicPattern,
    decode,
    encode,
    format_time,
    get_int,
    get_str,
    get_time,
)

PATTERN = TopicPattern("station/{station}/event/{kind}")
MEMBER_NO_RE = re.compile(r"^[A-Z0-9]{6,20}$")


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
        member_no = get_str(obj, "member_no", pattern=MEMBER_NO_RE, optional=True)
        if (method == "card") != (member_no is not None):
            raise ProtocolError("field member_no is required for a card check-in and only then")
        return cls(method, member_no)


KINDS = {body.KIND: body for body in (CheckIn,)}


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


def parse(topic: str, payload: bytes) -> StationEvent:
    """A StationEvent from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    body_class = KINDS.get(parts["kind"])
    if body_class is None:
        raise ProtocolError(f"unknown event kind {parts['kind']!r}; known: {sorted(KINDS)}")
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
