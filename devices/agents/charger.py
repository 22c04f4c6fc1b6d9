"""Charger-controller agent: reports each slot's state from the hardware and carries out commands.

The hardware is anything with the ChargerHardware methods: a driver for a real controller, or the
simulator in devices/simulators/charger.py. Both speak to central only through this agent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from devices.mqtt import MqttLink
from devices.protocol import ProtocolError, commands, utcnow
from devices.protocol.availability import Availability, DeviceKind
from devices.protocol.charger import ChargerSlotState, SlotStatus

log = logging.getLogger(__name__)
# Energy change (Wh) that is worth a new message while a slot charges.
ENERGY_STEP_WH = 5


@dataclass(frozen=True)
class SlotReading:
    """What the hardware says about one slot."""

    status: SlotStatus
    power_w: int = 0
    energy_wh: int = 0
    fault: str | None = None


class ChargerHardware(Protocol):
    """What the agent needs from a charger controller."""

    def read(self) -> dict[int, SlotReading]: ...

    def set_enabled(self, slot: int, enabled: bool) -> None: ...

    def stop(self, slot: int) -> None: ...


class ChargerAgent:
    """Publishes a slot's state when it changes and answers slot commands."""

    def __init__(self, broker_settings, station: str, hardware: ChargerHardware, device: str = "charger"):
        self.station = station
        self.device = device
        self.hardware = hardware
        self.link = MqttLink(broker_settings, f"{station}-{device}",
                             online=Availability(station, device, DeviceKind.CHARGER_CONTROLLER, True),
                             offline=Availability(station, device, DeviceKind.CHARGER_CONTROLLER, False))
        self._last: dict[int, SlotReading] = {}
        self.link.subscribe(commands.PATTERN.format(station=station, device=device), self.on_command)
        self.link.on_connect(self.republish)

    def start(self) -> None:
        self.link.start()

    def stop(self) -> None:
        self.link.stop()

    def poll(self) -> list[ChargerSlotState]:
        """Read the hardware and publish the slots that changed enough to matter."""
        sent = []
        for slot, reading in sorted(self.hardware.read().items()):
            last = self._last.get(slot)
            if last is None or last.status != reading.status or last.fault != reading.fault or \
                    abs(reading.energy_wh - last.energy_wh) >= ENERGY_STEP_WH:
                sent.append(self._publish(slot, reading))
        return sent

    def republish(self) -> None:
        """Publish every slot (on reconnect: retained state must match the hardware)."""
        for slot, reading in sorted(self.hardware.read().items()):
            self._publish(slot, reading)

    def _publish(self, slot: int, reading: SlotReading) -> ChargerSlotState:
        message = ChargerSlotState(self.station, slot, reading.status, reading.power_w, reading.energy_wh,
                                   utcnow(), reading.fault)
        self.link.publish(message)
        self._last[slot] = reading
        return message

    def on_command(self, mqtt_message) -> None:
        """Carry out a slot command and answer it."""
        try:
            command = commands.parse(self.link.relative(mqtt_message.topic), mqtt_message.payload)
        except ProtocolError as e:
            log.warning("dropped invalid command on %s: %s", mqtt_message.topic, e)
            return
        accepted, reason = True, None
        slot = command.args.get("slot")
        if command.name == "announce" or slot not in self.hardware.read():
            accepted, reason = False, "unknown slot" if command.name != "announce" else "not a kiosk"
        elif command.name in ("slot_disable", "slot_enable"):
            self.hardware.set_enabled(slot, command.name == "slot_enable")
        elif command.name == "slot_stop":
            self.hardware.stop(slot)
        self.link.publish(commands.CommandReply(self.station, self.device, command.command_id, accepted,
                                                utcnow(), reason))
        self.poll()
