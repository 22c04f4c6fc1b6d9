"""Nothing is lost and nothing counts twice when a process, the broker, the database or the network dies.

Every fault here is real: processes get SIGKILL, Mosquitto is killed without saving, PostgreSQL
backends are terminated, a SQLite writer is locked out, and a TCP proxy cuts or black-holes the
network. No mocks; each wait has a timeout.
"""

from __future__ import annotations

import html
import http.cookiejar
import re
import signal
import socket
import sqlite3
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol import events, utcnow
from kiosk.models import OutboxEvent
from kiosk.node import KioskNode
from station_admin.core.models import CheckIn, StationEvent
from station_admin.node.ingest import IngestWorker
from tests.brokers import TEST_ACCOUNT, free_port, port_open
from tests.conftest import (  # noqa: F401 - ROOT, WaystationProcess and waystation_env are also imported from here
    DATABASES,
    POSTGRES_URL,
    ROOT,
    WaystationProcess,
    csrf_of,
    make_settings,
    tail,
    wait_until,
    waystation_env,
)

STATION = "xh-longhua"
KIOSK_STATION = "xh-xujiahui"
PROBE_STATION = "xh-probe"


# --- the central database, as the test sees it ------------------------------------------------------

def use_central_db(url: str) -> None:
    """Point the central models at `url` (migrated), for reading what ingest stored."""
    from station_admin import migrations
    from station_admin.core import models
    from waystation.db import migrate, open_database

    models.db.initialize(open_database(url))
    migrate(models.db, migrations.MIGRATIONS)


def stored_event_ids(station: str = STATION) -> list[str]:
    """Event ids stored at central for a station, in the order they were stored."""
    from station_admin.core.models import db

    with db.connection_context():
        return [r.event_id for r in StationEvent.select(StationEvent.event_id)
                .where(StationEvent.station_code == station).order_by(StationEvent.id)]


def stored_checkin_ids(station: str = STATION) -> list[str]:
    """Check-in event ids at central for a station, in the order they were stored."""
    from station_admin.core.models import db

    with db.connection_context():
        return [r.event_id for r in CheckIn.select(CheckIn.event_id)
                .where(CheckIn.station_code == station).order_by(CheckIn.id)]


def assert_exactly_once(expected_ids, broker_port: int, topic_root: str, station: str = STATION, timeout: float = 60,
                        log: Path | None = None):
    """Wait until every expected event is at central, then check each is there once, and stays once."""
    expected = list(expected_ids)
    try:
        wait_until(lambda: len(set(stored_event_ids(station)) & set(expected)) == len(expected), timeout=timeout,
                   interval=0.1, message=f"all {len(expected)} events at central")
    except AssertionError:
        have = set(stored_event_ids(station))
        missing = [e for e in expected if e not in have]
        raise AssertionError(f"{len(missing)} of {len(expected)} events never arrived"
                             f"{tail(log)}") from None
    # A redelivery the broker still had for ingest is queued ahead of a marker published now.
    ingest_handled_marker(broker_port, topic_root, log)
    events_ = stored_event_ids(station)
    checkins = stored_checkin_ids(station)
    assert len(events_) == len(set(events_)) == len(expected), "an event was stored twice"
    assert set(events_) == set(expected), "central holds events nobody sent"
    assert len(checkins) == len(set(checkins)) == len(expected)
    assert set(checkins) == set(expected)
    assert_counted_once(len(expected), station)
    return checkins


def assert_counted_once(count: int, station: str = STATION) -> None:
    """The rollups the reports read (hourly, daily, weekly), and the report figures made from them, count
    each check-in once: a redelivery that slipped past the unique index would show here, not only there."""
    from station_admin.core.models import db
    from station_admin.rollups.hourly import (
        CheckInHourly,
        checkin_per_local_day,
        checkin_per_week_hour,
        checkin_total,
        hour_number,
    )
    from station_admin.rollups.periodic import CheckInDaily, CheckInWeekly

    # Eight weeks around now, so the reports' figures read whole weeks, whole days and loose hours alike.
    now = hour_number(utcnow())
    window = (now - 24 * 28 - 5, now + 24 * 28 + 5)
    with db.connection_context():
        rows = [sum(r.n for r in rollup.select().where(rollup.station_code == station))
                for rollup in (CheckInHourly, CheckInDaily, CheckInWeekly)]
        # What the usage report's total, day table and busiest-hours heat map add up to (Asia/Shanghai, UTC+8).
        figures = [checkin_total([station], *window),
                   sum(checkin_per_local_day({station: [station]}, *window, 8).values()),
                   sum(checkin_per_week_hour([station], *window, 8).values())]
    assert rows + figures == [count] * 6, f"a rollup or report counts a check-in twice: {rows + figures}"


