"""Ingest throughput: events per second from the broker to committed rows, beside the raw QoS 1 rate.

Each repeat runs two phases against the same broker with the same pre-generated check-in events:

- raw: a plain paho subscriber (MQTT 3.1.1, QoS 1 subscription, automatic ack) receives the stream;
  its rate runs from the first to the last message received.
- ingest: a real IngestWorker (batches, one transaction per batch, ack after commit) on a fresh
  database; its rate runs from the first message published to the moment the StationEvent row
  count reaches the number of events, and the stored rows are then checked: exactly that many.

The publisher is a separate process (as kiosks are), publishing at QoS 1 as fast as paho can, so it
does not share the GIL with the receiving side; where the subscriber keeps up, the raw rate is the
publisher's (publish_per_s shows it). Phases alternate, never overlap. The last line printed is one
JSON object; medians over the repeats. A lost event or a timeout exits non-zero with the reason.
With `--workers N` the ingest phase runs N worker processes on one MQTT 5 shared subscription
(`$share/bench/...`), each with its own client id and database connection, as N `waystation ingest`
processes would: how far a second worker scales on this machine's cores.

    python bench/ingest.py --quick
    python bench/ingest.py --events 50000 --repeat 3 --database-url postgresql://postgres@127.0.0.1:5432/test
    python bench/ingest.py --quick --workers 2 --database-url postgresql://postgres@127.0.0.1:5432/test

With `--stages receive` or `--stages parse` the in-process worker does less than its job, to show what
each stage costs: it receives and acknowledges every message but parses none and stores nothing
(receive), or parses them and stores nothing (parse); the phase then ends when the worker has
acknowledged every event, and the ratio is no measure of the target (meets_target is null).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import logging
import multiprocessing
import os
import platform
import pstats
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import paho.mqtt  # noqa: E402
import paho.mqtt.client as mqtt  # noqa: E402
import peewee  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion  # noqa: E402

from devices.mqtt import parse_broker_url  # noqa: E402
from devices.protocol import events  # noqa: E402

# Issue 14's targets: stored at least this share of the raw QoS 1 receive rate, by backend.
TARGET_RATIO = {"sqlite": 0.8, "postgresql": 0.6}
STATIONS = ("xh-xujiahui", "pd-lujiazui", "ja-jingansi", "hp-waitan", "cn-zhongshan")
# How far the worker goes with each message (--stages): each includes the ones before it.
STAGES = ("receive", "parse", "store")
# The shipped Mosquitto config keeps this many QoS 1 messages for a slow subscriber; more are dropped.
BROKER_QUEUE_LIMIT = 200_000


class BenchError(Exception):
    """A phase lost events, timed out or could not start; the message says which."""


def progress(message: str) -> None:
    """A progress line on stderr, so stdout ends with the JSON result alone."""
    print(f"[bench/ingest] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="20,000 events, 2 repeats: well under a minute")
    p.add_argument("--events", type=int, help="events per phase (default 50,000; 20,000 with --quick)")
    p.add_argument("--repeat", type=int, help="raw + ingest pairs to run; medians are reported (default 3; 2 quick)")
    p.add_argument("--batch-size", type=int, default=500, help="ingest.batch_size (default 500)")
    p.add_argument("--batch-wait-ms", type=int, default=50, help="ingest.batch_wait_ms (default 50)")
    p.add_argument("--broker-url", help="use this broker (mqtt://host:port) instead of starting Mosquitto")
    p.add_argument("--database-url", help="a PostgreSQL database (a fresh schema per phase, dropped after); "
                                          "default: a fresh SQLite file (WAL) per phase")
    p.add_argument("--timeout", type=float, help="seconds any one phase may take (default 60; 30 quick)")
    p.add_argument("--profile", action="store_true", help="cProfile the ingest worker thread; top entries on stderr")
    p.add_argument("--stations", type=int, default=len(STATIONS),
                   help=f"stations the check-ins come from, in turn (default {len(STATIONS)}: every batch then counts "
                        "into the same few rollup rows; a province's thousands spread the rows two workers write)")
    p.add_argument("--workers", type=int, default=1,
                   help="ingest workers (default 1, in this process); more run as processes of their own on one "
                        "MQTT 5 shared subscription ($share), as `waystation ingest` processes would")
    p.add_argument("--stages", choices=STAGES, default="store",
                   help="how far the worker goes with each message: receive (ack only), parse (no store), or "
                        "store (the default: everything; the only one the target applies to)")
    args = p.parse_args(argv)
    args.events = args.events or (20_000 if args.quick else 50_000)
    args.repeat = args.repeat or (2 if args.quick else 3)
    args.timeout = args.timeout or (30.0 if args.quick else 60.0)
    if args.events < 1 or args.repeat < 1:
        p.error("--events and --repeat must be at least 1")
    if args.workers < 1:
        p.error("--workers must be at least 1")
    if args.stations < 1:
        p.error("--stations must be at least 1")
    if args.workers > 1 and args.stages != "store":
        p.error("--stages cuts the one in-process worker short; leave out --workers")
    if args.workers > 1 and args.profile:
        p.error("--profile profiles the one in-process worker; leave out --workers")
    if args.database_url and urlsplit(args.database_url).scheme not in ("postgresql", "postgres"):
        p.error("--database-url must be a postgresql:// URL (SQLite is the default)")
    if args.events > BROKER_QUEUE_LIMIT:
        progress(f"warning: {args.events} events is over the broker's max_queued_messages "
                 f"({BROKER_QUEUE_LIMIT}); a subscriber that falls behind may lose some")
    return args


def station_codes(count: int) -> tuple[str, ...]:
    """The stations the events come from: the five demo codes, or `count` codes of a province's form."""
    return STATIONS if count == len(STATIONS) else tuple(f"p{i % 16:02d}-{i:06d}" for i in range(count))


