"""What central tells stations over MQTT: each station's configuration, retained."""

from __future__ import annotations

import logging

from devices.protocol.station_config import StationConfig
from station_admin.core.models import District, Station, db
from station_admin.core.protect import DataProtector

log = logging.getLogger(__name__)


def station_config(station: Station, protector: DataProtector | None = None, public_url: str = "",
                   districts: tuple[tuple[str, str, str], ...] = ()) -> StationConfig:
    """The retained configuration message for one station (with its join QR key when central has a public URL)."""
    public_url = public_url.rstrip("/")
    join = {"join_url": public_url + "/m/join", "join_key": protector.join_key(station.code)} \
        if protector and public_url else {}
    return StationConfig(
        station=station.code,
        name={"zh": station.name_zh, "en": station.name_en},
        district={"zh": station.district.name_zh, "en": station.district.name_en},
        capacity=station.capacity,
        charger_slots=station.charger_slots,
        public_url=public_url or None,
        district_code=station.district.code,
        districts=districts,
        **join,
    )


def publish_station_configs(link, protector: DataProtector | None = None, public_url: str = "") -> int:
    """Publish every station's configuration (retained), e.g. after connecting; returns how many."""
    with db.connection_context():
        stations = list(Station.select(Station, District).join(District))
        districts: dict[int, list] = {}
        for d in District.select().order_by(District.code):
            districts.setdefault(d.federation_id, []).append((d.code, d.name_zh, d.name_en))
    for station in stations:
        choices = tuple(districts.get(station.district.federation_id, ()))
        link.publish(station_config(station, protector, public_url, choices))
    log.info("published configuration of %d stations", len(stations))
    return len(stations)
