"""Charge sessions: the charger controller owns each session and reports its start, progress and end.

QoS 1, never retained. A session has a unique id (32 hex digits) chosen by the controller; central
stores it under that id, so a repeated message has no second effect and an ended session is never
moved back to charging. `controller_lost` is central's own end reason (no device sends it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

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
from devices.protocol.charger import MAX_ENERGY_WH, MAX_POWER_W
from devices.protocol.events import MEMBER_NO_FIELD_RE

PATTERN = TopicPattern("station/{station}/charger/{slot:int}/session")
MAX_LIMIT_S = 24 * 3600


class Phase(StrEnum):
    """Where a session is in its life."""

    START = "start"
    PROGRESS = "progress"
    END = "end"


class EndReason(StrEnum):
    """Why a session ended."""

    FULL = "full"                # the battery is full (the slot goes to finished)
    UNPLUGGED = "unplugged"      # the rider unplugged while charging
    TIME_LIMIT = "time_limit"    # the session reached its time limit
    REMOTE_STOP = "remote_stop"  # staff stopped it (slot_stop), or central refused a second session
    FAULT = "fault"              # the slot faulted while charging
    DISABLED = "disabled"        # staff disabled the slot while it was charging


# Central ends a session with this one itself when the controller went silent; no device sends it.
CONTROLLER_LOST = "controller_lost"
END_REASONS = [*(r.value for r in EndReason), CONTROLLER_LOST]


@dataclass(frozen=True)
class ChargeSession(Message):
    """One report on a charge session; `end_reason` is set exactly when `phase` is end."""

    PATTERN: ClassVar[TopicPattern] = PATTERN

    station: str
    slot: int
    session_id: str
    phase: Phase
    started_at: datetime
    ts: datetime
    energy_wh: int = 0
    power_w: int = 0
    limit_s: int = 4 * 3600
    member_no: str | None = None
    end_reason: EndReason | None = None

    def to_payload(self) -> bytes:
        fields = {"id": self.session_id, "phase": self.phase.value, "started_at": format_time(self.started_at),
                  "ts": format_time(self.ts), "energy_wh": self.energy_wh, "power_w": self.power_w,
                  "limit_s": self.limit_s}
        if self.member_no:
            fields["member_no"] = self.member_no
        if self.end_reason:
            fields["end_reason"] = self.end_reason.value
        return encode(fields)


def new_session_id() -> str:
    """A fresh unique session id (32 lower-case hex digits)."""
    return uuid.uuid4().hex


def parse(topic: str, payload: bytes) -> ChargeSession:
    """A ChargeSession from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    phase = Phase(get_str(obj, "phase", choices={p.value for p in Phase}))
    reason = get_str(obj, "end_reason", choices={r.value for r in EndReason}, optional=True)
    if (phase == Phase.END) != (reason is not None):
        raise ProtocolError("field end_reason is required when phase is end, and only then")
    started, ts = get_time(obj, "started_at"), get_time(obj)
    if ts < started:
        raise ProtocolError("field ts is before started_at")
    return ChargeSession(
        station=parts["station"], slot=parts["slot"],
        session_id=get_str(obj, "id", pattern=EVENT_ID_RE, max_len=32), phase=phase, started_at=started, ts=ts,
        energy_wh=get_int(obj, "energy_wh", high=MAX_ENERGY_WH),
        power_w=get_int(obj, "power_w", high=MAX_POWER_W, default=0),
        limit_s=get_int(obj, "limit_s", low=60, high=MAX_LIMIT_S),
        member_no=get_str(obj, "member_no", pattern=MEMBER_NO_FIELD_RE, max_len=20, optional=True),
        end_reason=EndReason(reason) if reason else None)
