"""The whole path: a tap on the kiosk reaches the central database through a real broker, exactly once."""

from __future__ import annotations

import json

import pytest

from devices.protocol import events, format_time, utcnow
from kiosk.models import CheckIn as KioskCheckIn
from kiosk.models import OutboxEvent
from kiosk.node import KioskNode
from station_admin.core.models import CheckIn, StationEvent
from station_admin.node.ingest import IngestWorker
from tests.brokers import mosquitto_pub
from tests.conftest import csrf_of, wait_until


def start_ingest(running, central_settings, broker_url):
    """An ingest worker on the broker, with its database migrated; waits until it is subscribed."""
    from station_admin.core import models
    from waystation.db import open_database

    settings = central_settings(broker_url, template="migrated")
    models.db.initialize(open_database(settings.database.url))
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    return worker


def central_checkins():
    from station_admin.core.models import db

    with db.connection_context():
        return list(CheckIn.select().order_by(CheckIn.id))


def tap_checkin(client, times: int = 1):
    """Tap the kiosk's check-in button the way htmx does."""
    client.get("/")
    for _ in range(times):
        response = client.post("/checkin/", headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(client)})
        assert response.status_code == 200
        assert b'data-testid="checkin-done"' in response.data


def kiosk_with_node(running, kiosk_app, kiosk_settings, broker_url):
    node = KioskNode(kiosk_settings(broker_url))
    kiosk_app.extensions["waystation.outbox_wake"] = node.publisher.wake
    kiosk_app.extensions["waystation.broker_connected"] = node.link.connected
    return running.start(node)


@pytest.mark.parametrize("broker_kind", ["mosquitto", "embedded"])
def test_checkin_arrives_exactly_once(broker_kind, request, running, central_settings, kiosk_app, kiosk_settings):
    broker = request.getfixturevalue("shared_mosquitto" if broker_kind == "mosquitto" else "embedded_broker")
    start_ingest(running, central_settings, broker.url)
    node = kiosk_with_node(running, kiosk_app, kiosk_settings, broker.url)
    client = kiosk_app.test_client()

    tap_checkin(client)

    rows = wait_until(central_checkins, message="the check-in at central")
    with kiosk_app.app_context():
        local = KioskCheckIn.get()
        wait_until(lambda: OutboxEvent.pending_count() == 0, message="the outbox drained")
    assert [(r.event_id, r.station_code, r.method) for r in rows] == [(local.event_id, "xh-xujiahui", "anonymous")]
    node.publisher.wake()
    # Nothing more arrives later: the row was marked sent once acknowledged, so it is not sent again.
    with kiosk_app.app_context():
        assert OutboxEvent.get().sent_at is not None
    assert len(central_checkins()) == 1


def test_fifty_checkins_during_a_broker_outage_arrive_once_in_order(
        mosquitto, running, central_settings, kiosk_app, kiosk_settings):
    start_ingest(running, central_settings, mosquitto.url)
    node = kiosk_with_node(running, kiosk_app, kiosk_settings, mosquitto.url)
    client = kiosk_app.test_client()
    wait_until(node.link.connected.is_set, message="kiosk connected")

    mosquitto.stop()
    wait_until(lambda: not node.link.connected.is_set(), message="kiosk to notice the outage")
    tap_checkin(client, 50)
    with kiosk_app.app_context():
        assert OutboxEvent.pending_count() == 50
    page = client.get("/live", headers={"HX-Request": "true"})
    assert "未同步：50" in page.get_data(as_text=True)

    mosquitto.start()
    rows = wait_until(lambda: (r := central_checkins()) and len(r) >= 50 and r, timeout=30,
                      message="all 50 check-ins at central")
    with kiosk_app.app_context():
        wait_until(lambda: OutboxEvent.pending_count() == 0, message="the outbox drained")
        sent = {e.event_id: e.seq for e in OutboxEvent.select()}
    assert len(rows) == 50
    assert len({r.event_id for r in rows}) == 50
    seqs = [sent[r.event_id] for r in rows]
    assert seqs == sorted(seqs), "central stored the check-ins out of order"
    assert "未同步" not in client.get("/live", headers={"HX-Request": "true"}).get_data(as_text=True)