# --- processes --------------------------------------------------------------------------------------

class KioskProcess(WaystationProcess):
    """`waystation kiosk` on a free port, and a rider's browser session to tap its check-in button."""

    def __init__(self, tmp_path: Path, broker_url: str, topic_root: str, **settings):
        self.port = free_port()
        self.database = tmp_path / f"kiosk-{KIOSK_STATION}.db"
        env = waystation_env(broker_url=broker_url, broker_topic_root=topic_root, broker_reconnect_min_s=1,
                             broker_reconnect_max_s=2, kiosk_station_id=KIOSK_STATION, kiosk_port=self.port,
                             kiosk_database_path=tmp_path / "kiosk-{station}.db", kiosk_secret_key="k" * 40,
                             kiosk_heartbeat_seconds=1, kiosk_outbox_ack_timeout_s=3, **settings)
        super().__init__("kiosk", env, tmp_path / "kiosk.log")
        self.browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def start(self) -> KioskProcess:
        super().start()
        wait_until(lambda: port_open(self.port) or not self.alive(), timeout=30, message="the kiosk to listen")
        assert self.alive(), f"the kiosk did not start{tail(self.log)}"
        page = self.browser.open(f"http://127.0.0.1:{self.port}/", timeout=10).read().decode()
        found = re.search(r'"X-CSRF-Token":\s*"([^"]+)"', html.unescape(page))
        assert found, "no anti-forgery token in the kiosk page's hx-headers"
        self.csrf = found.group(1)
        return self

    def tap_checkin(self, times: int = 1) -> None:
        """Tap the check-in button the way htmx does."""
        for _ in range(times):
            request = urllib.request.Request(f"http://127.0.0.1:{self.port}/checkin/", data=b"", method="POST",
                                             headers={"HX-Request": "true", "X-CSRF-Token": self.csrf})
            with self.browser.open(request, timeout=10) as response:
                assert response.status == 200
                assert b'data-testid="checkin-done"' in response.read()

    def outbox(self) -> list[tuple[str, int, str | None]]:
        """(event_id, seq, sent_at) of every outbox row, read from the kiosk's own file."""
        with sqlite3.connect(self.database, timeout=5) as conn:
            return conn.execute("SELECT event_id, seq, sent_at FROM outboxevent ORDER BY seq").fetchall()


@pytest.fixture
def processes():
    """Child processes a test starts; whatever is still running at the end is stopped."""
    started: list[WaystationProcess] = []
    yield started
    for process in started:
        process.stop()


def ingest_process(processes, tmp_path, broker_url, topic_root, database_url, **settings) -> WaystationProcess:
    env = waystation_env(broker_url=broker_url, broker_topic_root=topic_root, broker_reconnect_min_s=1,
                         broker_reconnect_max_s=2, database_url=database_url,
                         ingest_client_id=f"ingest-{uuid.uuid4().hex[:8]}", ingest_batch_wait_ms=20,
                         central_secret_key="c" * 40, central_data_key="d" * 40, **settings)
    process = WaystationProcess("ingest", env, tmp_path / "ingest.log")
    processes.append(process)
    return process


def start_ingest_in_process(running, central_settings, broker_url) -> IngestWorker:
    """An ingest worker in this process, its database migrated; waits until it is connected."""
    settings = central_settings(broker_url, template="migrated")
    use_central_db(settings.database.url)
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    return worker


# --- publishing events as a station would -----------------------------------------------------------

