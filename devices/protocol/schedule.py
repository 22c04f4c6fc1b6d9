"""A station's events calendar, central → kiosk: today's and the coming week's events. Retained.

Central expands recurring events (the Friday legal night clinic...) into occurrences and sends the
list for today and the next 7 local days; a new message replaces the whole list. The kiosk keeps
the last one, so it still shows the week's events with no network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from devices.protocol._base import (
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

PATTERN = TopicPattern("station/{station}/schedule")
KINDS = ("legal_clinic", "health_check", "class", "other")
MAX_ITEMS = 60
KIND_RE = re.compile(r"^[a-z_]{1,20}$")


@dataclass(frozen=True)
class Occurrence:
    """One event on one day: its id at central, kind, title in both languages, start and end (UTC)."""

    event_id: int
    kind: str
    title: dict[str, str]
    start: datetime
    end: datetime

    def to_fields(self) -> dict:
        return {"id": self.event_id, "kind": self.kind, "title": self.title,
                "start": format_time(self.start), "end": format_time(self.end)}


@dataclass(frozen=True)
class Schedule(Message):
    """Every occurrence at a station from today to 7 days on, in time order."""

    PATTERN: ClassVar[TopicPattern] = PATTERN
    RETAIN: ClassVar[bool] = True

    station: str
    items: tuple[Occurrence, ...]
    ts: datetime

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "items": [item.to_fields() for item in self.items]})


def parse(topic: str, payload: bytes) -> Schedule:
    """A Schedule from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    raw = obj.get("items")
    if not isinstance(raw, list) or len(raw) > MAX_ITEMS:
        raise ProtocolError(f"field items must be a list of at most {MAX_ITEMS} occurrences")
    items = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise ProtocolError("each item must be an object with id, kind, title, start and end")
        item = Occurrence(get_int(entry, "id", low=1), get_str(entry, "kind", choices=set(KINDS)),
                          get_text(entry, "title", max_len=60), get_time(entry, "start"), get_time(entry, "end"))
        if item.end <= item.start:
            raise ProtocolError(f"item {item.event_id} ends before it starts")
        items.append(item)
    return Schedule(parts["station"], tuple(items), get_time(obj))
