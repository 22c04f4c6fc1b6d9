"""Ingest markers: an ingest worker's probe of its own backlog, central to itself through the broker. QoS 1.

Every `ingest.marker_seconds` an ingest worker publishes a marker on its own topic, which it alone
subscribes to (not in the `$share` group). The broker queues it for the worker behind every station
message it already holds for it, so when the worker has stored the batch a marker came in, it knows
it has stored everything the broker had for it when the marker was sent, by central's own clock: how
far ingest has got, broker backlog included, which liveness is judged against. `run` tells this
start of the worker from an earlier one whose markers a persistent session may still deliver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from devices.protocol._base import (
    ID_RE,
    Message,
    TopicPattern,
    decode,
    encode,
    format_time,
    get_int,
    get_str,
    get_time,
)

PATTERN = TopicPattern("central/ingest/{worker}/marker")


def worker_key(client_id: str) -> str:
    """The topic level of a worker: its client id, made a valid id (lower case; other characters become -)."""
    key = re.sub(r"[^a-z0-9_-]", "-", client_id.lower()).lstrip("-_")[:40]
    return key if ID_RE.fullmatch(key) else "ingest"


@dataclass(frozen=True)
class Marker(Message):
    """The `seq`-th marker of one start (`run`) of an ingest worker, sent at `ts` (central's clock)."""

    PATTERN: ClassVar[TopicPattern] = PATTERN

    worker: str
    run: str
    seq: int
    ts: datetime

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "run": self.run, "seq": self.seq})


def parse(topic: str, payload: bytes) -> Marker:
    """A Marker from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    return Marker(parts["worker"], get_str(obj, "run", pattern=ID_RE), get_int(obj, "seq"), get_time(obj))
