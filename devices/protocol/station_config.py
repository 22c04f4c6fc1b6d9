"""Station configuration from central to the kiosk: name, seats, charger slots. Retained.

The kiosk keeps the last one it received in its own database, so it shows the right station even
when it starts with no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from devices.protocol._base import Message, ProtocolError, TopicPattern, decode, encode, get_int, get_str, get_text

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
    # Where riders join (central's public /m/join page) and the key the kiosk signs join QR codes with.
    join_url: str | None = None
    join_key: str | None = None

    def to_payload(self) -> bytes:
        fields = {"name": self.name, "district": self.district, "capacity": self.capacity,
                  "charger_slots": self.charger_slots}
        if self.join_url and self.join_key:
            fields["join"] = {"url": self.join_url, "key": self.join_key}
        return encode(fields)


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
        **_join(obj),
    )


def _join(obj: dict) -> dict:
    join = obj.get("join")
    if join is None:
        return {}
    if not isinstance(join, dict):
        raise ProtocolError("field join must be an object with url and key")
    url = get_str(join, "url", max_len=300)
    if not url.startswith(("http://", "https://")):
        raise ProtocolError(f"field join.url must be an http(s) address, got {url!r}")
    return {"join_url": url, "join_key": get_str(join, "key", max_len=100)}
