"""Charger slot state: one retained message per slot, statuses modelled on OCPP connector status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from devices.protocol._base import Message, TopicPattern, decode, encode, format_time, get_int, get_str, get_time

PATTERN = TopicPattern("station/{station}/charger/{slot:int}")
MAX_POWER_W = 5_000
MAX_ENERGY_WH = 100_000


class SlotStatus(StrEnum):
    """A slot's state as its controller reports it (OCPP 1.6 connector status, simplified)."""

    AVAILABLE = "available"      # free: a rider may plug in
    CHARGING = "charging"        # a session is delivering energy
    FINISHED = "finished"        # session over, bike still plugged in
    FAULTED = "faulted"          # the controller reports a fault on this slot
    UNAVAILABLE = "unavailable"  # taken out of service (disabled by staff or maintenance)


# Central adds this one itself when the controller's availability says offline; no device sends it.
OFFLINE = "offline"


@dataclass(frozen=True)
class ChargerSlotState(Message):
    """One slot of a station's e-bike charger controller."""

    PATTERN: ClassVar[TopicPattern] = PATTERN
    RETAIN: ClassVar[bool] = True

    station: str
    slot: int
    status: SlotStatus
    power_w: int
    energy_wh: int
    ts: datetime
    fault: str | None = None

    def to_payload(self) -> bytes:
        fields = {
            "ts": format_time(self.ts),
            "status": self.status.value,
            "power_w": self.power_w,
            "energy_wh": self.energy_wh,
        }
        if self.fault:
            fields["fault"] = self.fault
        return encode(fields)


def parse(topic: str, payload: bytes) -> ChargerSlotState:
    """A ChargerSlotState from a topic below the root and its payload; ProtocolError when invalid."""
    parts = PATTERN.parts(topic)
    obj = decode(payload)
    return ChargerSlotState(
        station=parts["station"],
        slot=parts["slot"],
        status=SlotStatus(get_str(obj, "status", choices={s.value for s in SlotStatus})),
        power_w=get_int(obj, "power_w", high=MAX_POWER_W),
        energy_wh=get_int(obj, "energy_wh", high=MAX_ENERGY_WH),
        ts=get_time(obj),
        fault=get_str(obj, "fault", max_len=64, optional=True),
    )
