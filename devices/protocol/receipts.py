"""Receipts: central tells a station which of its events are stored. QoS 1, not retained.

The broker's PUBACK only says the broker has an event; a broker that crashes before saving what it
queued for a stopped ingest worker would lose it. So the kiosk counts an event as synced only when
a receipt names it, and sends again what central has not confirmed. Central sends a receipt for
every event it receives, including ones it already had, so a resent event is confirmed too.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    get_time,
    show,
)

PATTERN = TopicPattern("station/{station}/receipt")
# At most this many event ids in one receipt (about 7 KB), well under the payload limit.
MAX_IDS = 200


@dataclass(frozen=True)
class Receipt(Message):
    """These events of the station are stored at central."""

    PATTERN: ClassVar[TopicPattern] = PATTERN

    station: str
    event_ids: tuple[str, ...]
    ts: datetime

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "ids": list(self.event_ids)})


def for_events(station: str, event_ids: list[str], ts: datetime) -> list[Receipt]:
    """Receipts for any number of a station's events, split to respect MAX_IDS."""
    return [Receipt(station, tuple(event_ids[i:i + MAX_IDS]), ts) for i in range(0, len(event_ids), MAX_IDS)]


def parse(topic: str, payload: bytes) -> Receipt:
    """A Receipt from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    ids = obj.get("ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_IDS:
        raise ProtocolError(f"field ids must be a list of 1 to {MAX_IDS} event ids")
    for event_id in ids:
        if not isinstance(event_id, str) or not EVENT_ID_RE.fullmatch(event_id):
            raise ProtocolError(f"field ids holds something that is no event id: {show(event_id)}")
    return Receipt(parts["station"], tuple(ids), get_time(obj))
