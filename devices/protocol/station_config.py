"""Station configuration from central to the kiosk: name, seats, charger slots. Retained.

The kiosk keeps the last one it received in its own database, so it shows the right station even
when it starts with no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from devices.protocol._base import (
    ID_RE,
    Message,
    ProtocolError,
    TopicPattern,
    decode,
    encode,
    get_int,
    get_str,
    get_text,
    show,
)

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
    # Central's public address (for the tracking QR on a request receipt), the station's district
    # code, and the districts a rider may choose for a request: (code, zh, en).
    public_url: str | None = None
    district_code: str | None = None
    districts: tuple[tuple[str, str, str], ...] = ()

    def to_payload(self) -> bytes:
        fields = {"name": self.name, "district": self.district, "capacity": self.capacity,
                  "charger_slots": self.charger_slots}
        if self.join_url and self.join_key:
            fields["join"] = {"url": self.join_url, "key": self.join_key}
        if self.public_url:
            fields["public_url"] = self.public_url
        if self.district_code:
            fields["district_code"] = self.district_code
        if self.districts:
            fields["districts"] = [{"code": c, "zh": zh, "en": en} for c, zh, en in self.districts]
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
        public_url=_url(obj.get("public_url"), "public_url") if obj.get("public_url") is not None else None,
        district_code=get_str(obj, "district_code", pattern=ID_RE, max_len=40, optional=True),
        districts=_districts(obj),
    )


def _url(value, name: str) -> str:
    url = get_str({name: value}, name, max_len=300)
    if not url.startswith(("http://", "https://")):
        raise ProtocolError(f"field {name} must be an http(s) address, got {show(url)}")
    return url


def _districts(obj: dict) -> tuple[tuple[str, str, str], ...]:
    raw = obj.get("districts", [])
    if not isinstance(raw, list) or len(raw) > 100:
        raise ProtocolError("field districts must be a list of at most 100 districts")
    out = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise ProtocolError("each district must be an object with code, zh and en")
        out.append((get_str(entry, "code", pattern=ID_RE, max_len=40), get_str(entry, "zh", max_len=80),
                    get_str(entry, "en", max_len=80)))
    return tuple(out)


def _join(obj: dict) -> dict:
    join = obj.get("join")
    if join is None:
        return {}
    if not isinstance(join, dict):
        raise ProtocolError("field join must be an object with url and key")
    return {"join_url": _url(join.get("url"), "join.url"), "join_key": get_str(join, "key", max_len=100)}
