"""Property tests over the kiosk's handlers of what central (and its devices) send: station config, trust,
revocations, schedule, vouchers, commands, live state. Whatever arrives, nothing escapes into paho's
network thread, what the wire contract refuses changes no table, and a valid message after it is
still applied.
"""

from __future__ import annotations

import json
import random

import paho.mqtt.client as mqtt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol import join, station_config, trust
from kiosk import models
from kiosk.node import KioskNode
from tests.brokers import TEST_ACCOUNT
from tests.conftest import wait_until
from tests.fuzzing import STATION, TEXT, VALID, hostile_payloads, mqtt_message, random_json, table_dump

KIOSK_STATION = "xh-xujiahui"
# Everything the kiosk subscribes to, as (parser, valid message) with the message's topic for this kiosk.
TO_KIOSK = [(parse, m) for parse, m in VALID if parse.__module__.rsplit(".", 1)[-1] in (
    "station_config", "trust", "schedule", "vouchers", "commands", "occupancy", "charger", "sessions",
    "availability")]


def kiosk_topic(message) -> str:
    return message.topic.replace(STATION, KIOSK_STATION)


def dispatch(node, message) -> None:
    """Hand a message to the kiosk's MQTT client as its network thread does (paho routes it by topic)."""
    node.link.client._handle_on_message(message)


@pytest.fixture
def kiosk_node(kiosk_app, kiosk_settings):
    """The kiosk's MQTT side with every subscription registered, not connected: messages are dispatched to it."""
    node = KioskNode(kiosk_settings())
    for part in (node.listener, node.trust, node.operations, node.community):
        part.subscribe()
    return node


@settings(max_examples=100)
@given(data=st.data())
def test_hostile_messages_from_central_change_nothing_on_the_kiosk(kiosk_app, kiosk_node, data):
    root = kiosk_node.link.root
    with kiosk_app.app_context(), models.db.connection_context():
        before = table_dump(models.db)
    for _ in range(data.draw(st.integers(1, 8))):
        parse, message = data.draw(st.sampled_from(TO_KIOSK))
        payload = data.draw(hostile_payloads(message))
        try:
            parse(kiosk_topic(message), payload)
        except Exception:  # noqa: BLE001 - only what the contract refuses belongs to this property
            with kiosk_app.app_context():
                dispatch(kiosk_node, mqtt_message(join(root, kiosk_topic(message)), payload))
    with kiosk_app.app_context(), models.db.connection_context():
        assert table_dump(models.db) == before
    # The same way in, a valid message is applied: the dispatch above did reach the handlers.
    policy = next(m for p, m in VALID if p.__name__ == "parse_policy")
    with kiosk_app.app_context():
        dispatch(kiosk_node, mqtt_message(join(root, kiosk_topic(policy)), policy.to_payload()))
    with kiosk_app.app_context(), models.db.connection_context():
        assert models.CarePolicy.get(models.CarePolicy.station_id == KIOSK_STATION).quota == policy.quota
        models.CarePolicy.delete().execute()


@pytest.mark.timeout(60)
def test_after_garbage_through_the_broker_the_kiosk_still_applies_central_messages(
        kiosk_app, kiosk_settings, shared_mosquitto, running):
    """Through a real Mosquitto: 500 hostile messages on every topic the kiosk hears, then a valid station
    config and trust: both are applied (paho's network thread is alive), and nothing else changed."""
    node = running.start(KioskNode(kiosk_settings(shared_mosquitto.url)))
    wait_until(node.link.subscribed.is_set, message="the kiosk subscribed")
    with kiosk_app.app_context(), models.db.connection_context():
        before = table_dump(models.db)
    rng = random.Random(11)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="")
    client.max_inflight_messages_set(200)
    client.username_pw_set(*TEST_ACCOUNT)
    client.connect("127.0.0.1", shared_mosquitto.port)
    client.loop_start()
    root = node.link.root
    infos = []
    for n in range(500):
        _, message = TO_KIOSK[n % len(TO_KIOSK)]
        payload = rng.choice([rng.randbytes(40), json.dumps(random_json(rng)).encode(),
                              b"[" * 3000 + b"]" * 3000, b'{"v":1,"capacity":' + b"9" * 5000 + b"}"])
        infos.append(client.publish(join(root, kiosk_topic(message)), payload, qos=1))
    config = station_config.StationConfig(KIOSK_STATION, {"zh": "徐家汇驿站", "en": "Xujiahui"}, TEXT, 20, 2)
    anchors = next(m for p, m in VALID if p is trust.parse_trust)
    for message in (config, anchors):
        infos.append(client.publish(join(root, kiosk_topic(message)), message.to_payload(), qos=1))
    for info in infos:
        info.wait_for_publish(10)

    def applied():
        with kiosk_app.app_context(), models.db.connection_context():
            info = models.StationInfo.get_or_none(models.StationInfo.station_id == KIOSK_STATION)
            return info is not None and info.capacity == 20 and models.TrustedKey.select().count() == 2

    wait_until(applied, timeout=20, message="the valid config and trust applied after the garbage")
    with kiosk_app.app_context(), models.db.connection_context():
        after = table_dump(models.db)
    changed = {t for t in before if before[t] != after[t]}
    assert changed <= {"stationinfo", "trustedkey"}, changed
    client.loop_stop()
    client.disconnect()
