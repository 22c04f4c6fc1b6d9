"""Nothing one message or one clock can do stops ingest: issue 11's "What must be shown", 1 to 3, on a real Mosquitto.

Handlers are made to fail for one message each by the database itself (a trigger that aborts the
write for a marked value as a constraint violation, SQLite and PostgreSQL alike): a real fault
confined to one message, with no mock of our code.
"""

from __future__ import annotations

import logging
import os
import random
import time
from datetime import timedelta

import paho.mqtt.client as mqtt
import peewee
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol import availability, charger, events, heartbeat, join, location, occupancy, sessions, utcnow
from station_admin.core import models
from station_admin.live import alarms
from station_admin.live.alarms import Alarm
from station_admin.live.charging import ChargeSession
from station_admin.live.deadletters import DeadLetter
from station_admin.node.ingest import IngestWorker
from station_admin.rollups.hourly import CheckInHourly
from tests.brokers import TEST_ACCOUNT
from tests.conftest import wait_until
from tests.fuzzing import random_station_message, refused, table_dump
from tests.station_admin.test_ingest import migrated

log = logging.getLogger(__name__)
STATION = "xh-longhua"
MARK = 4242
# (table, operation, condition): the write a handler makes for the one marked message fails.
POISON = [
    ("stationevent", "INSERT", f"NEW.seq = {MARK}"),            # on_events
    ("stationlive", "INSERT", f"NEW.people_inside = {MARK}"),    # on_occupancy
    ("chargerslotstate", "INSERT", f"NEW.power_w = {MARK}"),     # on_charger
    ("devicestate", "UPDATE", f"NEW.outbox_pending = {MARK}"),   # on_heartbeat
    ("devicestate", "INSERT", "NEW.device = 'poison'"),          # on_availability
    ("charge_session", "INSERT", f"NEW.energy_wh = {MARK}"),     # on_session
    ("station_location", "INSERT", "NEW.place = 'poison'"),      # on_location
]
# Tables the valid events (and the dead letters, and their alarm) may change; every other must not change.
EXPECTED_TO_CHANGE = {"stationevent", "checkin", "checkin_hourly", "checkin_daily", "checkin_weekly", "dead_letter",
                      "unknown_station",  # the stations of this empty database are unknown: their traffic is noted
                      "alarm"}


def poison_messages() -> list:
    """One message per handler, each of which the trigger above makes fail."""
    now = utcnow()
    return [
        events.StationEvent(STATION, events.new_event_id(), MARK, now, events.CheckIn()),
        occupancy.Occupancy(STATION, MARK, 0, 0, now),
        charger.ChargerSlotState(STATION, 2, charger.SlotStatus.CHARGING, MARK, 10, now),
        heartbeat.Heartbeat(STATION, "kiosk", now, outbox_pending=MARK),
        availability.Availability(STATION, "poison", availability.DeviceKind.KIOSK, True),
        sessions.ChargeSession(STATION, 1, sessions.new_session_id(), sessions.Phase.START, now, now, MARK, 100, 3600),
        location.Location(STATION, 31.2, 121.4, now, "poison"),
    ]


def install_poison(database) -> None:
    """Triggers that abort exactly the marked writes."""
    sqlite = isinstance(database.obj, peewee.SqliteDatabase)
    if not sqlite:
        database.execute_sql("CREATE FUNCTION poison_by_test() RETURNS trigger AS $$ BEGIN "
                             "RAISE EXCEPTION 'poisoned by the test' USING ERRCODE = 'check_violation'; "
                             "END $$ LANGUAGE plpgsql")
    for n, (table, operation, condition) in enumerate(POISON):
        if sqlite:
            database.execute_sql(f'CREATE TRIGGER poison_{n} BEFORE {operation} ON "{table}" FOR EACH ROW '
                                 f"WHEN {condition} BEGIN SELECT RAISE(ABORT, 'poisoned by the test'); END")
        else:
            database.execute_sql(f'CREATE TRIGGER poison_{n} BEFORE {operation} ON "{table}" FOR EACH ROW '
                                 f"WHEN ({condition}) EXECUTE FUNCTION poison_by_test()")