def make_events(n: int, stations: tuple[str, ...] = STATIONS) -> list[tuple[str, bytes]]:
    """N valid check-in events (relative topic, payload), in turn from each station, each with its own id."""
    start = datetime.now(UTC) - timedelta(hours=1)
    seqs = dict.fromkeys(stations, 0)
    out = []
    for i in range(n):
        station = stations[i % len(stations)]
        seqs[station] += 1
        body = events.CheckIn() if i % 3 else events.CheckIn("card", f"M{i:08d}")
        event = events.StationEvent(station=station, event_id=events.new_event_id(), seq=seqs[station],
                                    ts=start + timedelta(milliseconds=i), body=body)
        out.append((event.topic, event.to_payload()))
    return out


def connect_client(client: mqtt.Client, broker_url: str, timeout: float) -> None:
    """Connect a paho client, start its network thread and wait for a successful CONNACK."""
    address = parse_broker_url(broker_url)
    if address.username:
        client.username_pw_set(address.username, address.password)
    connected = threading.Event()
    client.on_connect = lambda c, u, flags, rc, props: connected.set() if not rc.is_failure else None
    client.connect(address.host, address.port, keepalive=30)
    client.loop_start()
    if not connected.wait(timeout):
        client.loop_stop()
        raise BenchError(f"no CONNACK from {broker_url} within {timeout}s")


def new_client(client_id: str, clean_session: bool = True) -> mqtt.Client:
    """A paho 2.x MQTT 3.1.1 client with automatic acks, as MqttLink builds one."""
    return mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv311,
                       clean_session=clean_session)


