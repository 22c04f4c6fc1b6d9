"""Where a mobile station (a bus parked at a different place each day) stands today. Retained.

The station's kiosk or a GPS unit on the bus publishes it when it parks; central shows it on the
public station directory with the time it was reported. Coordinates are WGS84 (what GPS gives).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from devices.protocol._base import Message, ProtocolError, TopicPattern, decode, encode, format_time, get_time, show

PATTERN = TopicPattern("station/{station}/location")
MAX_PLACE = 80


@dataclass(frozen=True)
class Location(Message):
    """A mobile station's position (WGS84) and, optionally, a short description of the place."""

    PATTERN: ClassVar[TopicPattern] = PATTERN
    RETAIN: ClassVar[bool] = True

    station: str
    latitude: float
    longitude: float
    ts: datetime
    place: str = ""

    def to_payload(self) -> bytes:
        fields = {"ts": format_time(self.ts), "lat": self.latitude, "lon": self.longitude}
        if self.place:
            fields["place"] = self.place
        return encode(fields)


def _coordinate(obj: dict, name: str, limit: float) -> float:
    value = obj.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not -limit <= value <= limit:
        raise ProtocolError(f"field {name} must be a number from -{limit:g} to {limit:g} (WGS84), got {show(value)}")
    return float(value)


def parse(topic: str, payload: bytes) -> Location:
    """A Location from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    place = obj.get("place", "")
    if not isinstance(place, str) or len(place) > MAX_PLACE:
        raise ProtocolError(f"field place must be a string of at most {MAX_PLACE} characters")
    return Location(parts["station"], _coordinate(obj, "lat", 90), _coordinate(obj, "lon", 180), get_time(obj),
                    place.strip())