class EventStream:
    """Publishes check-in events at QoS 1 at a steady rate from a thread, like a busy station: `count` of
    them, or fewer if the test calls `stop()` first (so a fault outlasts none of it on a slow machine)."""

    def __init__(self, port: int, topic_root: str, count: int, per_second: int, station: str = STATION):
        self.topic_root = topic_root
        self.count = count
        self.per_second = per_second
        self.station = station
        self.ids: list[str] = []
        self.infos: list[mqtt.MQTTMessageInfo] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"station-{uuid.uuid4().hex[:8]}")
        self.client.max_inflight_messages_set(200)
        self.client.username_pw_set(*TEST_ACCOUNT)
        self.client.connect("127.0.0.1", port, 20)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name="event-stream", daemon=True)
        self._stopping = threading.Event()

    def start(self) -> EventStream:
        self._thread.start()
        return self

    @property
    def publishing(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        started = time.monotonic()
        for seq in range(1, self.count + 1):
            if self._stopping.is_set():
                break
            event = events.StationEvent(self.station, events.new_event_id(), seq, utcnow(), events.CheckIn())
            self.ids.append(event.event_id)
            self.infos.append(self.client.publish(f"{self.topic_root}/{event.topic}", event.to_payload(), qos=1))
            ahead = seq / self.per_second - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)

    def stop(self, more: int = 0) -> None:
        """Stop publishing once `more` events after those sent so far are out (the stream ends early)."""
        target = len(self.ids) + more
        wait_until(lambda: len(self.ids) >= target or not self.publishing, timeout=30, interval=0.02,
                   message=f"{more} more events from the station")
        self._stopping.set()

    def finish(self, timeout: float = 30) -> list[str]:
        """Wait until every event is published and acknowledged by the broker; the ids sent."""
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the station did not finish publishing"
        deadline = time.monotonic() + timeout
        for info in self.infos:
            info.wait_for_publish(max(deadline - time.monotonic(), 0.1))
            assert info.is_published(), "the broker did not acknowledge an event"
        self.client.disconnect()
        self.client.loop_stop()
        return list(self.ids)


def ingest_handled_marker(port: int, topic_root: str, log: Path | None = None, timeout: float = 30) -> None:
    """A barrier: publish a marker event and wait until ingest stored it; ingest has one subscription
    and handles its messages in order, so what the broker had for it before is stored by then."""
    marker = events.StationEvent(PROBE_STATION, events.new_event_id(), 1, utcnow(), events.CheckIn())
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"marker-{uuid.uuid4().hex[:8]}")
    publisher.username_pw_set(*TEST_ACCOUNT)
    publisher.connect("127.0.0.1", port, 20)
    publisher.loop_start()
    try:
        publisher.publish(f"{topic_root}/{marker.topic}", marker.to_payload(), qos=1).wait_for_publish(10)
        wait_until(lambda: marker.event_id in stored_event_ids(PROBE_STATION), timeout=timeout, interval=0.02,
                   message=f"ingest to store the marker event{tail(log)}")
    finally:
        publisher.disconnect()
        publisher.loop_stop()


def wait_for_ingest_subscribed(port: int, topic_root: str, log: Path | None = None, timeout: float = 30) -> None:
    """Publish probe events until ingest stores one: then its subscription is in place at the broker."""
    probe = EventStream(port, topic_root, 1, 1, station=PROBE_STATION)
    deadline = time.monotonic() + timeout
    seq = 0
    try:
        while not stored_event_ids(PROBE_STATION):
            if time.monotonic() > deadline:
                raise AssertionError(f"ingest never stored a probe event{tail(log)}")
            seq += 1
            event = events.StationEvent(PROBE_STATION, events.new_event_id(), seq, utcnow(), events.CheckIn())
            probe.client.publish(f"{topic_root}/{event.topic}", event.to_payload(), qos=1)
            time.sleep(0.3)
    finally:
        probe.client.disconnect()
        probe.client.loop_stop()


# --- a network that can fail ------------------------------------------------------------------------

