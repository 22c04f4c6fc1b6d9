"""The kiosk follows its station over MQTT: config, people, charger slots; stale or bad messages change nothing."""

from __future__ import annotations

from datetime import timedelta

from devices.protocol import charger, occupancy, station_config, utcnow
from kiosk.node import KioskNode
from tests.brokers import mosquitto_pub
from tests.conftest import wait_until
from tests.htmx import HX


def publish(broker, root, message):
    mosquitto_pub(broker.port, f"{root}/{message.topic}", message.to_payload(), qos=1, retain=message.RETAIN)


def test_kiosk_shows_what_its_station_reports(shared_mosquitto, topic_root, running, kiosk_app, kiosk_settings):
    now = utcnow()
    publish(shared_mosquitto, topic_root, station_config.StationConfig(
        "xh-xujiahui", {"zh": "徐家汇爱心驿站", "en": "Xujiahui"}, {"zh": "徐汇区总工会", "en": "Xuhui"}, 20, 3))
    publish(shared_mosquitto, topic_root, occupancy.Occupancy("xh-xujiahui", 6, 6, 0, now))
    publish(shared_mosquitto, topic_root,
            charger.ChargerSlotState("xh-xujiahui", 1, charger.SlotStatus.CHARGING, 300, 20, now))
    # Another station's state must not leak onto this kiosk.
    publish(shared_mosquitto, topic_root, occupancy.Occupancy("xh-longhua", 11, 11, 0, now))
    running.start(KioskNode(kiosk_settings(shared_mosquitto.url)))
    client = kiosk_app.test_client()

    def live():
        return client.get("/live", headers=HX).get_data(as_text=True)

    wait_until(lambda: 'data-testid="free-seats">14<' in live(), message="free seats 20 - 6")
    assert "徐家汇爱心驿站" in client.get("/").get_data(as_text=True)
    assert 'data-testid="slots-charging">1<' in live() and 'data-testid="slots-free">0<' in live()

    publish(shared_mosquitto, topic_root, occupancy.Occupancy("xh-xujiahui", 9, 9, 0, now + timedelta(seconds=1)))
    wait_until(lambda: 'data-testid="free-seats">11<' in live(), message="free seats 20 - 9")
    # A late retransmission of an older reading, then a malformed one: neither changes the screen.
    publish(shared_mosquitto, topic_root, occupancy.Occupancy("xh-xujiahui", 2, 2, 0, now))
    mosquitto_pub(shared_mosquitto.port, f"{topic_root}/station/xh-xujiahui/occupancy", b'{"v":1,"inside":"lots"}')
    publish(shared_mosquitto, topic_root,
            charger.ChargerSlotState("xh-xujiahui", 2, charger.SlotStatus.AVAILABLE, 0, 0, now))
    wait_until(lambda: 'data-testid="slots-free">1<' in live(), message="slot 2 free")
    assert 'data-testid="free-seats">11<' in live()
