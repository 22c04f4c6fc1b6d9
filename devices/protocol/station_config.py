"""Station configuration from central to the kiosk: name, seats, charger slots. Retained.

The kiosk keeps the last one it received in its own database, so it shows the right station even
when it starts with no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from devices.protocol._base import Message, TopicPattern, decode, encode, get_int, get_text

PATTERN = TopicPattern("station/{station}/config")


@dataclass(frozen=True)
class StationConfig(Message):
    """What a kiosk needs to know about its own station."""

    PATTERN: ClassVar[TopicPattern] = PATTERN
    RETAIN: ClassVar[bool] = True

    station: str
    name: dict[str, str]
    district: dict[str, str]
    capacity: int
    charger_slots: int

    def to_payload(self) -> bytes:
        return encode({"name": self.name, "district": self.district, "capacity": self.capacity,
                       "charger_slots": self.charger_slots})


def parse(topic: str, payload: bytes) -> StationConfig:
    """A StationConfig from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    return StationConfig(
        station=parts["station"],
        name=get_text(obj, "name", max_len=80),
        district=get_text(obj, "district", max_len=80),
        capacity=get_int(obj, "capacity", high=1000),
        charger_slots=get_int(obj, "charger_slots", high=64),
    )
