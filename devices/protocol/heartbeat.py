"""Heartbeat: a kiosk or device says it is alive; a kiosk adds how many events wait in its outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from devices.protocol._base import Message, TopicPattern, decode, encode, format_time, get_int, get_time

PATTERN = TopicPattern("station/{station}/heartbeat/{device}")


@dataclass(frozen=True)
class Heartbeat(Message):
    """Alive at `ts`; `outbox_pending` is the kiosk's count of events not yet acknowledged."""

    PATTERN: ClassVar[TopicPattern] = PATTERN
    QOS: ClassVar[int] = 0
    RETAIN: ClassVar[bool] = True

    station: str
    device: str
    ts: datetime
    outbox_pending: int = 0

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "outbox_pending": self.outbox_pending})


def parse(topic: str, payload: bytes) -> Heartbeat:
    """A Heartbeat from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    return Heartbeat(
        station=parts["station"],
        device=parts["device"],
        ts=get_time(obj),
        outbox_pending=get_int(obj, "outbox_pending", default=0),
    )