def test_same_event_published_twice_is_stored_once(shared_mosquitto, running, central_settings, topic_root):
    worker = start_ingest(running, central_settings, shared_mosquitto.url)
    event = events.StationEvent("xh-longhua", events.new_event_id(), 7, utcnow(), events.CheckIn())
    topic = f"{topic_root}/{event.topic}"
    for _ in range(2):
        mosquitto_pub(shared_mosquitto.port, topic, event.to_payload())
    # A later, different event proves the worker has processed everything published before it.
    marker = events.StationEvent("xh-longhua", events.new_event_id(), 8, utcnow(), events.CheckIn())
    mosquitto_pub(shared_mosquitto.port, f"{topic_root}/{marker.topic}", marker.to_payload())
    rows = wait_until(lambda: (r := central_checkins()) and len(r) >= 2 and r, message="both events")
    assert [r.event_id for r in rows] == [event.event_id, marker.event_id]
    from station_admin.core.models import db

    with db.connection_context():
        assert StationEvent.select().count() == 2
    assert worker.link.connected.is_set()


BAD_MESSAGES = [
    ("malformed JSON", "station/xh-longhua/event/checkin", b"{not json"),
    ("not an object", "station/xh-longhua/event/checkin", b"[1, 2, 3]"),
    ("not UTF-8", "station/xh-longhua/event/checkin", b"\xff\xfe\x00"),
    ("oversized", "station/xh-longhua/event/checkin", b'{"v":1,"pad":"' + b"x" * 20000 + b'"}'),
    ("wrong version", "station/xh-longhua/event/checkin",
     json.dumps({"v": 2, "id": "a" * 32, "seq": 1, "ts": "2026-11-21T06:00:00.000Z", "data": {}}).encode()),
    ("missing field", "station/xh-longhua/event/checkin",
     json.dumps({"v": 1, "seq": 1, "ts": "2026-11-21T06:00:00.000Z", "data": {"method": "anonymous"}}).encode()),
    ("bad time", "station/xh-longhua/event/checkin",
     json.dumps({"v": 1, "id": "b" * 32, "seq": 1, "ts": "yesterday", "data": {"method": "anonymous"}}).encode()),
    ("unknown event kind", "station/xh-longhua/event/party",
     json.dumps({"v": 1, "id": "c" * 32, "seq": 1, "ts": "2026-11-21T06:00:00.000Z", "data": {}}).encode()),
    ("topic of no family", "station/xh-longhua/nonsense/1", b'{"v":1}'),
    ("occupancy payload on a charger topic", "station/xh-longhua/charger/2",
     b'{"v":1,"inside":3,"ts":"2026-11-21T06:00:00.000Z"}'),
    ("bad station id", "station/XH LONGHUA/occupancy", b'{"v":1,"inside":3,"ts":"2026-11-21T06:00:00.000Z"}'),
    ("negative count", "station/xh-longhua/occupancy", b'{"v":1,"inside":-3,"ts":"2026-11-21T06:00:00.000Z"}'),
    ("unknown slot status", "station/xh-longhua/charger/1",
     b'{"v":1,"status":"exploded","power_w":0,"energy_wh":0,"ts":"2026-11-21T06:00:00.000Z"}'),
    ("slot out of range", "station/xh-longhua/charger/99",
     b'{"v":1,"status":"available","power_w":0,"energy_wh":0,"ts":"2026-11-21T06:00:00.000Z"}'),
]


def test_invalid_payloads_are_logged_and_dropped_and_ingest_keeps_working(
        shared_mosquitto, running, central_settings, topic_root, caplog):
    start_ingest(running, central_settings, shared_mosquitto.url)
    caplog.set_level("WARNING", logger="station_admin.node.ingest")
    for _, topic, payload in BAD_MESSAGES:
        mosquitto_pub(shared_mosquitto.port, f"{topic_root}/{topic}", payload)
    good = events.StationEvent("xh-longhua", events.new_event_id(), 1, utcnow(), events.CheckIn())
    mosquitto_pub(shared_mosquitto.port, f"{topic_root}/{good.topic}", good.to_payload())

    rows = wait_until(central_checkins, message="the valid event after the invalid ones")
    assert [r.event_id for r in rows] == [good.event_id]
    dropped = [r for r in caplog.records if "dropped invalid message" in r.getMessage()]
    assert len(dropped) == len(BAD_MESSAGES), [r.getMessage() for r in dropped]
    for (_, topic, _), record in zip(BAD_MESSAGES, dropped, strict=True):
        assert f"{topic_root}/{topic}" in record.getMessage()
    from station_admin.core.models import ChargerSlotState, StationLive, db

    with db.connection_context():
        assert StationEvent.select().count() == 1
        assert StationLive.select().count() == 0
        assert ChargerSlotState.select().count() == 0
    assert format_time(good.ts)
