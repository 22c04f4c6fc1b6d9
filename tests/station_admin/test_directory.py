"""The public station directory: open now across intervals, overnight and 24-hour stations; live seats
and chargers; a mobile station's location over MQTT (validated); the CSV with GCJ-02 coordinates."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from devices.protocol import location, utcnow
from station_admin.community.opening import OpeningInterval, is_open, parse_interval
from tests.conftest import wait_until

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A local moment in the week of Monday 2026-11-16 (day 0 = Monday)."""
    return datetime(2026, 11, 16 + day, hour, minute, tzinfo=SHANGHAI)


def intervals(*spec) -> list[OpeningInterval]:
    return [OpeningInterval(weekday=w, opens=o, closes=c) for w, o, c in spec]


def test_open_now_across_several_intervals_a_day():
    week = intervals((0, "07:00", "14:00"), (0, "16:00", "22:00"))
    assert is_open(False, week, at(0, 7)) and is_open(False, week, at(0, 13, 59))
    assert not is_open(False, week, at(0, 14)) and not is_open(False, week, at(0, 15, 30))
    assert is_open(False, week, at(0, 21, 59)) and not is_open(False, week, at(0, 22))
    assert not is_open(False, week, at(1, 8))  # Tuesday has no intervals


def test_open_now_overnight_and_24_hours():
    week = intervals((4, "20:00", "02:00"), (5, "08:00", "24:00"))
    assert is_open(False, week, at(4, 23)) and is_open(False, week, at(5, 1, 59))  # Friday night into Saturday
    assert not is_open(False, week, at(5, 2)) and not is_open(False, week, at(4, 19, 59))
    assert is_open(False, week, at(5, 23, 59)) and not is_open(False, week, at(6, 0, 30))
    assert is_open(True, [], at(3, 3))


@pytest.mark.parametrize("text", ["25:00-26:00", "08:00-08:00", "8:00-9:00", "08:60-09:00", "08:00", "abc"])
def test_bad_intervals_are_refused(text):
    assert parse_interval(text) is None


def test_intervals_parse():
    assert parse_interval("20:00–02:00") == ("20:00", "02:00") and parse_interval("08:00-24:00") == ("08:00", "24:00")


def test_directory_page_and_csv(central_app, clock):
    from station_admin.core.models import ChargerSlotState, DeviceState, Station, StationLive, db

    clock(at(2, 15).astimezone(ZoneInfo("UTC")), tick=False)
    now = utcnow()
    with db.connection_context():
        StationLive.create(station_code="xh-xujiahui", people_inside=5, occupancy_at=now)
        DeviceState.create(station_code="xh-xujiahui", device="charger", kind="charger_controller", online=True,
                           changed_at=now)
        for slot, status in enumerate(["available", "available", "charging"], start=1):
            ChargerSlotState.create(station_code="xh-xujiahui", slot=slot, status=status, reported_at=now)
        Station.update(mobile=True).where(Station.code == "xh-longhua").execute()
    client = central_app.test_client()
    page = client.get("/m/stations/").get_data(as_text=True)
    # Wednesday 15:00: Xujiahui is 24 hours, Caohejing is between its intervals, Longhua closed until 20:00.
    assert 'data-code="xh-xujiahui" data-open="yes"' in page and 'data-code="xh-caohejing" data-open="no"' in page
    assert 'data-code="xh-longhua" data-open="no"' in page
    assert "空闲座位 15" in page and "空闲充电位 2" in page and "微波炉" in page
    assert "今日停靠位置尚未报告" in page
    bad = client.get("/m/stations/?sort=price")
    assert bad.status_code == 400 and "排列方式只能是" in bad.get_data(as_text=True)

    rows = list(csv.DictReader(io.StringIO(client.get("/m/stations.csv").get_data(as_text=True).lstrip("\ufeff"))))
    xujiahui = next(r for r in rows if r["code"] == "xh-xujiahui")
    assert (xujiahui["wgs84_lat"], xujiahui["wgs84_lon"]) == ("31.195200", "121.436700")
    assert xujiahui["gcj02_lat"] != xujiahui["wgs84_lat"] and xujiahui["open_now"] == "yes"
    assert xujiahui["free_seats"] == "15" and xujiahui["free_chargers"] == "2"


def test_mobile_station_location_over_mqtt(shared_mosquitto, running, central_settings, monkeypatch):
    """The bus reports where it parks (retained); ingest validates and stores it; the page shows it."""
    from station_admin import create_app
    from station_admin.community.opening import StationLocation
    from station_admin.core import models
    from station_admin.core.models import Station, db
    from station_admin.node.ingest import IngestWorker
    from tests.brokers import mosquitto_pub

    settings = central_settings(shared_mosquitto.url, template="demo")
    app = create_app(settings.as_dict())
    with db.connection_context():
        Station.update(mobile=True).where(Station.code == "xh-longhua").execute()
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    root = settings.broker.topic_root
    topic = f"{root}/station/xh-longhua/location"
    for bad in (b'{"v":1,"ts":"2026-11-18T01:00:00.000Z","lat":95,"lon":121.4}', b"not json",
                b'{"v":1,"ts":"2026-11-18T01:00:00.000Z","lat":31.2}'):
        mosquitto_pub(shared_mosquitto.port, topic, bad, qos=1)
    good = location.Location("xh-longhua", 31.2304, 121.4737, utcnow(), "人民广场东侧")
    mosquitto_pub(shared_mosquitto.port, f"{root}/{good.topic}", good.to_payload(), qos=1, retain=True)

    def stored():
        with db.connection_context():
            return StationLocation.get_or_none(StationLocation.station_code == "xh-longhua")
    row = wait_until(stored, message="the bus's location")
    assert (row.latitude, row.longitude, row.place) == (31.2304, 121.4737, "人民广场东侧")
    with db.connection_context():
        assert StationLocation.select().count() == 1
    page = app.test_client().get("/m/stations/").get_data(as_text=True)
    assert "今日停靠：人民广场东侧" in page
    models.db.close()