class TcpProxy:
    """A TCP forwarder to a local port that can black-hole traffic or cut every connection, like a bad network."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.mode = "pass"  # "pass", "blackhole" (bytes vanish, sockets stay open) or "refuse" (cut, and new ones too)
        self.connections = 0  # connections clients opened to the proxy, refused ones included
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)

    @property
    def url(self) -> str:
        """The proxy as a broker URL, with the tests' broker account (it forwards to a Mosquitto)."""
        return f"mqtt://{TEST_ACCOUNT[0]}:{TEST_ACCOUNT[1]}@127.0.0.1:{self.port}"

    def start(self) -> TcpProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closed.set()
        self.cut()
        self._thread.join(timeout=5)
        self.listener.close()

    def blackhole(self) -> None:
        """Silently drop every byte both ways, as a dead link between two routers does."""
        self.mode = "blackhole"

    def refuse(self) -> None:
        """Cut every connection and refuse new ones."""
        self.mode = "refuse"
        self.cut()

    def restore(self) -> None:
        """Forward again; connections opened during a black hole stay broken, as their bytes were lost."""
        self.mode = "pass"

    def cut(self) -> None:
        """Close every open connection both ways."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for pair in pairs:
            for s in pair:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.mode == "refuse":
                client.close()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=2)
            except OSError:
                client.close()
                continue
            pair = (client, upstream)
            with self._lock:
                self._pairs.append(pair)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst, self.mode == "blackhole"), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, born_in_blackhole: bool) -> None:
        src.settimeout(0.2)
        while not self._closed.is_set():
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if self.mode != "pass" or born_in_blackhole:
                continue
            try:
                dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def proxies():
    started: list[TcpProxy] = []
    yield started
    for proxy in started:
        proxy.stop()


# --- 1. the ingest worker dies ----------------------------------------------------------------------

@pytest.mark.timeout(240)
@pytest.mark.parametrize("protocol,shared_group", [("3.1.1", ""), ("5", ""), ("5", "ingest")],
                         ids=["mqtt311", "mqtt5", "mqtt5-shared"])
def test_ingest_killed_mid_stream_loses_nothing_and_stores_nothing_twice(
        protocol, shared_group, mosquitto, central_db_url, topic_root, processes, tmp_path):
    use_central_db(central_db_url)
    ingest = ingest_process(processes, tmp_path, mosquitto.url, topic_root, central_db_url,
                            broker_protocol=protocol, ingest_shared_group=shared_group).start()
    wait_for_ingest_subscribed(mosquitto.port, topic_root, ingest.log)

    # Publishing all along three kills and restarts (up to 60 s: a loaded machine restarts slowly).
    station = EventStream(mosquitto.port, topic_root, count=30_000, per_second=500).start()
    # Kill it three times while the station publishes; each time wait until it has made progress first.
    for _ in range(3):
        before = len(stored_event_ids())
        wait_until(lambda before=before: len(stored_event_ids()) >= before + 100, timeout=30, interval=0.02,
                   message="ingest to make progress")
        ingest.kill()
        stored_at_kill, sent_at_kill = len(stored_event_ids()), len(station.ids)
        assert station.publishing, "the kill came after the stream had ended: it proves nothing"
        # The station keeps publishing while ingest is dead.
        wait_until(lambda n=sent_at_kill: len(station.ids) >= n + 150 or not station.publishing, interval=0.02,
                   message="the station to publish while ingest is dead")
        assert len(stored_event_ids()) == stored_at_kill
        ingest.start()
    station.stop(more=500)  # a second's worth of events to the restarted ingest, then the station stops
    sent = station.finish()

    assert_exactly_once(sent, mosquitto.port, topic_root, log=ingest.log)
    assert ingest.alive()
    assert ingest.log_text().count("session present: True") >= 3, "ingest did not resume its session"


# --- 2. the kiosk dies ------------------------------------------------------------------------------

@pytest.mark.timeout(240)
def test_kiosk_killed_offline_and_while_draining_loses_nothing(
        mosquitto, running, central_settings, topic_root, processes, tmp_path):
    mosquitto.stop()
    # A small outbox window makes the drain long enough to kill the kiosk in the middle of it.
    kiosk = KioskProcess(tmp_path, mosquitto.url, topic_root, kiosk_outbox_window=5)
    processes.append(kiosk)
    kiosk.start()
    kiosk.tap_checkin(300)
    outbox = kiosk.outbox()
    assert len(outbox) == 300 and all(sent_at is None for _, _, sent_at in outbox)

    kiosk.kill()  # with the broker down and 300 events waiting
    mosquitto.start()
    start_ingest_in_process(running, central_settings, mosquitto.url)
    kiosk.start()
    wait_until(lambda: len(stored_checkin_ids(KIOSK_STATION)) >= 20, timeout=30, interval=0.01,
               message="the kiosk to start draining")
    kiosk.kill()  # in the middle of draining: some events are at central but not yet marked sent
    at_kill = len(stored_checkin_ids(KIOSK_STATION))
    assert at_kill < 300, "the kiosk finished draining before it was killed: the test proves nothing"

    kiosk.start()
    kiosk.tap_checkin(5)  # and the restarted kiosk keeps working
    expected = [event_id for event_id, _, _ in kiosk.outbox()]
    assert len(expected) == 305
    rows = assert_exactly_once(expected, mosquitto.port, topic_root, station=KIOSK_STATION, log=kiosk.log)
    wait_until(lambda: all(sent_at for _, _, sent_at in kiosk.outbox()), message="the outbox drained")
    seq_of = {event_id: seq for event_id, seq, _ in kiosk.outbox()}
    assert [seq_of[r] for r in rows] == sorted(seq_of[r] for r in rows), "central stored events out of order"


# --- 3. the broker crashes --------------------------------------------------------------------------

def kiosk_node(running, kiosk_app, kiosk_settings, broker_url, **kiosk):
    node = KioskNode(kiosk_settings(broker_url, kiosk=kiosk))
    kiosk_app.extensions["waystation.outbox_wake"] = node.publisher.wake
    kiosk_app.extensions["waystation.broker_connected"] = node.link.connected
    return running.start(node)


def tap_checkins(client, times: int) -> None:
    client.get("/")
    for _ in range(times):
        response = client.post("/checkin/", headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(client)})
        assert response.status_code == 200


def kiosk_outbox(kiosk_app) -> dict[str, int]:
    with kiosk_app.app_context():
        return {e.event_id: e.seq for e in OutboxEvent.select()}


@pytest.mark.timeout(180)
def test_broker_crash_while_kiosk_drains_a_backlog_loses_nothing(
        mosquitto, running, central_settings, kiosk_app, kiosk_settings, topic_root):
    start_ingest_in_process(running, central_settings, mosquitto.url)
    # The broker has saved its state at least once since ingest subscribed (autosave does this every
    # 30 s in production), so after a crash it still holds ingest's persistent session.
    mosquitto.proc.send_signal(signal.SIGUSR1)
    wait_until(lambda: (mosquitto.workdir / "mosquitto.db").exists(), message="mosquitto to save its state")
    client = kiosk_app.test_client()
    tap_checkins(client, 200)  # the backlog, before the kiosk's MQTT side starts

    node = kiosk_node(running, kiosk_app, kiosk_settings, mosquitto.url, outbox_window=10)
    wait_until(lambda: len(stored_checkin_ids(KIOSK_STATION)) >= 20, timeout=30, interval=0.01,
               message="the kiosk to start draining")
    mosquitto.stop(kill=True)
    at_crash = len(stored_checkin_ids(KIOSK_STATION))
    assert at_crash < 200, "the backlog drained before the crash: the test proves nothing"
    wait_until(lambda: not node.link.connected.is_set(), message="the kiosk to notice the crash")
    tap_checkins(client, 10)  # check-ins go on while the broker is down
    mosquitto.start()

    sent = kiosk_outbox(kiosk_app)
    assert len(sent) == 210
    rows = assert_exactly_once(sent, mosquitto.port, topic_root, station=KIOSK_STATION)
    assert [sent[r] for r in rows] == sorted(sent.values()), "central stored events out of order"
    with kiosk_app.app_context():
        wait_until(lambda: OutboxEvent.pending_count() == 0, timeout=30, message="the outbox drained")


# --- 4. the database dies under ingest --------------------------------------------------------------

def with_query(url: str, **params) -> str:
    joiner = "&" if "?" in url else "?"
    return url + joiner + "&".join(f"{k}={v}" for k, v in params.items())


def failed_batches(process: WaystationProcess) -> int:
    """How many times ingest has said it could not store a batch."""
    return process.log_text().count("could not store a batch")


def kill_postgres_connections(application_name: str, until, timeout: float = 30) -> int:
    """Terminate, again and again until `until()` holds, the backends of connections with this application_name."""
    from playhouse.db_url import connect

    admin = connect(POSTGRES_URL)
    killed = 0
    deadline = time.monotonic() + timeout
    try:
        while not until():
            assert time.monotonic() < deadline, "ingest never failed while its connections were being terminated"
            cursor = admin.execute_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE application_name = %s AND pid <> pg_backend_pid()",
                                       (application_name,))
            killed += sum(1 for (ok,) in cursor.fetchall() if ok)
            time.sleep(0.01)
    finally:
        admin.close()
    return killed


def lock_sqlite(path: Path, until, timeout: float = 30) -> None:
    """Hold the write lock of a SQLite file from another connection until `until()` holds."""
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        wait_until(until, timeout=timeout, message="ingest to fail under the lock")
        locker.execute("ROLLBACK")
    finally:
        locker.close()


@pytest.mark.timeout(180)
def test_database_failure_under_ingest_loses_nothing(mosquitto, central_db_url, topic_root, processes, tmp_path):
    """PostgreSQL: ingest's server connections are terminated again and again. SQLite: another writer
    holds the lock for far longer than ingest's busy_timeout, so its commits fail."""
    use_central_db(central_db_url)
    postgres = central_db_url.startswith("postgres")
    name = f"ws-ingest-{uuid.uuid4().hex[:8]}"
    # The application_name marks this test's ingest connections, and only them, for termination.
    url = with_query(central_db_url, application_name=name) if postgres else central_db_url
    ingest = ingest_process(processes, tmp_path, mosquitto.url, topic_root, url,
                            database_busy_timeout_ms=200).start()
    wait_for_ingest_subscribed(mosquitto.port, topic_root, ingest.log)

    station = EventStream(mosquitto.port, topic_root, count=30_000, per_second=500).start()
    wait_until(lambda: len(stored_event_ids()) >= 100, timeout=30, interval=0.02, message="ingest progress")
    # The fault lasts until ingest has failed to store a batch twice (each retry waits its backoff).
    if postgres:
        killed = kill_postgres_connections(name, lambda: failed_batches(ingest) >= 2)
        assert killed > 0, "no ingest connection was ever caught open: the test proves nothing"
    else:
        stored_before = len(stored_event_ids())
        lock_sqlite(tmp_path / "central.db", lambda: failed_batches(ingest) >= 2)
        assert len(stored_event_ids()) <= stored_before + 500  # at most the batch in flight at the lock
    assert station.publishing, "the stream ended before the fault did: the test proves less than it says"
    station.stop(more=500)
    sent = station.finish()

    assert_exactly_once(sent, mosquitto.port, topic_root, log=ingest.log)
    assert ingest.alive(), f"ingest died{tail(ingest.log)}"
    assert "could not store a batch" in ingest.log_text()


