"""Charger-controller agent: reports each slot's state and its charge sessions, and carries out commands.

The hardware is anything with the ChargerHardware methods: a driver for a real controller, or the
simulator in devices/simulators/charger.py. Both speak to central only through this agent. The agent
owns the sessions: it gives each a unique id when a slot starts charging (by a kiosk's slot_start,
or a bike plugged in without one), reports progress, and ends it with the reason it saw.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from devices.mqtt import MqttLink
from devices.protocol import ProtocolError, commands, heartbeat, utcnow
from devices.protocol.availability import Availability, DeviceKind
from devices.protocol.charger import ChargerSlotState, SlotStatus
from devices.protocol.permissions import account_name
from devices.protocol.sessions import ChargeSession, EndReason, Phase, new_session_id

log = logging.getLogger(__name__)
# Energy change (Wh) that is worth a new message while a slot charges.
ENERGY_STEP_WH = 5
# Why a session ended, from the status its slot left charging for (unless a command said why).
_END_BY_STATUS = {SlotStatus.FINISHED: EndReason.FULL, SlotStatus.AVAILABLE: EndReason.UNPLUGGED,
                  SlotStatus.FAULTED: EndReason.FAULT, SlotStatus.UNAVAILABLE: EndReason.DISABLED}
# Why a slot cannot start a session, by its status.
_REFUSED_BY_STATUS = {SlotStatus.CHARGING: "slot_busy", SlotStatus.FINISHED: "slot_busy",
                      SlotStatus.FAULTED: "slot_faulted", SlotStatus.UNAVAILABLE: "slot_disabled"}


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

    def start(self, slot: int) -> None: ...

    def stop(self, slot: int) -> None: ...


@dataclass
class _Session:
    session_id: str
    started_at: datetime
    limit_s: int
    member_no: str | None
    energy_wh: int = 0
    power_w: int = 0
    sent_energy_wh: int = 0


class ChargerAgent:
    """Publishes slot states and sessions when they change, a heartbeat, and answers slot commands."""

    def __init__(self, broker_settings, station: str, hardware: ChargerHardware, device: str = "charger", *,
                 limit_s: int = 4 * 3600, heartbeat_s: float = 15.0, username: str | None = None,
                 password: str | None = None):
        self.station = station
        self.device = device
        self.hardware = hardware
        self.limit_s = limit_s
        self.heartbeat_s = heartbeat_s
        self.clock = utcnow  # tests may move time on
        # The client id is the device's broker account name, to which the broker binds it.
        self.link = MqttLink(broker_settings, account_name(station, device), username=username, password=password,
                             online=Availability(station, device, DeviceKind.CHARGER_CONTROLLER, True),
                             offline=Availability(station, device, DeviceKind.CHARGER_CONTROLLER, False))
        self._last: dict[int, SlotReading] = {}
        self._sessions: dict[int, _Session] = {}
        self._ending: dict[int, EndReason] = {}
        self._last_heartbeat = 0.0
        # Commands arrive on paho's network thread, polls on the caller's: one at a time.
        self._lock = threading.RLock()
        self.link.subscribe(commands.PATTERN.format(station=station, device=device), self.on_command)
        self.link.on_connect(self.republish)

    def start(self) -> None:
        self.link.start()

    def stop(self) -> None:
        self.link.stop()

    @property
    def sessions(self) -> dict[int, str]:
        """Slot -> id of the session running on it."""
        return {slot: s.session_id for slot, s in self._sessions.items()}

    def poll(self) -> list[ChargerSlotState]:
        """Read the hardware, enforce time limits, publish what changed enough to matter, beat."""
        with self._lock:
            now = self.clock()
            for slot, session in list(self._sessions.items()):
                if (now - session.started_at).total_seconds() >= session.limit_s:
                    self._ending[slot] = EndReason.TIME_LIMIT
                    self.hardware.stop(slot)
            sent = []
            for slot, reading in sorted(self.hardware.read().items()):
                last = self._last.get(slot)
                if last is None or last.status != reading.status or last.fault != reading.fault or \
                        abs(reading.energy_wh - last.energy_wh) >= ENERGY_STEP_WH:
                    sent.append(self._publish(slot, reading, now))
                self._follow_session(slot, reading, now)
            if time.monotonic() - self._last_heartbeat >= self.heartbeat_s:
                self.beat(now)
            return sent

    def beat(self, now: datetime | None = None) -> None:
        """Say the controller is alive (central alarms on a silent one and closes its sessions)."""
        self._last_heartbeat = time.monotonic()
        self.link.publish(heartbeat.Heartbeat(self.station, self.device, now or self.clock()))

    def republish(self) -> None:
        """Publish every slot (on reconnect: retained state must match the hardware)."""
        with self._lock:
            now = self.clock()
            for slot, reading in sorted(self.hardware.read().items()):
                self._publish(slot, reading, now)
            self.beat(now)

    def _publish(self, slot: int, reading: SlotReading, now: datetime) -> ChargerSlotState:
        message = ChargerSlotState(self.station, slot, reading.status, reading.power_w, reading.energy_wh,
                                   now, reading.fault)
        self.link.publish(message)
        self._last[slot] = reading
        return message

    def _follow_session(self, slot: int, reading: SlotReading, now: datetime) -> None:
        """Start, advance or end the slot's session from what the hardware reads."""
        session = self._sessions.get(slot)
        if reading.status == SlotStatus.CHARGING:
            if session is None:  # a bike plugged in without a kiosk start: a session with no member
                session = self._open(slot, None, self.limit_s, now)
            session.energy_wh, session.power_w = max(session.energy_wh, reading.energy_wh), reading.power_w
            if session.energy_wh - session.sent_energy_wh >= ENERGY_STEP_WH:
                self._send(slot, session, Phase.PROGRESS, now)
        elif session is not None:
            session.energy_wh, session.power_w = max(session.energy_wh, reading.energy_wh), 0
            reason = self._ending.pop(slot, None) or _END_BY_STATUS[reading.status]
            self._send(slot, session, Phase.END, now, reason)
            del self._sessions[slot]

    def _open(self, slot: int, member_no: str | None, limit_s: int, now: datetime) -> _Session:
        session = _Session(new_session_id(), now, limit_s, member_no)
        self._sessions[slot] = session
        self._ending.pop(slot, None)
        self._send(slot, session, Phase.START, now)
        log.info("session %s started on slot %d (member %s)", session.session_id, slot, member_no or "-")
        return session

    def _send(self, slot: int, session: _Session, phase: Phase, now: datetime,
              reason: EndReason | None = None) -> None:
        self.link.publish(ChargeSession(self.station, slot, session.session_id, phase, session.started_at, now,
                                        session.energy_wh, session.power_w, session.limit_s, session.member_no,
                                        reason))
        session.sent_energy_wh = session.energy_wh
        if reason:
            log.info("session %s on slot %d ended: %s, %d Wh", session.session_id, slot, reason, session.energy_wh)

    def on_command(self, mqtt_message) -> None:
        """Carry out a slot command and answer it."""
        try:
            command = commands.parse(self.link.relative(mqtt_message.topic), mqtt_message.payload)
        except ProtocolError as e:
            log.warning("dropped invalid command on %s: %s", mqtt_message.topic, e)
            return
        with self._lock:
            reason = self.carry_out(command)
            self.link.publish(commands.CommandReply(self.station, self.device, command.command_id, reason is None,
                                                    self.clock(), reason))
            self.poll()

    def carry_out(self, command: commands.Command) -> str | None:
        """Do what a command asks; None when done, else why not (one of commands.REASONS)."""
        slot = command.args.get("slot")
        readings = self.hardware.read()
        if command.name == "announce":
            return "not_supported"
        if slot not in readings:
            return "unknown_slot"
        status = readings[slot].status
        if command.name == "slot_start":
            member_no = command.args["member_no"]
            if any(s.member_no == member_no for s in self._sessions.values()):
                return "member_charging"
            if status in _REFUSED_BY_STATUS:
                return _REFUSED_BY_STATUS[status]
            self.hardware.start(slot)
            self._open(slot, member_no, command.args.get("limit_s", self.limit_s), self.clock())
        elif command.name == "slot_stop":
            if status != SlotStatus.CHARGING:
                return "not_charging"
            self._ending[slot] = EndReason.REMOTE_STOP
            self.hardware.stop(slot)
        else:
            if slot in self._sessions:
                self._ending[slot] = EndReason.DISABLED
            self.hardware.set_enabled(slot, command.name == "slot_enable")
        return None
