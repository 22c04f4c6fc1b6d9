"""What the kiosk hears over MQTT about its own station, stored so it survives a restart offline."""

from __future__ import annotations

import json
import logging

from devices.protocol import charger, occupancy, station_config, utcnow
from kiosk.listener import stored
from kiosk.models import ChargerSlot, StationInfo

log = logging.getLogger(__name__)


class StationListener:
    """Subscribes to the station's config, occupancy and charger slots and keeps the kiosk database current."""

    def __init__(self, link, station_id: str):
        self.link = link
        self.station_id = station_id

    def subscribe(self) -> None:
        """Register the subscriptions (kept across reconnects by the link)."""
        s = self.station_id
        self.link.subscribe(station_config.PATTERN.format(station=s), self._route(station_config.parse,
                                                                                  self.on_station_config))
        self.link.subscribe(occupancy.PATTERN.format(station=s), self._route(occupancy.parse, self.on_occupancy))
        self.link.subscribe(charger.PATTERN.filter_with(station=s), self._route(charger.parse, self.on_charger))

    def _route(self, parse, handler):
        return stored(self.link, parse, handler)

    def on_station_config(self, config: station_config.StationConfig) -> None:
        """Central (re)configured this station."""
        info = StationInfo.for_station(self.station_id)
        info.name_zh, info.name_en = config.name["zh"], config.name["en"]
        info.district_zh, info.district_en = config.district["zh"], config.district["en"]
        info.capacity, info.charger_slots = config.capacity, config.charger_slots
        info.join_url, info.join_key = config.join_url, config.join_key
        info.public_url, info.district_code = config.public_url, config.district_code
        info.districts = json.dumps([list(d) for d in config.districts], ensure_ascii=False)
        info.configured_at = utcnow()
        info.save()

    def on_occupancy(self, reading: occupancy.Occupancy) -> None:
        """The people counter's latest count (older readings than the stored one are ignored)."""
        StationInfo.for_station(self.station_id)
        (StationInfo.update(people_inside=reading.inside, occupancy_at=reading.ts)
         .where(StationInfo.station_id == self.station_id,
                StationInfo.occupancy_at.is_null() | (StationInfo.occupancy_at <= reading.ts))
         .execute())

    def on_charger(self, state: charger.ChargerSlotState) -> None:
        """A charger slot's latest state (older reports than the stored one are ignored)."""
        (ChargerSlot.insert(slot=state.slot, status=state.status.value, power_w=state.power_w,
                            energy_wh=state.energy_wh, reported_at=state.ts)
         .on_conflict(conflict_target=[ChargerSlot.slot],
                      update={ChargerSlot.status: state.status.value, ChargerSlot.power_w: state.power_w,
                              ChargerSlot.energy_wh: state.energy_wh, ChargerSlot.reported_at: state.ts},
                      where=(ChargerSlot.reported_at <= state.ts))
         .execute())