@pytest.mark.postgres
@pytest.mark.timeout(180)
@pytest.mark.parametrize("central_db_url", [d for d in DATABASES if d == "postgres"], indirect=True)
def test_database_unreachable_under_ingest_loses_nothing(
        mosquitto, central_db_url, topic_root, processes, proxies, tmp_path):
    """The network to PostgreSQL fails: connections are cut and new ones refused for a while."""
    use_central_db(central_db_url)
    proxy = TcpProxy(5432).start()
    proxies.append(proxy)
    url = central_db_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert url != central_db_url
    ingest = ingest_process(processes, tmp_path, mosquitto.url, topic_root, url).start()
    wait_for_ingest_subscribed(mosquitto.port, topic_root, ingest.log)

    station = EventStream(mosquitto.port, topic_root, count=30_000, per_second=500).start()
    wait_until(lambda: len(stored_event_ids()) >= 100, timeout=30, interval=0.02, message="ingest progress")
    proxy.refuse()
    wait_until(lambda: failed_batches(ingest) >= 2, timeout=30, message="ingest to fail without its database")
    proxy.restore()
    station.stop(more=500)
    sent = station.finish()

    assert_exactly_once(sent, mosquitto.port, topic_root, log=ingest.log)
    assert ingest.alive(), f"ingest died{tail(ingest.log)}"
    assert "could not store a batch" in ingest.log_text()


