"""Liveness judged against how far ingest has got, broker backlog included (devices.protocol.markers).

A real Mosquitto with the shipped configuration holds a backlog for a stopped ingest worker's
persistent session; the worker starts again behind it, storing slowly. The old rule (the worker's own
queue only) calls every device offline; with markers nobody is judged until this start's first marker
is back, central raises one "behind" alarm instead, and a device that really went silent is still
found once the backlog is through.
"""

from __future__ import annotations

import threading
import time

import pytest

from devices.protocol import ProtocolError, availability, heartbeat, join, markers, utcnow
from station_admin.core import models
from station_admin.core.models import DeviceState
from station_admin.live import alarms
from station_admin.live.alarms import Alarm
from station_admin.node.ingest import IngestWorker
from tests.conftest import wait_until
from tests.station_admin.test_ingest import publisher
from waystation.db import open_database

STATIONS = ("xh-xujiahui", "xh-caohejing", "xh-longhua")
DEVICES = [(s, "counter") for s in STATIONS]
SILENT = ("xh-longhua", "counter")  # stops with the worker and never comes back
TIMEOUT_S = 2


def send(client, root: str, messages, qos: int = 1) -> None:
    infos = [client.publish(join(root, m.topic), m.to_payload(), qos=qos) for m in messages]
    for info in infos:
        info.wait_for_publish(10)


def open_offline() -> set[str]:
    with models.db.connection_context():
        return {a.source for a in Alarm.select().where(Alarm.open_key.is_null(False), Alarm.kind == "device_offline")}


def open_kinds() -> set[str]:
    with models.db.connection_context():
        return {a.kind for a in Alarm.select().where(Alarm.open_key.is_null(False))}


def evaluate(worker: IngestWorker, settings) -> None:
    live_until, known = worker.progress()
    with models.db.connection_context():
        alarms.evaluate(utcnow(), settings.alarms, live_until, liveness_known=known)


@pytest.fixture
def settings(central_settings, mosquitto):
    settings = central_settings(mosquitto.url, template="seeded", alarms={"heartbeat_timeout_s": TIMEOUT_S},
                                ingest={"client_id": "ingest-markers", "batch_size": 10, "queue_limit": 10,
                                        "marker_seconds": 0.2})
    models.db.initialize(open_database(settings.database.url))
    return settings


def test_a_backlog_behind_a_restart_is_one_behind_alarm_not_every_device_offline(settings, mosquitto, running,
                                                                                 topic_root):
    first = running.start(IngestWorker(settings))
    wait_until(first.link.subscribed.is_set, message="the worker subscribed")
    client = publisher(mosquitto.port)
    send(client, topic_root, [availability.Availability(s, d, availability.DeviceKind.PEOPLE_COUNTER, True)
                              for s, d in DEVICES])
    send(client, topic_root, [heartbeat.Heartbeat(s, d, utcnow()) for s, d in DEVICES])

    def stored_heartbeats():
        with models.db.connection_context():
            return DeviceState.select().where(DeviceState.heartbeat_at.is_null(False)).count() == len(DEVICES)

    wait_until(stored_heartbeats, message="every device's heartbeat stored")
    wait_until(lambda: first.progress()[1], message="the first marker back")
    evaluate(first, settings)
    assert open_offline() == set()

    first.stop()  # the broker keeps its persistent session and queues what comes for it
    time.sleep(TIMEOUT_S + 1)
    alive = [d for d in DEVICES if d != SILENT]
    send(client, topic_root, [heartbeat.Heartbeat(s, d, utcnow()) for _ in range(40) for s, d in alive])
    client.loop_stop()
    client.disconnect()

    second = IngestWorker(settings)
    store, gate = second.store, threading.Event()

    def slow_store(batch):
        gate.wait(30)  # held until the old rule has been looked at, then ~100 messages a second
        time.sleep(0.1)
        return store(batch)

    second.store = slow_store
    running.start(second)
    wait_until(second.link.connected.is_set, message="the second start connected")
    live_until, known = second.progress()
    assert not known
    with models.db.connection_context():
        # What the old rule (the worker's own queue only) would say: every device offline.
        old_rule = alarms.conditions(utcnow(), settings.alarms, second.caught_up_to())
        assert {source for kind, source in old_rule if kind == "device_offline"} == {f"{s}/{d}" for s, d in DEVICES}
    evaluate(second, settings)
    assert open_offline() == set()  # nobody judged before this start's first marker is back
    gate.set()

    wait_until(lambda: second.progress()[1], timeout=30, message="the second start's first marker back")
    evaluate(second, settings)
    # The living devices' heartbeats came through the backlog; the silent one's last is from before the stop.
    assert open_offline() == {"/".join(SILENT)}
    assert "ingest_behind" not in open_kinds()


