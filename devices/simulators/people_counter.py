"""A simulated door sensor: riders arrive and leave, more of them around meal times."""

from __future__ import annotations

import math
import random
from datetime import datetime


class SimulatedDoor:
    """Produces (entered, exited) counts for a station of a given capacity; `tick()` once per step."""

    def __init__(self, capacity: int, rng: random.Random | None = None):
        self.capacity = capacity
        self.rng = rng or random.Random()
        self.inside = 0

    def _target(self, now: datetime) -> float:
        hour = now.hour + now.minute / 60
        # Busy at lunch (11:30) and supper (17:30), quiet at night.
        wave = math.exp(-((hour - 11.5) ** 2) / 2) + 0.8 * math.exp(-((hour - 17.5) ** 2) / 2) + 0.25
        return min(self.capacity * 0.55 * wave, self.capacity)

    def tick(self, now: datetime) -> tuple[int, int]:
        """People who came in and went out during this step."""
        target = self._target(now)
        entered = exited = 0
        if self.rng.random() < 0.6:
            if self.inside < target or self.rng.random() < 0.3:
                entered = self.rng.choice((1, 1, 1, 2))
            if self.inside > target or self.rng.random() < 0.3:
                exited = min(self.rng.choice((1, 1, 2)), self.inside + entered)
        self.inside += entered - exited
        return entered, exited