# --- 5. the network between kiosk and broker fails --------------------------------------------------

@pytest.mark.timeout(180)
@pytest.mark.parametrize("fault", ["cut", "blackhole"])
def test_network_failure_between_kiosk_and_broker_loses_nothing(
        fault, mosquitto, running, central_settings, kiosk_app, topic_root, proxies, tmp_path):
    start_ingest_in_process(running, central_settings, mosquitto.url)
    proxy = TcpProxy(mosquitto.port).start()
    proxies.append(proxy)
    settings = make_settings(
        kiosk={"station_id": KIOSK_STATION, "database_path": str(tmp_path / "kiosk-{station}.db"),
               "heartbeat_seconds": 1, "outbox_ack_timeout_s": 2, "outbox_window": 10, "confirm_timeout_s": 2},
        broker={"url": proxy.url, "topic_root": topic_root, "reconnect_min_s": 1, "reconnect_max_s": 2,
                "keepalive": 2})
    node = KioskNode(settings)
    kiosk_app.extensions["waystation.outbox_wake"] = node.publisher.wake
    kiosk_app.extensions["waystation.broker_connected"] = node.link.connected
    client = kiosk_app.test_client()
    tap_checkins(client, 150)
    running.start(node)
    wait_until(lambda: len(stored_checkin_ids(KIOSK_STATION)) >= 10, timeout=30, interval=0.01,
               message="the kiosk to start draining")

    if fault == "cut":
        proxy.refuse()
    else:
        proxy.blackhole()
    tap_checkins(client, 20)  # the rider sees no difference
    # A black hole sends no FIN and no RST: only the MQTT keep-alive (2 s here) can tell the kiosk.
    wait_until(lambda: not node.link.connected.is_set(), timeout=15, message="the kiosk to notice the fault")
    # The kiosk keeps retrying into the fault: twice more at least.
    wait_until(lambda n=proxy.connections: proxy.connections >= n + 2, timeout=15,
               message="the kiosk to try the broker again")
    assert len(stored_checkin_ids(KIOSK_STATION)) < 170
    if fault == "blackhole":
        proxy.cut()  # connections opened into the black hole have lost bytes: they can never work again
    proxy.restore()

    sent = kiosk_outbox(kiosk_app)
    assert len(sent) == 170
    rows = assert_exactly_once(sent, mosquitto.port, topic_root, station=KIOSK_STATION)
    assert [sent[r] for r in rows] == sorted(sent.values()), "central stored events out of order"
    with kiosk_app.app_context():
        wait_until(lambda: OutboxEvent.pending_count() == 0, timeout=30, message="the outbox drained")