def test_ingest_further_behind_than_a_heartbeat_timeout_is_one_alarm_for_admins(settings, mosquitto, running):
    worker = IngestWorker(settings)
    store = worker.store
    release = time.monotonic() + 3 * TIMEOUT_S

    def stuck_store(batch):
        while time.monotonic() < release:
            time.sleep(0.05)
        return store(batch)

    worker.store = stuck_store
    running.start(worker)
    wait_until(worker.link.connected.is_set, message="connected")
    time.sleep(TIMEOUT_S + 0.5)  # the first marker is stuck in a batch that is not stored
    evaluate(worker, settings)
    with models.db.connection_context():
        behind = Alarm.get(Alarm.open_key == "ingest_behind|ingest")
    assert behind.station_code is None and behind.severity == "critical"  # no station: admins only

    def caught_up():
        live_until, known = worker.progress()
        return known and (utcnow() - live_until).total_seconds() < TIMEOUT_S / 2

    wait_until(caught_up, timeout=20, message="a marker sent after the stuck batch back")
    evaluate(worker, settings)
    assert "ingest_behind" not in open_kinds()


def test_an_earlier_start_s_marker_or_a_forged_one_counts_for_nothing(settings):
    worker = IngestWorker(settings)

    class Delivered:
        def __init__(self, message, topic=None):
            self.topic = topic or join(settings.broker.topic_root, message.topic)
            self.payload = message.to_payload()

    now = utcnow()
    worker._markers[1] = now
    worker._marker_stored(Delivered(markers.Marker(worker._marker_worker, "0123456789abcdef", 1, now)))
    assert worker.progress()[1] is False  # another start's run: ignored
    worker._marker_stored(Delivered(markers.Marker(worker._marker_worker, worker._marker_run, 7, now)))
    assert worker.progress()[1] is False  # a sequence this start never sent
    worker._marker_stored(Delivered(markers.Marker(worker._marker_worker, worker._marker_run, 1, now)))
    assert worker.progress() == (min(worker.caught_up_to(), now), True)


@pytest.mark.parametrize("payload", [
    b"", b"{}", b'{"v":1,"seq":1}', b'{"v":1,"run":"x y","seq":1,"ts":"2026-12-01T08:00:00.000Z"}',
    b'{"v":1,"run":"abc","seq":-1,"ts":"2026-12-01T08:00:00.000Z"}', b'{"v":1,"run":"abc","seq":1,"ts":"yesterday"}',
    b"\xff\xfe", b"[1,2]"])
def test_a_bad_marker_is_refused_by_the_parser(payload):
    with pytest.raises(ProtocolError):
        markers.parse("central/ingest/w1/marker", payload)


def test_a_client_id_becomes_a_topic_level():
    assert markers.worker_key("Waystation-Ingest-1") == "waystation-ingest-1"
    assert markers.worker_key("ingest/#+ 2") == "ingest----2"
    assert markers.worker_key("__") == "ingest"
    assert markers.worker_key("x" * 80) == "x" * 40
