"""What central tells stations over MQTT: each station's configuration, retained."""

from __future__ import annotations

import logging

from devices.protocol.station_config import StationConfig
from station_admin.models import District, Station, db
from station_admin.protect import DataProtector

log = logging.getLogger(__name__)


def station_config(station: Station, protector: DataProtector | None = None, public_url: str = "") -> StationConfig:
    """The retained configuration message for one station (with its join QR key when central has a public URL)."""
    join = {"join_url": public_url.rstrip("/") + "/m/join", "join_key": protector.join_key(station.code)} \
        if protector and public_url else {}
    return StationConfig(
        station=station.code,
        name={"zh": station.name_zh, "en": station.name_en},
        district={"zh": station.district.name_zh, "en": station.district.name_en},
        capacity=station.capacity,
        charger_slots=station.charger_slots,
        **join,
    )


def publish_station_configs(link, protector: DataProtector | None = None, public_url: str = "") -> int:
    """Publish every station's configuration (retained), e.g. after connecting; returns how many."""
    with db.connection_context():
        stations = list(Station.select(Station, District).join(District))
    for station in stations:
        link.publish(station_config(station, protector, public_url))
    log.info("published configuration of %d stations", len(stations))
    return len(stations)