class Station:
    """A paho client publishing as a station would (QoS 1, many in flight)."""

    def __init__(self, port: int, root: str):
        self.root = root
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
        self.client.max_inflight_messages_set(500)
        self.client.username_pw_set(*TEST_ACCOUNT)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        self.infos: list = []

    def send(self, topic: str, payload: bytes, retain: bool = False) -> None:
        self.infos.append(self.client.publish(join(self.root, topic), payload, qos=1, retain=retain))

    def message(self, message) -> None:
        self.send(message.topic, message.to_payload(), retain=message.RETAIN)

    def flush(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for info in self.infos:
            info.wait_for_publish(max(deadline - time.monotonic(), 0.1))
            assert info.is_published(), "the broker did not take a message"
        self.infos = []

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def publishable(topic: str) -> bool:
    """Whether MQTT lets a client publish on this topic at all (no wildcards, no control characters)."""
    return bool(topic) and not any(c in topic for c in "+#") and all(ord(c) >= 32 and not 0x7F <= ord(c) <= 0x9F
                                                                    for c in topic)


def count_stored(ids) -> tuple[int, int]:
    ids = list(ids)
    with models.db.connection_context():
        return (models.StationEvent.select().where(models.StationEvent.event_id.in_(ids)).count(),
                models.CheckIn.select().where(models.CheckIn.event_id.in_(ids)).count())


@pytest.mark.timeout(300)
def test_poison_among_ten_thousand_random_messages_and_valid_events(mosquitto, central_settings, running):
    """The nested-array check-in, a message that makes each handler fail, and 10,000 random messages,
    sent among valid events: every valid event stored once, every failing one a dead letter, every
    invalid one dropped, the worker alive throughout, no table changed by the bad ones, and after a
    restart nothing comes back."""
    seed = int(os.environ.get("WAYSTATION_FUZZ_SEED", random.randrange(2**32)))
    log.info("random messages from seed %d (WAYSTATION_FUZZ_SEED=%d to repeat)", seed, seed)
    rng = random.Random(seed)
    settings = central_settings(mosquitto.url, template="migrated")
    migrated(settings)
    with models.db.connection_context():
        install_poison(models.db)
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    station = Station(mosquitto.port, settings.broker.topic_root)
    station.message(availability.Availability(STATION, "kiosk", availability.DeviceKind.KIOSK, True))
    station.flush()

    def kiosk_known():
        with models.db.connection_context():
            return models.DeviceState.select().where(models.DeviceState.device == "kiosk").exists()

    wait_until(kiosk_known, message="the kiosk's availability stored")
    with models.db.connection_context():
        before = table_dump(models.db)

    garbage = []
    while len(garbage) < 10_000:
        topic, payload = random_station_message(rng)
        # Ingest subscribes to station/#: a topic outside it never reaches the worker, so it proves nothing here.
        if topic.startswith("station/") and publishable(topic) and refused(topic, payload):
            garbage.append((topic, payload))
    nested = (b'{"v":1,"id":"' + events.new_event_id().encode() + b'","seq":1,"ts":"2026-11-21T06:30:00.000Z",'
              b'"data":' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert len(nested) < 16384
    garbage.append(("station/xh-longhua/event/checkin", nested))
    valid = [events.StationEvent(STATION, events.new_event_id(), n, utcnow(), events.CheckIn()) for n in range(1, 301)]
    poison = poison_messages()
    sequence = [("garbage", g) for g in garbage] + [("valid", v) for v in valid] + [("poison", p) for p in poison]
    rng.shuffle(sequence)

    started = time.monotonic()
    for what, item in sequence:
        if what == "garbage":
            station.send(*item)
        else:
            # Not retained, even the state: a retained poison would come back to every new subscriber.
            station.send(item.topic, item.to_payload())
    station.flush()
    try:
        wait_until(lambda: worker.dropped >= len(garbage) and worker.dead_letters >= len(poison)
                   and count_stored(v.event_id for v in valid) == (len(valid), len(valid)) or not worker.alive,
                   timeout=120, interval=0.2, message="every message handled")
    except AssertionError as e:
        raise AssertionError(f"{e} (seed {seed}): {worker.dropped} of {len(garbage)} dropped, {worker.dead_letters} "
                             f"of {len(poison)} dead letters, stored {count_stored(v.event_id for v in valid)} of "
                             f"{len(valid)}") from None
    elapsed = time.monotonic() - started
    log.info("%d messages through Mosquitto and ingest in %.1f s", len(sequence), elapsed)

    assert worker.alive, f"the worker died: {worker.died!r} (seed {seed})"
    time.sleep(0.5)
    assert worker.dropped == len(garbage), f"seed {seed}"
    assert worker.dead_letters == len(poison), f"seed {seed}"
    with models.db.connection_context():
        after = table_dump(models.db)
        unchanged = {t for t in before if t not in EXPECTED_TO_CHANGE}
        assert {t: after[t] for t in unchanged} == {t: before[t] for t in unchanged}, f"a bad one wrote (seed {seed})"
        ids = sorted(v.event_id for v in valid)
        assert sorted(r.event_id for r in models.StationEvent.select().where(
            models.StationEvent.station_code == STATION)) == ids, "events other than the valid ones are stored"
        assert sorted(r.event_id for r in models.CheckIn.select()) == ids
        assert sum(r.n for r in CheckInHourly.select().where(CheckInHourly.station_code == STATION)) == len(valid)
        letters = list(DeadLetter.select())
        assert len(letters) == len(poison) and all(d.count == 1 and d.status == "open" for d in letters)
        assert all("poisoned by the test" in d.error for d in letters)
        assert {d.topic for d in letters} == {join(settings.broker.topic_root, p.topic) for p in poison}
        assert Alarm.get(Alarm.open_key == "ingest_dead_letter|ingest").station_code is None

    # After a restart (same client id, persistent session) nothing is delivered again: all was acknowledged.
    worker.stop()
    again = running.start(IngestWorker(settings))
    wait_until(again.link.subscribed.is_set, message="ingest subscribed again")
    time.sleep(3)
    # (Re-subscribing brings the retained availability of the setup again; that is MQTT, not a redelivery.)
    assert (again.dropped, again.dead_letters) == (0, 0), "messages were redelivered"
    with models.db.connection_context():
        assert all(d.count == 1 for d in DeadLetter.select())
        assert models.StationEvent.select().count() == len(valid)
    station.close()


@pytest.mark.timeout(60)
def test_future_dated_retained_occupancy_does_not_freeze_live_state(shared_mosquitto, central_settings, running):
    """A retained occupancy dated 2036, then real readings: live state follows the real ones."""
    settings = central_settings(shared_mosquitto.url, template="migrated")
    migrated(settings)
    station = Station(shared_mosquitto.port, settings.broker.topic_root)
    future = utcnow().replace(year=2036)
    station.message(occupancy.Occupancy(STATION, 99, 99, 0, future))  # retained: waiting for ingest
    station.flush()
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")

    def live():
        with models.db.connection_context():
            return models.StationLive.get_or_none(models.StationLive.station_code == STATION)

    first = wait_until(live, message="the retained reading")
    assert first.people_inside == 99
    assert first.occupancy_at < utcnow() + timedelta(minutes=5), "a time in 2036 was stored as reported"
    for inside in (3, 4, 5):
        station.message(occupancy.Occupancy(STATION, inside, 10 + inside, 0, utcnow()))
        station.flush()
        wait_until(lambda inside=inside: live().people_inside == inside, timeout=5, message=f"{inside} inside")
    station.send(occupancy.PATTERN.format(station=STATION), b"", retain=True)  # clear the retained message
    station.flush()
    station.close()


@pytest.mark.timeout(60)
def test_check_in_dated_2036_is_stored_with_receive_time_and_flagged(shared_mosquitto, central_settings, running):
    settings = central_settings(shared_mosquitto.url, template="migrated")
    migrated(settings)
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    station = Station(shared_mosquitto.port, settings.broker.topic_root)
    reported = utcnow().replace(year=2036)
    late = events.StationEvent(STATION, events.new_event_id(), 1, reported, events.CheckIn())
    old = events.StationEvent(STATION, events.new_event_id(), 2, utcnow() - timedelta(days=400), events.CheckIn())
    fine = events.StationEvent(STATION, events.new_event_id(), 3, utcnow() - timedelta(days=3), events.CheckIn())
    sent_at = utcnow()
    for event in (late, old, fine):
        station.message(event)
    station.flush()
    wait_until(lambda: count_stored([late.event_id, old.event_id, fine.event_id]) == (3, 3), message="stored")
    with models.db.connection_context():
        rows = {r.event_id: r for r in models.StationEvent.select()}
        checkins = {r.event_id: r for r in models.CheckIn.select()}
    for event, flag in ((late, "future"), (old, "past")):
        row = rows[event.event_id]
        assert (row.ts_flag, row.device_ts) == (flag, event.ts)
        assert sent_at - timedelta(seconds=1) <= row.occurred_at <= utcnow()
        assert checkins[event.event_id].occurred_at == row.occurred_at  # counted on the day it arrived
    assert (rows[fine.event_id].ts_flag, rows[fine.event_id].occurred_at) == (None, fine.ts)  # offline days: kept
    station.close()


@pytest.mark.timeout(90)
@pytest.mark.parametrize("behind", [timedelta(seconds=120), timedelta(minutes=10)], ids=["120s", "10min"])
def test_controller_whose_clock_is_behind_stays_online_and_keeps_its_session(
        behind, shared_mosquitto, central_settings, running):
    """Heartbeats are judged by central's receive time: a controller minutes behind stays online, its
    session open, and its clock offset is recorded; when the heartbeats stop it goes offline."""
    settings = central_settings(shared_mosquitto.url, template="migrated", alarms={"heartbeat_timeout_s": 3})
    migrated(settings)
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    station = Station(shared_mosquitto.port, settings.broker.topic_root)
    clock = lambda: utcnow() - behind  # noqa: E731 - the controller's clock
    station.message(availability.Availability(STATION, "charger", availability.DeviceKind.CHARGER_CONTROLLER, True))
    session = sessions.ChargeSession(STATION, 1, sessions.new_session_id(), sessions.Phase.START, clock(), clock(),
                                     0, 200, 3600, "W7K3M9Q2XZ")
    station.message(session)

    def evaluate():
        with models.db.connection_context(), models.db.atomic():
            alarms.evaluate(utcnow(), settings.alarms)
            state = models.DeviceState.get(models.DeviceState.device == "charger")
            return ({a.kind for a in Alarm.open()}, ChargeSession.get().ended_at, state)

    station.message(heartbeat.Heartbeat(STATION, "charger", clock()))
    station.flush()
    wait_until(lambda: count_sessions() == 1, message="the session stored")
    deadline = time.monotonic() + 6  # twice the heartbeat timeout, heartbeating every 0.5 s
    while time.monotonic() < deadline:
        station.message(heartbeat.Heartbeat(STATION, "charger", clock()))
        station.flush()
        time.sleep(0.5)
        open_alarms, ended, _ = evaluate()
        assert "device_offline" not in open_alarms, "a controller whose clock is behind was taken for offline"
        assert ended is None, "its session was closed"
    offset = evaluate()[2].clock_offset_s
    assert abs(offset + behind.total_seconds()) < 2, offset
    # It can fail: once the heartbeats stop, the controller is offline and its session closed.
    time.sleep(3.5)
    open_alarms, ended, _ = evaluate()
    assert "device_offline" in open_alarms and ended is not None
    station.close()


def count_sessions() -> int:
    with models.db.connection_context():
        return ChargeSession.select().count()
