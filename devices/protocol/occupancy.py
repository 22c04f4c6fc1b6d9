"""Occupancy: how many people are inside, from the door's people counter. Retained."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from devices.protocol._base import Message, TopicPattern, decode, encode, format_time, get_int, get_time

PATTERN = TopicPattern("station/{station}/occupancy")
MAX_PEOPLE = 10_000


@dataclass(frozen=True)
class Occupancy(Message):
    """People inside a station now, and the counter's totals in and out since local midnight."""

    PATTERN: ClassVar[TopicPattern] = PATTERN
    RETAIN: ClassVar[bool] = True

    station: str
    inside: int
    entered_today: int
    exited_today: int
    ts: datetime

    def to_payload(self) -> bytes:
        return encode({
            "ts": format_time(self.ts),
            "inside": self.inside,
            "entered_today": self.entered_today,
            "exited_today": self.exited_today,
        })


def parse(topic: str, payload: bytes) -> Occupancy:
    """An Occupancy from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    return Occupancy(
        station=parts["station"],
        inside=get_int(obj, "inside", high=MAX_PEOPLE),
        entered_today=get_int(obj, "entered_today", high=10 * MAX_PEOPLE, default=0),
        exited_today=get_int(obj, "exited_today", high=10 * MAX_PEOPLE, default=0),
        ts=get_time(obj),
    )
