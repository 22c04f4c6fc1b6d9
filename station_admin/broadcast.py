"""What central tells stations over MQTT: each station's configuration, retained."""

from __future__ import annotations

import logging

from devices.protocol.station_config import StationConfig
from station_admin.models import District, Station, db

log = logging.getLogger(__name__)


def station_config(station: Station) -> StationConfig:
    """The retained configuration message for one station."""
    return StationConfig(
        station=station.code,
        name={"zh": station.name_zh, "en": station.name_en},
        district={"zh": station.district.name_zh, "en": station.district.name_en},
        capacity=station.capacity,
        charger_slots=station.charger_slots,
    )


def publish_station_configs(link) -> int:
    """Publish every station's configuration (retained), e.g. after connecting; returns how many."""
    with db.connection_context():
        stations = list(Station.select(Station, District).join(District))
    for station in stations:
        link.publish(station_config(station))
    log.info("published configuration of %d stations", len(stations))
    return len(stations)