def publisher_main(broker_url: str, messages: list[tuple[str, bytes]], conn, timeout: float) -> None:
    """Child process: connect, say ready, publish everything at QoS 1 on "go", report times when all are acked."""
    # One thread driving paho's loop by hand: twice as fast here as publish() beside loop_start()'s thread.
    try:
        client = new_client(f"bench-pub-{uuid.uuid4().hex[:8]}")
        client.max_inflight_messages_set(1000)
        address = parse_broker_url(broker_url)
        if address.username:
            client.username_pw_set(address.username, address.password)
        state = {"connected": False, "acked": 0, "last_ack": 0.0}

        def on_connect(c, u, flags, rc, props):
            state["connected"] = not rc.is_failure

        def on_publish(c, u, mid, rc, props):
            state["acked"] += 1
            state["last_ack"] = time.monotonic()

        client.on_connect = on_connect
        client.on_publish = on_publish
        client.connect(address.host, address.port, keepalive=30)
        deadline = time.monotonic() + 10
        while not state["connected"]:
            client.loop(0.05)
            if time.monotonic() > deadline:
                raise BenchError(f"no CONNACK from {broker_url} within 10s")
        conn.send(("ready",))
        deadline = time.monotonic() + 60
        while not conn.poll(0.1):
            client.loop(0)  # keep the connection alive while waiting
            if time.monotonic() > deadline:
                raise BenchError("no 'go' from the benchmark within 60s")
        conn.recv()
        first = time.monotonic()
        for i, (topic, payload) in enumerate(messages):
            client.publish(topic, payload, qos=1)
            if i % 100 == 99:
                client.loop(0)
        queued = time.monotonic()
        deadline = first + timeout
        while state["acked"] < len(messages) and time.monotonic() < deadline:
            client.loop(0.01)
        client.disconnect()
        if state["acked"] < len(messages):
            conn.send(("error", f"publisher: only {state['acked']} of {len(messages)} publishes "
                                f"acknowledged in {timeout}s"))
        else:
            conn.send(("done", first, queued, state["last_ack"]))
    except Exception as e:  # noqa: BLE001 - reported to the parent, which exits with it
        conn.send(("error", f"publisher: {type(e).__name__}: {e}"))
    finally:
        conn.close()


class Publisher:
    """The publishing process for one phase: started and connected before the phase's clock starts."""

    def __init__(self, broker_url: str, messages: list[tuple[str, bytes]], timeout: float):
        ctx = multiprocessing.get_context("spawn")  # no fork of a process with paho threads in it
        self.conn, child = ctx.Pipe()
        self.timeout = timeout
        self.proc = ctx.Process(target=publisher_main, args=(broker_url, messages, child, timeout), daemon=True)
        self.proc.start()
        child.close()
        self._expect("ready", 30)

    def go(self) -> float:
        """Start publishing; the monotonic time of the start (CLOCK_MONOTONIC is shared by processes)."""
        t0 = time.monotonic()
        self.conn.send("go")
        return t0

    def result(self) -> dict:
        """Publisher timings, once the broker has acknowledged every publish."""
        _, first, queued, last_ack = self._expect("done", self.timeout + 5)
        self.proc.join(10)
        return {"first": first, "queued": queued, "last_ack": last_ack}

    def close(self) -> None:
        """End the process if it is still there (after an error)."""
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join(5)

    def _expect(self, kind: str, timeout: float):
        if not self.conn.poll(timeout):
            raise BenchError(f"publisher: no {kind!r} within {timeout}s")
        msg = self.conn.recv()
        if msg[0] == "error":
            raise BenchError(msg[1])
        if msg[0] != kind:
            raise BenchError(f"publisher: expected {kind!r}, got {msg!r}")
        return msg


