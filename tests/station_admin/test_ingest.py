"""Ingest beyond the happy path: shared subscriptions across workers (MQTT 5), stale state, redelivery."""

from __future__ import annotations

from datetime import timedelta

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol import charger, events, join, occupancy, utcnow
from station_admin.core import models
from station_admin.node.ingest import IngestWorker, on_charger, on_events, on_occupancy
from tests.brokers import TEST_ACCOUNT
from tests.conftest import wait_until
from waystation.db import open_database


def migrated(settings):
    """Point the central models at the (migrated) database of these settings."""
    models.db.initialize(open_database(settings.database.url))


def publisher(url_port: int):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(200)
    client.username_pw_set(*TEST_ACCOUNT)
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


def test_live_state_follows_central_receive_time_and_keeps_the_device_time(central_settings):
    """A reading received earlier never overwrites one received later, whatever the devices' clocks say."""
    settings = central_settings(template="migrated")
    migrated(settings)
    now = utcnow()
    with models.db.connection_context():
        on_occupancy(occupancy.Occupancy("s1", 9, 9, 0, now), now)
        on_occupancy(occupancy.Occupancy("s1", 2, 2, 0, now + timedelta(seconds=5)), now - timedelta(seconds=1))
        on_charger(charger.ChargerSlotState("s1", 1, charger.SlotStatus.CHARGING, 300, 50, now), now)
        on_charger(charger.ChargerSlotState("s1", 1, charger.SlotStatus.AVAILABLE, 0, 0, now),
                   now - timedelta(seconds=1))
        assert models.StationLive.get().people_inside == 9
        assert models.ChargerSlotState.get().status == "charging"
        # A counter whose clock is behind: received later, so it is the newer reading; its own time is kept.
        behind = now - timedelta(minutes=10)
        on_occupancy(occupancy.Occupancy("s1", 4, 9, 5, behind), now + timedelta(seconds=1))
        live = models.StationLive.get()
        assert live.people_inside == 4 and live.occupancy_at == behind
        assert live.received_at == now + timedelta(seconds=1)


def test_redelivered_events_across_batches_have_one_effect(central_settings):
    settings = central_settings(template="migrated")
    migrated(settings)
    batch = [events.StationEvent("s1", events.new_event_id(), n, utcnow(), events.CheckIn()) for n in (1, 2, 3)]
    with models.db.connection_context():
        assert on_events(batch) == 3
        assert on_events(batch[1:] + batch[:1] + batch) == 0
        assert models.CheckIn.select().count() == 3 and models.StationEvent.select().count() == 3


def test_a_heartbeat_before_availability_is_logged_once_and_ignored(central_settings, caplog):
    """docs/mqtt.md: a heartbeat is not availability; one from a device central has none for is logged, once."""
    from devices.protocol import availability, heartbeat
    from station_admin.node.ingest import on_availability, on_heartbeat

    settings = central_settings(template="migrated")
    migrated(settings)
    caplog.set_level("WARNING")
    with models.db.connection_context():
        for _ in range(3):
            on_heartbeat(heartbeat.Heartbeat("s9", "counter", utcnow()))
        assert not models.DeviceState.select().exists()
        assert sum("has not sent its availability" in r.getMessage() for r in caplog.records) == 1
        on_availability(availability.Availability("s9", "counter", availability.DeviceKind.PEOPLE_COUNTER, True))
        received = utcnow()
        on_heartbeat(heartbeat.Heartbeat("s9", "counter", received - timedelta(minutes=10)), received)
        state = models.DeviceState.get()
        assert state.heartbeat_at == received and state.clock_offset_s == -600.0
        assert state.reported_at == received - timedelta(minutes=10)


def test_the_workers_sqlite_connection_gets_the_page_cache_and_postgresql_the_planner_cost(central_settings):
    """ingest.sqlite_cache_mb sizes the worker's own SQLite connection's page cache (a province's live
    state fits; other connections keep SQLite's default); on PostgreSQL every connection of central
    plans with database.postgresql_random_page_cost (a batch's or a page's keys looked up in their index)
    and without JIT compilation unless database.postgresql_jit."""
    import threading

    from waystation.cli import _migrate_central
    from waystation.db import is_sqlite

    settings = central_settings(template="migrated", ingest={"sqlite_cache_mb": 48},
                                database={"postgresql_random_page_cost": 1.3})
    _migrate_central(settings)  # as `waystation ingest` opens the database
    worker = IngestWorker(settings)
    heartbeat_batch = [mqtt.MQTTMessage(1, f"{settings.broker.topic_root}/station/s1/heartbeat/kiosk".encode())]
    assert worker._store_until_done(heartbeat_batch) == {}  # through the store (an empty payload: dropped)
    assert worker.dropped == 1
    sqlite = is_sqlite(models.db)
    setting = "PRAGMA cache_size" if sqlite else "SHOW random_page_cost"
    assert models.db.execute_sql(setting).fetchone()[0] == (-48 * 1024 if sqlite else "1.3")
    other = []

    def elsewhere():
        with models.db.connection_context():
            other.append(models.db.execute_sql(setting).fetchone()[0])

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert other == ([-2000] if sqlite else ["1.3"])  # SQLite's default cache elsewhere; the planner cost everywhere
    jit = "SELECT setting, source FROM pg_settings WHERE name = 'jit'"
    if not sqlite:
        assert models.db.execute_sql(jit).fetchone() == ("off", "client")
    models.db.close()
    if not sqlite:
        _migrate_central(central_settings(template="migrated", database={"postgresql_jit": True,
                                                                          "postgresql_random_page_cost": 0}))
        assert models.db.execute_sql(jit).fetchone()[1] != "client"  # the server's own
        models.db.close()
