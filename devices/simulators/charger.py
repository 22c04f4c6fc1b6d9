"""A simulated e-bike charger controller: riders plug in, bikes charge and fill up, slots sometimes fault."""

from __future__ import annotations

import random
from dataclasses import dataclass

from devices.agents.charger import SlotReading
from devices.protocol.charger import SlotStatus


@dataclass
class _Slot:
    status: SlotStatus = SlotStatus.AVAILABLE
    power_w: int = 0
    energy_wh: float = 0.0
    need_wh: float = 0.0
    enabled: bool = True
    fault: str | None = None


class SimulatedChargerHardware:
    """Implements ChargerHardware with random but plausible behaviour; `tick(seconds)` moves time on."""

    def __init__(self, slots: int = 8, rng: random.Random | None = None, busy: float = 0.5):
        self.rng = rng or random.Random()
        self.busy = busy  # how likely a free slot gets a bike per simulated minute
        self.slots = {n: _Slot() for n in range(1, slots + 1)}

    def read(self) -> dict[int, SlotReading]:
        return {n: SlotReading(s.status, s.power_w, int(s.energy_wh), s.fault) for n, s in self.slots.items()}

    def set_enabled(self, slot: int, enabled: bool) -> None:
        s = self.slots[slot]
        s.enabled = enabled
        if not enabled:
            s.status, s.power_w = SlotStatus.UNAVAILABLE, 0
        elif s.status == SlotStatus.UNAVAILABLE:
            s.status = SlotStatus.AVAILABLE

    def start(self, slot: int) -> None:
        """A rider plugged in and a kiosk started the slot: it charges a partly empty battery."""
        s = self.slots[slot]
        if s.status == SlotStatus.AVAILABLE and s.enabled:
            s.status, s.energy_wh = SlotStatus.CHARGING, 0.0
            s.need_wh = self.rng.uniform(150, 600)
            s.power_w = self.rng.randint(180, 400)

    def stop(self, slot: int) -> None:
        s = self.slots[slot]
        if s.status == SlotStatus.CHARGING:
            s.status, s.power_w = SlotStatus.FINISHED, 0

    def tick(self, seconds: float) -> None:
        """Advance every slot by `seconds` of simulated time (one simulated minute per real second)."""
        minutes = seconds  # the demo runs at 60x so that a charge is seen to progress
        for s in self.slots.values():
            roll = self.rng.random()
            if s.status == SlotStatus.AVAILABLE and roll < self.busy * minutes / 10:
                s.status, s.energy_wh = SlotStatus.CHARGING, 0.0
                s.need_wh = self.rng.uniform(150, 600)  # a 48 V e-bike battery, partly empty
                s.power_w = self.rng.randint(180, 400)
            elif s.status == SlotStatus.CHARGING:
                s.energy_wh += s.power_w * minutes / 60
                if s.energy_wh >= s.need_wh:
                    s.status, s.power_w = SlotStatus.FINISHED, 0
                elif roll < 0.002 * minutes:
                    s.status, s.power_w, s.fault = SlotStatus.FAULTED, 0, "overcurrent"
            elif s.status == SlotStatus.FINISHED and roll < 0.3 * minutes / 10:
                s.status, s.energy_wh = SlotStatus.AVAILABLE, 0.0
            elif s.status == SlotStatus.FAULTED and roll < 0.1 * minutes / 10:
                s.status, s.fault, s.energy_wh = SlotStatus.AVAILABLE, None, 0.0