def full_messages(root: str, messages: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The messages with their topics under a topic root."""
    return [(f"{root}/{topic}", payload) for topic, payload in messages]


def raw_phase(broker_url: str, messages: list[tuple[str, bytes]], timeout: float) -> dict:
    """Rate at which a plain paho QoS 1 subscriber receives the stream (first to last message received)."""
    n = len(messages)
    root = f"bench-{uuid.uuid4().hex[:12]}/waystation/v1"
    publisher = Publisher(broker_url, full_messages(root, messages), timeout)
    client = new_client(f"bench-raw-{uuid.uuid4().hex[:8]}")
    received = 0
    times = [0.0, 0.0]
    done = threading.Event()
    subscribed = threading.Event()

    def on_message(c, u, message):
        nonlocal received
        now = time.monotonic()
        received += 1
        if received == 1:
            times[0] = now
        if received == n:
            times[1] = now
            done.set()

    client.on_message = on_message
    client.on_subscribe = lambda c, u, mid, codes, props: subscribed.set()
    try:
        connect_client(client, broker_url, timeout=10)
        client.subscribe(f"{root}/station/#", qos=1)
        if not subscribed.wait(10):
            raise BenchError("raw subscriber: no SUBACK within 10s")
        network_thread = [client._thread.native_id]  # paho's loop_start thread: every callback runs in it
        cpu_before, ticks_before = receiving_cpu(network_thread), machine_ticks()
        t0 = publisher.go()
        if not done.wait(timeout):
            raise BenchError(f"raw subscriber: received {received} of {n} events within {timeout}s")
        cpu = receiving_cpu(network_thread) - cpu_before
        busy_ticks = machine_ticks()[0] - ticks_before[0]
        pub = publisher.result()
        time.sleep(0.2)  # anything more than n would be a duplicate delivery
        if received != n:
            raise BenchError(f"raw subscriber: received {received} messages for {n} events")
    finally:
        client.disconnect()
        client.loop_stop()
        publisher.close()
    first, last = times
    return {
        "raw_per_s": n / (last - first),
        "raw_end_to_end_per_s": n / (last - t0),
        "publish_per_s": n / (pub["last_ack"] - pub["first"]),
        "seconds": last - t0,
        "cpu_us": 1e6 * cpu / n,
        "machine_cpu_us": 1e6 * busy_ticks / os.sysconf("SC_CLK_TCK") / n,
    }


class Database:
    """A fresh central database per ingest phase: a SQLite file, or a PostgreSQL schema dropped afterwards."""

    def __init__(self, postgres_url: str | None, workdir: Path):
        self.postgres_url = postgres_url
        self.workdir = workdir
        self._admin = None
        self._schemas: list[str] = []

    @property
    def backend(self) -> str:
        return "postgresql" if self.postgres_url else "sqlite"

    def fresh_url(self) -> str:
        """The URL of a new, empty database for one phase."""
        if not self.postgres_url:
            return f"sqlite:///{self.workdir / f'central-{uuid.uuid4().hex[:8]}.db'}"
        from playhouse.db_url import connect

        if self._admin is None:
            self._admin = connect(self.postgres_url)
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        self._admin.execute_sql(f'CREATE SCHEMA "{schema}"')
        self._schemas.append(schema)
        sep = "&" if "?" in self.postgres_url else "?"
        return f"{self.postgres_url}{sep}options=-csearch_path%3D{schema}"

    def version(self) -> str:
        """The database engine's version."""
        if not self.postgres_url:
            return f"sqlite {sqlite3.sqlite_version}"
        from playhouse.db_url import connect

        admin = self._admin or connect(self.postgres_url)
        return "postgresql " + admin.execute_sql("SHOW server_version").fetchone()[0].split()[0]

    def autovacuum(self) -> str | None:
        """The PostgreSQL server's autovacuum setting ("on", "off"); None on SQLite. A server with it off (some
        CI images) bloats the live-state tables over a long run: the figures are then not production's."""
        if not self.postgres_url:
            return None
        from playhouse.db_url import connect

        admin = self._admin or connect(self.postgres_url)
        setting = admin.execute_sql("SHOW autovacuum").fetchone()[0]
        if setting != "on":
            progress(f"warning: this PostgreSQL server runs with autovacuum {setting} (production keeps it on)")
        return setting

    def cleanup(self) -> None:
        """Drop the schemas this run created."""
        if self._admin is not None:
            for schema in self._schemas:
                self._admin.execute_sql(f'DROP SCHEMA "{schema}" CASCADE')
            self._admin.close()


def clear_session(broker_url: str, client_id: str) -> None:
    """Drop a persistent session at the broker (connect clean with its client id), so nothing queues for it."""
    client = new_client(client_id, clean_session=True)
    try:
        connect_client(client, broker_url, timeout=5)
    except BenchError as e:
        progress(f"could not clear the session of {client_id}: {e}")
        return
    client.disconnect()
    client.loop_stop()


def instrument(worker, profile: bool) -> dict:
    """Time the worker's store() calls (and optionally cProfile its thread) without changing its code."""
    stats = {"store_s": 0.0, "batches": 0, "messages": 0, "profile": None}
    store = worker.store

    def timed_store(batch):
        t = time.perf_counter()
        try:
            return store(batch)
        finally:
            stats["store_s"] += time.perf_counter() - t
            stats["batches"] += 1
            stats["messages"] += len(batch)

    worker.store = timed_store
    if profile:
        run = worker._run
        profiler = cProfile.Profile()
        stats["profile"] = profiler

        def profiled_run():
            profiler.enable()
            try:
                run()
            finally:
                profiler.disable()

        worker._run = profiled_run
    return stats


def cut_short(worker, stages: str) -> dict:
    """Make the worker skip what comes after `stages` (parsing, storing) and count the events it acknowledges."""
    from station_admin.node.ingest import Received

    acked = {"events": 0}
    if stages == "store":
        return acked
    worker.apply = lambda items: []  # nothing stored: _store_until_done, the receipts and the acks still run
    if stages == "receive":
        worker.receive = lambda message: Received(message, datetime.now(UTC))  # parsed is None: nothing to apply
    after_commit = worker._after_commit

    def counted(batch, stored):
        after_commit(batch, stored)
        acked["events"] += sum("/event/" in message.topic for message in batch)

    worker._after_commit = counted
    return acked


def ingest_settings(broker_url: str, db_url: str, args, root: str, client_id: str, shared: bool):
    """The settings of one ingest worker of a phase (MQTT 5 on a shared subscription when `shared`)."""
    from waystation.settings import load_settings

    broker = {"url": broker_url, "topic_root": root, "reconnect_min_s": 1, "reconnect_max_s": 2}
    ingest = {"client_id": client_id, "batch_size": args.batch_size, "batch_wait_ms": args.batch_wait_ms}
    if shared:
        broker["protocol"] = "5"
        ingest["shared_group"] = "bench"
    return load_settings(env={}, overrides={
        "database": {"url": db_url}, "broker": broker, "ingest": ingest,
        "central": {"data_key": "bench-data-key-" + "0" * 32},  # ingest opens sealed request contacts with it
    })


def start_worker(settings):
    """An IngestWorker on the configured database, started once the broker has granted its subscription."""
    from station_admin.core import models
    from station_admin.node.ingest import IngestWorker
    from waystation.db import open_database

    if models.db.obj is None:
        models.db.initialize(open_database(settings.database.url, settings.database.busy_timeout_ms))
    worker = IngestWorker(settings)
    subscribed = threading.Event()
    # MqttLink sets `connected` before the broker has granted the subscription; wait for the SUBACK.
    worker.link.client.on_subscribe = lambda c, u, mid, codes, props: subscribed.set()
    return worker, subscribed


def worker_main(broker_url: str, db_url: str, args, root: str, client_id: str, conn) -> None:
    """One worker process of a shared phase: start, say "subscribed", run until told to stop."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker, subscribed = start_worker(ingest_settings(broker_url, db_url, args, root, client_id, shared=True))
    try:
        worker.start()
        conn.send(("subscribed",) if subscribed.wait(10) else ("error", f"{client_id}: not subscribed within 10s"))
        conn.recv()  # "stop"
    finally:
        worker.stop()
        conn.send(("stopped",))


class WorkerProcesses:
    """The ingest worker processes of a shared phase, each with its own client id on one $share group."""

    def __init__(self, broker_url: str, db_url: str, args, root: str):
        ctx = multiprocessing.get_context("spawn")
        self.client_ids = [f"bench-ingest-{uuid.uuid4().hex[:8]}" for _ in range(args.workers)]
        self.procs = []
        for client_id in self.client_ids:
            conn, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(broker_url, db_url, args, root, client_id, child), daemon=True)
            proc.start()
            child.close()
            self.procs.append((proc, conn))
        for client_id, (_, conn) in zip(self.client_ids, self.procs, strict=True):
            if not conn.poll(60):
                raise BenchError(f"ingest worker {client_id}: did not start within 60s")
            answer = conn.recv()
            if answer[0] != "subscribed":
                raise BenchError(answer[1])

    def stop(self) -> None:
        for proc, conn in self.procs:
            if proc.is_alive():
                conn.send("stop")
        for proc, conn in self.procs:
            if conn.poll(30):
                conn.recv()
            proc.join(10)
            if proc.is_alive():
                proc.terminate()
                proc.join(5)


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine since boot, from /proc/stat (Linux); (0, 0) elsewhere."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle and iowait
    return sum(fields) - idle, sum(fields)


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float | None:
    """The share of the machine's CPU time that was busy between two machine_ticks() readings."""
    total = after[1] - before[1]
    return round((after[0] - before[0]) / total, 3) if total > 0 else None


def cpu_seconds(pid: int | str = "self", thread: int | None = None) -> float:
    """User + system CPU seconds a process (or one of its threads) has used, from /proc (Linux); 0 elsewhere."""
    path = f"/proc/{pid}/task/{thread}/stat" if thread else f"/proc/{pid}/stat"
    try:
        fields = Path(path).read_text().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    except (OSError, IndexError, ValueError):
        return 0.0


def receiving_cpu(threads: list[int] = (), pids: list[int] = ()) -> float:
    """CPU seconds used so far by the receiving side: these threads of this process and these processes."""
    return sum(cpu_seconds(thread=t) for t in threads) + sum(cpu_seconds(pid) for pid in pids)


def register_stations(codes: tuple[str, ...]) -> None:
    """The stations the events come from, known to central as they would be in the field (events from an
    unknown code are stored too, and each batch notes the codes for the admins: not what is measured here)."""
    from station_admin.core.models import District, Federation, Station, db

    with db.connection_context(), db.atomic():
        federation = Federation.create(code="bench", name_zh="基准总工会", name_en="Bench Federation")
        district = District.create(code="bench", federation=federation, name_zh="基准区", name_en="Bench District")
        for start in range(0, len(codes), 500):
            Station.insert_many([{"code": code, "district": district.id, "name_zh": code, "name_en": code,
                                  "capacity": 20} for code in codes[start:start + 500]]).execute()


def ingest_phase(broker_url: str, messages: list[tuple[str, bytes]], db_url: str, args) -> dict:
    """Rate from the first publish to N committed StationEvent rows through real IngestWorkers (one in this
    process; with --workers, that many processes on one shared subscription)."""
    from station_admin import migrations
    from station_admin.core import models
    from waystation.db import migrate, open_database

    n = len(messages)
    root = f"bench-{uuid.uuid4().hex[:12]}/waystation/v1"
    models.db.initialize(open_database(db_url, 5000))
    migrate(models.db, migrations.MIGRATIONS)
    register_stations(station_codes(args.stations))
    models.db.close()
    publisher = Publisher(broker_url, full_messages(root, messages), args.timeout)
    worker = processes = None
    stats = None
    client_ids: list[str] = []
    try:
        if args.workers == 1:
            client_ids = [f"bench-ingest-{uuid.uuid4().hex[:8]}"]
            worker, subscribed = start_worker(ingest_settings(broker_url, db_url, args, root, client_ids[0],
                                                              shared=False))
            stats = instrument(worker, args.profile)
            acked = cut_short(worker, args.stages)
            worker.start()
            if not subscribed.wait(10):
                raise BenchError("ingest worker: not subscribed within 10s")
        else:
            processes = WorkerProcesses(broker_url, db_url, args, root)
            client_ids = processes.client_ids
        count = models.StationEvent.select().count if args.stages == "store" else lambda: acked["events"]
        # The receiving side's CPU: the in-process worker's two threads (paho's network thread and the
        # worker's), not this thread's polling below; or the worker processes whole.
        threads = [worker.link.client._thread.native_id, worker._thread.native_id] if worker is not None else []
        pids = [proc.pid for proc, _ in processes.procs] if processes is not None else []
        with models.db.connection_context():
            cpu_before, ticks = receiving_cpu(threads, pids), machine_ticks()
            t0 = publisher.go()
            deadline = t0 + args.timeout
            stored = 0
            while stored < n:
                time.sleep(0.02)
                stored = count()
                if time.monotonic() > deadline:
                    raise BenchError(f"ingest: {stored} of {n} events committed within {args.timeout}s")
            t_done = time.monotonic()
            cpu = receiving_cpu(threads, pids) - cpu_before
            ticks_after = machine_ticks()
            machine_busy = busy_share(ticks, ticks_after)
        pub = publisher.result()
    finally:
        if worker is not None:
            worker.stop()
        if processes is not None:
            processes.stop()
        publisher.close()
        for client_id in client_ids:
            clear_session(broker_url, client_id)
    with models.db.connection_context():
        stored = models.StationEvent.select().count()
        distinct = models.StationEvent.select(models.StationEvent.event_id).distinct().count()
        checkins = models.CheckIn.select().count()
    models.db.close()
    if args.stages != "store":
        if acked["events"] != n or stored:
            raise BenchError(f"ingest --stages {args.stages}: {acked['events']} events acknowledged for {n}, "
                             f"{stored} stored")
    elif not stored == distinct == checkins == n:
        raise BenchError(f"ingest: expected {n} events, stored {stored} rows ({distinct} distinct ids, "
                         f"{checkins} check-ins)")
    seconds = t_done - t0
    result = {
        "ingest_per_s": n / seconds,
        "publish_per_s": n / (pub["last_ack"] - pub["first"]),
        "seconds": seconds,
        "stored": stored,
        # Every process's CPU (workers, broker, publisher, database server): how near the cores are to full.
        "machine_busy": machine_busy,
        "cpu_us": 1e6 * cpu / n,
        "machine_cpu_us": 1e6 * (ticks_after[0] - ticks[0]) / os.sysconf("SC_CLK_TCK") / n,
    }
    if stats is not None:  # the in-process worker's store() calls
        result.update(batches=stats["batches"], mean_batch=stats["messages"] / max(stats["batches"], 1),
                      store_share=stats["store_s"] / seconds)
    if stats is not None and stats["profile"] is not None:
        out = io.StringIO()
        pstats.Stats(stats["profile"], stream=out).sort_stats("tottime").print_stats(25)
        progress("ingest worker thread profile (by own time):\n" + out.getvalue())
    return result


def mosquitto_version(broker_url: str, own_binary: str | None) -> str:
    """'mosquitto <version>' from the binary we started, or from the broker's $SYS/broker/version."""
    if own_binary:
        out = subprocess.run([own_binary, "-h"], capture_output=True, text=True, timeout=10)
        found = re.search(r"mosquitto version (\S+)", out.stdout + out.stderr)
        return f"mosquitto {found.group(1)}" if found else "mosquitto (unknown version)"
    version: list[str] = []
    got = threading.Event()
    client = new_client(f"bench-sys-{uuid.uuid4().hex[:8]}")

    def on_message(c, u, message):
        version.append(message.payload.decode(errors="replace"))
        got.set()

    client.on_message = on_message
    try:
        connect_client(client, broker_url, timeout=5)
        client.subscribe("$SYS/broker/version", qos=0)
        got.wait(2)
    finally:
        client.disconnect()
        client.loop_stop()
    if not version:
        return "unknown broker"
    return version[0].replace("mosquitto version ", "mosquitto ")


def median(runs: list[dict], key: str) -> float:
    """The median of one figure over the repeats, rounded for the report."""
    return round(statistics.median(r[key] for r in runs), 1)


def run(args) -> dict:
    """Start (or use) the broker, run raw and ingest phases alternately, and summarise."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    broker = None
    database = Database(args.database_url, workdir)
    try:
        if args.broker_url:
            broker_url = args.broker_url
            binary = None
        else:
            from tests.brokers import MOSQUITTO, SecureMosquitto

            # The shipped config (Dynamic Security, persistence), as production runs it.
            broker = SecureMosquitto(workdir=workdir / "mosquitto", test_account=True).start()
            broker_url, binary = broker.url, MOSQUITTO
        broker_name = mosquitto_version(broker_url, binary)
        progress(f"{broker_name} at {broker_url}; {args.events} events x {args.repeat} repeats; "
                 f"{database.backend} database")
        messages = make_events(args.events, station_codes(args.stations))
        raw_runs, ingest_runs = [], []
        for i in range(1, args.repeat + 1):
            raw = raw_phase(broker_url, messages, args.timeout)
            raw_runs.append(raw)
            progress(f"repeat {i}/{args.repeat} raw: {raw['raw_per_s']:.0f}/s received "
                     f"(publisher {raw['publish_per_s']:.0f}/s, {raw['seconds']:.2f}s)")
            ingest = ingest_phase(broker_url, messages, database.fresh_url(), args)
            ingest_runs.append(ingest)
            batches = (f", {ingest['batches']} batches of {ingest['mean_batch']:.0f} on average, "
                       f"store() busy {ingest['store_share']:.0%} of the time" if "batches" in ingest else "")
            progress(f"repeat {i}/{args.repeat} ingest ({args.workers} worker{'s' if args.workers > 1 else ''}): "
                     f"{ingest['ingest_per_s']:.0f}/s committed "
                     f"(publisher {ingest['publish_per_s']:.0f}/s, {ingest['seconds']:.2f}s{batches})")
        ingest_per_s = median(ingest_runs, "ingest_per_s")
        raw_per_s = median(raw_runs, "raw_per_s")
        ratio = round(ingest_per_s / raw_per_s, 3)
        return {
            "bench": "ingest",
            "ingest_per_s": ingest_per_s,
            "raw_per_s": raw_per_s,
            "ratio": ratio,
            "target_ratio": TARGET_RATIO[database.backend],
            "meets_target": ratio >= TARGET_RATIO[database.backend] if args.stages == "store" else None,
            "stages": args.stages,
            "events": args.events,
            "expected": args.events,
            "stored": min(r["stored"] for r in ingest_runs),
            "repeat": args.repeat,
            "backend": database.backend,
            "database": database.version(),
            "postgresql_autovacuum": database.autovacuum(),
            "batch_size": args.batch_size,
            "batch_wait_ms": args.batch_wait_ms,
            "broker": broker_name,
            "raw_end_to_end_per_s": median(raw_runs, "raw_end_to_end_per_s"),
            "publish_per_s": round(statistics.median(r["publish_per_s"] for r in raw_runs + ingest_runs), 1),
            "ratio_runs": [round(i["ingest_per_s"] / r["raw_per_s"], 3)
                           for i, r in zip(ingest_runs, raw_runs, strict=True)],
            "ingest_runs_per_s": [round(r["ingest_per_s"], 1) for r in ingest_runs],
            "raw_runs_per_s": [round(r["raw_per_s"], 1) for r in raw_runs],
            "workers": args.workers,
            "machine_busy_during_ingest": statistics.median(r["machine_busy"] or 0 for r in ingest_runs),
            # CPU per message: the receiving side alone (raw: the subscriber's network thread; ingest: the
            # worker's threads or processes, a PostgreSQL server's own not counted), and the whole
            # machine's (publisher, broker and database server too). What the ratio is bound by here.
            "raw_cpu_us_per_msg": median(raw_runs, "cpu_us"),
            "ingest_cpu_us_per_msg": median(ingest_runs, "cpu_us"),
            "raw_machine_cpu_us_per_msg": median(raw_runs, "machine_cpu_us"),
            "ingest_machine_cpu_us_per_msg": median(ingest_runs, "machine_cpu_us"),
            "stations": args.stations,
            # The in-process worker's batches (not measured in worker processes).
            "mean_batch": (round(statistics.median(r["mean_batch"] for r in ingest_runs), 1)
                           if args.workers == 1 else None),
            "store_share": (round(statistics.median(r["store_share"] for r in ingest_runs), 3)
                            if args.workers == 1 else None),
            "publisher": "separate process",
            "quick": args.quick,
            "python": platform.python_version(),
            "paho": paho.mqtt.__version__,
            "peewee": peewee.__version__,
            "cpus": os.cpu_count(),
        }
    finally:
        database.cleanup()
        if broker is not None:
            broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the last stdout line is the JSON result. Exit 1 when events are lost or time runs out."""
    args = parse_args(argv)
    started = time.monotonic()
    try:
        result = run(args)
    except BenchError as e:
        progress(f"FAILED: {e}")
        print(json.dumps({"bench": "ingest", "error": str(e)}))
        return 1
    result["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
