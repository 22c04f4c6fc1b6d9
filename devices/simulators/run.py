"""`waystation simulate`: a people counter and a charger controller per station, driven by simulators."""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

from devices.agents.charger import ChargerAgent
from devices.agents.people_counter import PeopleCounterAgent
from devices.protocol import utcnow
from devices.protocol.permissions import Party
from devices.simulators.charger import SimulatedChargerHardware
from devices.simulators.people_counter import SimulatedDoor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SimulatedStation:
    """Which station to simulate, and how big it is."""

    code: str
    capacity: int = 20
    charger_slots: int = 8

    @classmethod
    def parse(cls, text: str, default_slots: int) -> SimulatedStation:
        """`code[:capacity[:slots]]`, as given on the command line."""
        code, *rest = text.split(":")
        capacity = int(rest[0]) if rest else 20
        slots = int(rest[1]) if len(rest) > 1 else default_slots
        return cls(code, capacity, slots)


def _login(credentials, station: str, kind: Party) -> dict:
    found = credentials(station, kind) if credentials else None
    return {"username": found[0], "password": found[1]} if found else {}


class Simulation:
    """Device agents with simulated hardware for several stations, stepped by one thread."""

    def __init__(self, broker_settings, stations: list[SimulatedStation], mean_interval_s: float = 3.0,
                 seed: int = 0, timezone: str = "Asia/Shanghai", *, limit_s: int = 4 * 3600,
                 heartbeat_s: float = 15.0, credentials=None):
        """`credentials(station, kind)` gives a device's (user name, password), or None for the broker URL's."""
        self.rng = random.Random(seed or None)
        self.heartbeat_s = heartbeat_s
        self._last_beat = 0.0
        self.mean_interval_s = mean_interval_s
        self.units = []
        for st in stations:
            counter = PeopleCounterAgent(broker_settings, st.code, timezone=timezone,
                                         **_login(credentials, st.code, Party.PEOPLE_COUNTER))
            door = SimulatedDoor(st.capacity, random.Random(self.rng.random()))
            hardware = SimulatedChargerHardware(st.charger_slots, random.Random(self.rng.random()))
            charger = (ChargerAgent(broker_settings, st.code, hardware, limit_s=limit_s, heartbeat_s=heartbeat_s,
                                    **_login(credentials, st.code, Party.CHARGER_CONTROLLER))
                       if st.charger_slots else None)
            self.units.append((counter, door, charger, hardware))
        self._stop = threading.Event()

    def start(self) -> None:
        for counter, _, charger, _ in self.units:
            counter.start()
            if charger:
                charger.start()

    def step(self, seconds: float) -> None:
        """Move every station on by one step and publish what changed."""
        now = utcnow()
        beat = time.monotonic() - self._last_beat >= self.heartbeat_s
        if beat:
            self._last_beat = time.monotonic()
        for counter, door, charger, hardware in self.units:
            if beat:
                counter.beat(now)
            entered, exited = door.tick(now.astimezone(counter.zone))
            if entered or exited:
                counter.crossed(entered, exited, now)
            if charger:
                hardware.tick(seconds)
                charger.poll()

    def run(self) -> None:
        """Step at random intervals until stopped."""
        while not self._stop.is_set():
            wait = self.rng.expovariate(1 / self.mean_interval_s) if self.mean_interval_s > 0 else 1.0
            wait = min(max(wait, 0.2), 4 * self.mean_interval_s)
            if self._stop.wait(wait):
                break
            self.step(wait)

    def stop(self) -> None:
        self._stop.set()
        for counter, _, charger, _ in self.units:
            counter.stop()
            if charger:
                charger.stop()
