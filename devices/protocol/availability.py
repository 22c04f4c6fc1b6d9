"""Availability: whether a kiosk or device is connected. Retained; its Last Will says offline."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from devices.protocol._base import Message, TopicPattern, decode, encode, get_str

PATTERN = TopicPattern("station/{station}/availability/{device}")


class DeviceKind(StrEnum):
    """What sort of thing is on the other end of a station's MQTT connection."""

    KIOSK = "kiosk"
    PEOPLE_COUNTER = "people_counter"
    CHARGER_CONTROLLER = "charger_controller"


@dataclass(frozen=True)
class Availability(Message):
    """A device's connection state, published on connect and set as its Last Will."""

    PATTERN: ClassVar[TopicPattern] = PATTERN
    RETAIN: ClassVar[bool] = True

    station: str
    device: str
    kind: DeviceKind
    online: bool

    def to_payload(self) -> bytes:
        return encode({"kind": self.kind.value, "state": "online" if self.online else "offline"})


def parse(topic: str, payload: bytes) -> Availability:
    """An Availability from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    kind = get_str(obj, "kind", choices={k.value for k in DeviceKind})
    state = get_str(obj, "state", choices={"online", "offline"})
    return Availability(parts["station"], parts["device"], DeviceKind(kind), state == "online")
