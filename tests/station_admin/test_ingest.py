"""Ingest beyond the happy path: shared subscriptions across workers (MQTT 5), stale state, redelivery."""

from __future__ import annotations

from datetime import timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol import charger, events, join, occupancy, utcnow
from station_admin.core import models
from station_admin.node.ingest import IngestWorker, on_charger, on_events, on_occupancy
from tests.conftest import wait_until
from waystation.db import open_database


def migrated(settings):
    """Point the central models at the (migrated) database of these settings."""
    models.db.initialize(open_database(settings.database.url))


def publisher(url_port: int):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(200)
    client.connect("127.0.0.1", url_port)
    client.loop_start()
    return client


def test_two_workers_share_the_load_and_store_each_event_once(shared_mosquitto, central_settings, running, topic_root):
    settings = [central_settings(shared_mosquitto.url, template=template, broker={"protocol": "5"},
                                 ingest={"shared_group": "ingest"}) for template in ("migrated", None)]
    migrated(settings[0])
    workers = [running.start(IngestWorker(s)) for s in settings]
    wait_until(lambda: all(w.link.subscribed.is_set() for w in workers), message="both workers subscribed")

    client = publisher(shared_mosquitto.port)
    sent = [events.StationEvent("xh-longhua", events.new_event_id(), n, utcnow(), events.CheckIn())
            for n in range(1, 401)]
    infos = [client.publish(join(topic_root, e.topic), e.to_payload(), qos=1) for e in sent]
    for info in infos:
        info.wait_for_publish(10)
    client.loop_stop()
    client.disconnect()

    def stored():
        with models.db.connection_context():
            return models.CheckIn.select().count() == len(sent)

    wait_until(stored, timeout=20, message="all shared events stored")
    with models.db.connection_context():
        assert {r.event_id for r in models.StationEvent.select()} == {e.event_id for e in sent}
    assert all(w.stored_batches > 0 for w in workers), "one worker got nothing: the subscription is not shared"


def test_state_never_goes_back_in_time(central_settings):
    settings = central_settings(template="migrated")
    migrated(settings)
    now = utcnow()
    with models.db.connection_context():
        on_occupancy(occupancy.Occupancy("s1", 9, 9, 0, now))
        on_occupancy(occupancy.Occupancy("s1", 2, 2, 0, now - timedelta(seconds=5)))
        on_charger(charger.ChargerSlotState("s1", 1, charger.SlotStatus.CHARGING, 300, 50, now))
        on_charger(charger.ChargerSlotState("s1", 1, charger.SlotStatus.AVAILABLE, 0, 0, now - timedelta(seconds=5)))
        assert models.StationLive.get().people_inside == 9
        assert models.ChargerSlotState.get().status == "charging"
        on_occupancy(occupancy.Occupancy("s1", 4, 9, 5, now + timedelta(seconds=1)))
        assert models.StationLive.get().people_inside == 4


def test_redelivered_events_across_batches_have_one_effect(central_settings):
    settings = central_settings(template="migrated")
    migrated(settings)
    batch = [events.StationEvent("s1", events.new_event_id(), n, utcnow(), events.CheckIn()) for n in (1, 2, 3)]
    with models.db.connection_context():
        assert on_events(batch) == 3
        assert on_events(batch[1:] + batch[:1] + batch) == 0
        assert models.CheckIn.select().count() == 3 and models.StationEvent.select().count() == 3
