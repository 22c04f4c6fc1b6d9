"""Station health: a kiosk's software version, uptime, disk, database, outbox and last sync, retained.

Central works out the kiosk's clock offset itself, from its own receive time against the report's
`ts` (central's clock decides), so the report carries no offset of its own.
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
    get_time,
)

PATTERN = TopicPattern("station/{station}/health/{device}")
VERSION_RE = re.compile(r"^[0-9A-Za-z.+_-]{1,40}$")


@dataclass(frozen=True)
class Health(Message):
    """What a kiosk knows of its own state at `ts`; ages and sizes in seconds and bytes."""

    PATTERN: ClassVar[TopicPattern] = PATTERN
    QOS: ClassVar[int] = 1
    RETAIN: ClassVar[bool] = True

    station: str
    device: str
    ts: datetime
    version: str
    uptime_s: int
    disk_free_bytes: int
    db_bytes: int
    outbox_pending: int
    outbox_oldest_age_s: int | None = None  # None when the outbox is empty
    last_sync: datetime | None = None  # central's last receipt; None before the first one

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "version": self.version, "uptime_s": self.uptime_s,
                       "disk_free_bytes": self.disk_free_bytes, "db_bytes": self.db_bytes,
                       "outbox_pending": self.outbox_pending, "outbox_oldest_age_s": self.outbox_oldest_age_s,
                       "last_sync": format_time(self.last_sync) if self.last_sync else None})


def parse(topic: str, payload: bytes) -> Health:
    """A Health report from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    oldest = obj.get("outbox_oldest_age_s")
    if oldest is not None:
        oldest = get_int(obj, "outbox_oldest_age_s")
    last_sync = get_time(obj, "last_sync") if obj.get("last_sync") is not None else None
    version = get_str(obj, "version", pattern=VERSION_RE, max_len=40)
    pending = get_int(obj, "outbox_pending")
    if pending == 0 and oldest is not None:
        raise ProtocolError("field outbox_oldest_age_s must be null when outbox_pending is 0")
    return Health(
        station=parts["station"], device=parts["device"], ts=get_time(obj), version=version,
        uptime_s=get_int(obj, "uptime_s"), disk_free_bytes=get_int(obj, "disk_free_bytes"),
        db_bytes=get_int(obj, "db_bytes"), outbox_pending=pending, outbox_oldest_age_s=oldest,
        last_sync=last_sync)
