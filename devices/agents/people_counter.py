"""People-counter agent: turns the door sensor's in/out counts into retained occupancy messages."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from devices.mqtt import MqttLink
from devices.protocol import utcnow
from devices.protocol.availability import Availability, DeviceKind
from devices.protocol.heartbeat import Heartbeat
from devices.protocol.occupancy import Occupancy
from devices.protocol.permissions import account_name

log = logging.getLogger(__name__)


class PeopleCounterAgent:
    """Keeps the count of people inside and publishes it whenever someone passes the door."""

    def __init__(self, broker_settings, station: str, device: str = "counter", timezone: str = "Asia/Shanghai", *,
                 username: str | None = None, password: str | None = None):
        self.station = station
        self.device = device
        self.zone = ZoneInfo(timezone)
        # The client id is the device's broker account name, to which the broker binds it.
        self.link = MqttLink(broker_settings, account_name(station, device), username=username, password=password,
                             online=Availability(station, device, DeviceKind.PEOPLE_COUNTER, True),
                             offline=Availability(station, device, DeviceKind.PEOPLE_COUNTER, False))
        self.inside = 0
        self.entered_today = 0
        self.exited_today = 0
        self._day: date | None = None
        self.link.on_connect(self.publish)

    def start(self) -> None:
        self.link.start()

    def stop(self) -> None:
        self.link.stop()

    def crossed(self, entered: int = 0, exited: int = 0, now: datetime | None = None) -> Occupancy:
        """The sensor saw people go in and out; the count never goes below zero (sensors miss people)."""
        now = now or utcnow()
        today = now.astimezone(self.zone).date()
        if today != self._day:
            self._day, self.entered_today, self.exited_today = today, 0, 0
        self.entered_today += entered
        self.exited_today += exited
        self.inside = max(self.inside + entered - exited, 0)
        return self.publish(now)

    def beat(self, now: datetime | None = None) -> None:
        """Say the counter is alive (central alarms on a silent device)."""
        self.link.publish(Heartbeat(self.station, self.device, now or utcnow()))

    def publish(self, now: datetime | None = None) -> Occupancy:
        """Publish the current count (also on every reconnect, so central is never stale)."""
        message = Occupancy(self.station, self.inside, self.entered_today, self.exited_today, now or utcnow())
        self.link.publish(message)
        return message