@pytest.mark.timeout(120)
def test_broker_crash_while_ingest_is_down_loses_nothing(
        mosquitto, running, kiosk_app, kiosk_settings, topic_root, processes, tmp_path):
    """Events the broker acknowledged and queued for a stopped ingest must survive a broker crash."""
    url = f"sqlite:///{tmp_path / 'central.db'}"
    use_central_db(url)
    ingest = ingest_process(processes, tmp_path, mosquitto.url, topic_root, url).start()
    wait_for_ingest_subscribed(mosquitto.port, topic_root, ingest.log)
    mosquitto.proc.send_signal(signal.SIGUSR1)  # as autosave would: ingest's session is on disk
    wait_until(lambda: (mosquitto.workdir / "mosquitto.db").exists(), message="mosquitto to save its state")
    ingest.kill()

    node = kiosk_node(running, kiosk_app, kiosk_settings, mosquitto.url, confirm_timeout_s=2)
    client = kiosk_app.test_client()
    tap_checkins(client, 50)
    with kiosk_app.app_context():
        wait_until(lambda: OutboxEvent.select().where(OutboxEvent.sent_at.is_null()).count() == 0,
                   message="the broker to acknowledge all 50")
        # Acknowledged by the broker is not synced: central has not confirmed them.
        assert OutboxEvent.pending_count() == 50
    mosquitto.stop(kill=True)
    mosquitto.start()
    ingest.start()
    wait_until(node.link.connected.is_set, message="the kiosk back")

    # The broker lost what it queued for ingest; the kiosk sends again what central never confirmed.
    assert_exactly_once(kiosk_outbox(kiosk_app), mosquitto.port, topic_root, station=KIOSK_STATION, timeout=30,
                        log=ingest.log)
    with kiosk_app.app_context():
        wait_until(lambda: OutboxEvent.pending_count() == 0, message="central's receipts for all 50")
