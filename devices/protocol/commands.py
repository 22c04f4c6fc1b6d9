"""Commands from central to a kiosk or device, and their replies. QoS 1, not retained.

A command has an id; the device answers on the reply topic with the same id, accepted or rejected.
A command that gets no reply in time is timed out by the sender.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
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
    get_text,
    get_time,
)
from devices.protocol.events import MEMBER_NO_FIELD_RE

PATTERN = TopicPattern("station/{station}/command/{device}")
# Why a device refuses a command: short codes that screens translate (docs/mqtt.md lists them).
REASONS = ("unknown_slot", "slot_busy", "slot_faulted", "slot_disabled", "member_charging", "not_charging",
           "not_supported", "expired")
REPLY_PATTERN = TopicPattern("station/{station}/command/{device}/reply")


def _slot_args(obj: dict) -> dict:
    return {"slot": get_int(obj, "slot", low=1, high=64)}


def _start_args(obj: dict) -> dict:
    args = {"slot": get_int(obj, "slot", low=1, high=64),
            "member_no": get_str(obj, "member_no", pattern=MEMBER_NO_FIELD_RE, max_len=20)}
    if "limit_s" in obj:
        args["limit_s"] = get_int(obj, "limit_s", low=60, high=24 * 3600)
    return args


def _announce_args(obj: dict) -> dict:
    return {"text": get_text(obj, "text", max_len=280), "until": format_time(get_time(obj, "until"))}


# Command name -> validator of its arguments (returns the clean arguments).
NAMES = {
    "slot_disable": _slot_args,
    "slot_enable": _slot_args,
    "slot_stop": _slot_args,
    "slot_start": _start_args,
    "announce": _announce_args,
}


@dataclass(frozen=True)
class Command(Message):
    """Something central asks a station's kiosk or device to do."""

    PATTERN: ClassVar[TopicPattern] = PATTERN

    station: str
    device: str
    command_id: str
    name: str
    ts: datetime
    args: dict = field(default_factory=dict)

    def to_payload(self) -> bytes:
        return encode({"id": self.command_id, "ts": format_time(self.ts), "name": self.name, "args": self.args})


@dataclass(frozen=True)
class CommandReply(Message):
    """The device's answer to a command: accepted, or rejected with a reason."""

    PATTERN: ClassVar[TopicPattern] = REPLY_PATTERN

    station: str
    device: str
    command_id: str
    accepted: bool
    ts: datetime
    reason: str | None = None

    def to_payload(self) -> bytes:
        fields = {"id": self.command_id, "ts": format_time(self.ts),
                  "result": "accepted" if self.accepted else "rejected"}
        if self.reason:
            fields["reason"] = self.reason
        return encode(fields)


def parse(topic: str, payload: bytes) -> Command:
    """A Command from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    name = get_str(obj, "name", choices=set(NAMES))
    args = obj.get("args", {})
    if not isinstance(args, dict):
        raise ProtocolError("field args must be an object")
    return Command(parts["station"], parts["device"], get_str(obj, "id", pattern=EVENT_ID_RE, max_len=32),
                   name, get_time(obj), NAMES[name](args))


def parse_reply(topic: str, payload: bytes) -> CommandReply:
    """A CommandReply from a topic below the root and its payload; ProtocolError when invalid."""
    parts = REPLY_PATTERN.parts(topic)
    obj = decode(payload)
    result = get_str(obj, "result", choices={"accepted", "rejected"})
    return CommandReply(parts["station"], parts["device"], get_str(obj, "id", pattern=EVENT_ID_RE, max_len=32),
                        result == "accepted", get_time(obj), get_str(obj, "reason", optional=True))
