"""A province on one node: 20,000 stations' field-rate traffic through a real Mosquitto into central.

One command: it builds the station database (bench/province_data.py; SQLite, or a fresh schema of
`--database-url` PostgreSQL), starts Mosquitto with the shipped message handling, central in the
documented scale-out layout (`waystation ingest`: the MQTT node; `waystation central --no-ingest`:
the web), and then:

1. at rest: no traffic for a while after start-up; central's CPU (node + web) is measured; then
   the web clients of step 2 alone for as long (`quiet_*`: the pages' own cost, ingest idle; the
   first `WARMUP_S` seconds, every client's first page, not timed);
2. under load for `--seconds`: publisher processes (few connections, many stations each) send
   every station's field traffic on schedule: a heartbeat per device (3) every 30 s, occupancy
   every minute, a slot change every 5 minutes per slot (8), 100 check-ins a day, plus one probe
   check-in a second per publisher; a plain paho QoS 1 subscriber counts the same stream (the raw
   reference); 20 dashboard clients, started a twentieth of a second apart, load the page (again every tenth
   poll, each from its own phase) and poll its live fragment every second (most the
   first page: `dashboard_*`, `fragment_*`; some a filtered and sorted view or a page deep in the
   list: `DASHBOARD_VIEWS`, `views_*`) and one
   client polls the API's first page with If-None-Match (`api_p99_ms` counts its 200 answers,
   `api_304_p99_ms` its 304s) and every tenth time the next page (`api_next_p99_ms`); half-way, one
   occupancy change to a station on the first page is timed until its fragment shows it
   (`device_change_seen_s`); as in step 1, requests of the first `WARMUP_S` seconds (each client's
   opening page) are not timed;
3. drain: each publisher sends a last probe; the run waits for them to be stored.

Ingest lag is each check-in's store time (StationEvent.received_at) minus the time it was sent
(its `ts`, same machine clock); `ingest_lag_end_s` is the last probes' lag, and
`ingest_lag_p99_by_window_s` the p99 per `LAG_WINDOW_S` of the load (whether it grows), and
`rss_by_window_mb` the node's resident memory at the end of each such window (whether it stays
flat). `msgs_per_s` is the messages sent divided by the time until the last probe was stored (or, when it never was, the
share of check-ins stored times the sent rate). `alarm_evaluation_s` is one alarms.evaluate() on
the final state. The last line on stdout is one JSON object; progress goes to stderr.

    python bench/province.py --quick                 # 2,000 stations, 30 s of load: under 2 minutes
    python bench/province.py --stations 20000 --seconds 120
    python bench/province.py --stations 20000 --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import province_data  # noqa: E402
from bench.ingest import Database, mosquitto_version  # noqa: E402

TICK = 0.1  # publisher schedule resolution (seconds)
LAG_WINDOW_S = 10  # ingest_lag_p99_by_window_s: the lag's p99 per this many seconds of the load
TOPIC_ROOT = "waystation/v1"
DASHBOARD_CLIENTS = 20
WARMUP_S = 3.0  # web clients' requests are timed from then on (each client's opening page is left out)
# Field rates (seconds between messages): per device, per station, per slot, per station.
HEARTBEAT_S, OCCUPANCY_S, SLOT_S, CHECKIN_S = 30, 60, 300, 86400 / 100
# The station whose people counter is the device-change probe (change_seen_s): first in (district, code)
# order, so on the first page; no publisher sends its occupancy, which would race the probe's (a run
# of 120 s put the probe on the same second as that station's scheduled reading, and the later won).
PROBE_STATION = 0


def progress(message: str) -> None:
    """A progress line on stderr, so stdout ends with the JSON result alone."""
    print(f"[bench/province] {time.strftime('%H:%M:%S')} {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stations", type=int, help="stations (default 20,000; 2,000 with --quick)")
    p.add_argument("--seconds", type=float, help="seconds of field-rate load (default 120; 30 with --quick)")
    p.add_argument("--database-url", help="a PostgreSQL URL (a fresh schema, dropped after); default SQLite")
    p.add_argument("--quick", action="store_true", help="2,000 stations, 30 s of load: under 2 minutes")
    p.add_argument("--clients", type=int, default=DASHBOARD_CLIENTS,
                   help=f"polling dashboard clients (default {DASHBOARD_CLIENTS}; 0: the API client alone)")
    p.add_argument("--publishers", type=int, default=2, help="publisher processes (default 2)")
    p.add_argument("--connections", type=int, default=4, help="MQTT connections per publisher (default 4)")
    p.add_argument("--rest-seconds", type=float, help="seconds measured at rest (default 20; 10 quick)")
    p.add_argument("--keep-logs", metavar="DIR", help="copy central's web and node logs (web.log, node.log) there")
    args = p.parse_args(argv)
    args.stations = args.stations or (2_000 if args.quick else 20_000)
    args.seconds = args.seconds or (30.0 if args.quick else 120.0)
    args.rest_seconds = args.rest_seconds or (10.0 if args.quick else 20.0)
    return args


# Publishers

def schedule(stations: list[int]) -> list[tuple[float, list[tuple]]]:
    """(period, buckets of items by tick) for every kind of message of these stations."""
    plans = []
    for period, items in (
            (HEARTBEAT_S, [("hb", i, device) for i in stations for device, _ in province_data.DEVICES]),
            (OCCUPANCY_S, [("occ", i) for i in stations if i != PROBE_STATION]),
            (SLOT_S, [("slot", i, slot) for i in stations for slot in range(1, province_data.SLOTS + 1)]),
            (CHECKIN_S, [("checkin", i) for i in stations])):
        ticks = max(int(period / TICK), 1)
        buckets: list[list[tuple]] = [[] for _ in range(ticks)]
        for n, item in enumerate(items):
            buckets[(n * 7919) % ticks].append(item)  # spread evenly, not in station order
        plans.append((ticks, buckets))
    return plans


def publisher_main(broker_url: str, index: int, count: int, stations: int, connections: int, conn) -> None:
    """Child process: send the field traffic of every `count`-th station over a few connections until told to stop."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    from devices.mqtt import parse_broker_url
    from devices.protocol import charger, events, heartbeat, occupancy

    address = parse_broker_url(broker_url)
    clients = []
    for c in range(connections):
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"province-pub-{index}-{c}-{uuid.uuid4().hex[:6]}",
                             protocol=MQTTProtocolVersion.MQTTv311)
        client.max_inflight_messages_set(1000)
        client.max_queued_messages_set(0)
        if address.username:
            client.username_pw_set(address.username, address.password)
        client.connect(address.host, address.port, keepalive=60)
        client.loop_start()
        clients.append(client)
    mine = list(range(index, stations, count))
    plans = schedule(mine)
    seqs: dict[int, int] = {}
    slot_status: dict[tuple[int, int], int] = {}
    statuses = [charger.SlotStatus.AVAILABLE, charger.SlotStatus.CHARGING, charger.SlotStatus.FINISHED]
    sent = 0

    def send(message) -> None:
        nonlocal sent
        client = clients[hash(message.station) % len(clients)]
        client.publish(f"{TOPIC_ROOT}/{message.topic}", message.to_payload(), message.QOS, message.RETAIN)
        sent += 1

    def checkin(i: int) -> tuple[str, datetime]:
        code = province_data.station_code(i)
        seqs[i] = seqs.get(i, 0) + 1
        ts, event_id = datetime.now(UTC), events.new_event_id()
        send(events.StationEvent(station=code, event_id=event_id, seq=10_000_000 + seqs[i], ts=ts,
                                 body=events.CheckIn()))
        return event_id, ts

    conn.send(("ready",))
    conn.recv()  # go
    tick = 0
    start = time.monotonic()
    probes = 0
    while not conn.poll(0):
        now = datetime.now(UTC)
        for ticks, buckets in plans:
            for item in buckets[tick % ticks]:
                kind, i = item[0], item[1]
                code = province_data.station_code(i)
                if kind == "hb":
                    send(heartbeat.Heartbeat(code, item[2], now))
                elif kind == "occ":
                    send(occupancy.Occupancy(code, (tick + i) % 15, tick % 200, tick % 190, now))
                elif kind == "slot":
                    n = slot_status.get((i, item[2]), 0) + 1
                    slot_status[(i, item[2])] = n
                    status = statuses[n % 3]
                    send(charger.ChargerSlotState(code, item[2], status, 3000 if status == "charging" else 0,
                                                  n * 10, now))
                else:
                    checkin(i)
        if tick % int(1 / TICK) == 0:
            checkin(mine[probes % len(mine)])
            probes += 1
        tick += 1
        delay = start + tick * TICK - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    conn.recv()  # stop
    final_id, final_ts = checkin(mine[0])  # the last probe
    time.sleep(1)
    for client in clients:
        client.disconnect()
        client.loop_stop()
    conn.send(("done", sent, final_ts.timestamp(), time.monotonic() - start, final_id))


class Publishers:
    """The publisher processes, connected and waiting for "go"."""

    def __init__(self, broker_url: str, stations: int, count: int, connections: int):
        ctx = multiprocessing.get_context("spawn")
        self.pipes, self.procs = [], []
        for index in range(count):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=publisher_main, args=(broker_url, index, count, stations, connections, child),
                               daemon=True)
            proc.start()
            self.pipes.append(parent)
            self.procs.append(proc)
        for pipe in self.pipes:
            if not pipe.poll(60):
                raise RuntimeError("a publisher did not get ready within 60 s")
            pipe.recv()

    def go(self) -> None:
        for pipe in self.pipes:
            pipe.send("go")

    def stop(self) -> tuple[int, float, float, list[str]]:
        """Stop; (messages sent, send time of the last probe, seconds of sending, the last probes' event ids)."""
        for pipe in self.pipes:
            pipe.send("stop")
        results = [pipe.recv() for pipe in self.pipes]
        for proc in self.procs:
            proc.join(10)
        return (sum(r[1] for r in results), max(r[2] for r in results), max(r[3] for r in results),
                [r[4] for r in results])


def raw_main(broker_url: str, conn) -> None:
    """Child process: a plain paho QoS 1 subscriber counting the station tree (the raw receive rate)."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    from devices.mqtt import parse_broker_url

    address = parse_broker_url(broker_url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"province-raw-{uuid.uuid4().hex[:6]}",
                         protocol=MQTTProtocolVersion.MQTTv311)
    counted = {"n": 0, "on": False}

    def on_message(c, u, message):
        if counted["on"] and not message.retain:
            counted["n"] += 1

    client.on_message = on_message
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(f"{TOPIC_ROOT}/station/#", qos=1)
    if address.username:
        client.username_pw_set(address.username, address.password)
    client.connect(address.host, address.port, keepalive=60)
    client.loop_start()
    conn.send("ready")
    conn.recv()
    counted["on"] = True
    start = time.monotonic()
    conn.recv()
    n, seconds = counted["n"], time.monotonic() - start
    client.disconnect()
    client.loop_stop()
    conn.send((n, seconds))


# Web clients

# What the dashboard clients look at: most the first page as it opens, some a filtered and sorted view, some a
# page deep in the list (each polls its own page's fragment, with its query, as the page does).
DASHBOARD_VIEWS = ("", "", "", "", "", "", "sort=-free&online=yes", "occupancy=room&sort=-occupancy",
                   "page=200", "q=驿站1999&sort=name")


def web_main(port: int, clients: int, conn, warmup_s: float = 0.0) -> None:
    """Child process: dashboard clients (a page, then its fragment every second) and one API client;
    requests that start in the first `warmup_s` seconds are not timed (every client's first page)."""
    from urllib.parse import quote

    headers = {"Authorization": f"Bearer {province_data.TOKEN}"}
    times: dict[str, list[float]] = {"page": [], "fragment": [], "page_views": [], "fragment_views": [], "api": [],
                                     "api_next": [], "api_304": []}
    errors: list[str] = []
    stop = threading.Event()

    def get(kind: str, path: str, extra: dict | None = None):
        started = time.perf_counter()
        try:
            http_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            http_conn.request("GET", quote(path, safe="/?&=-_.~%"), headers={**headers, **(extra or {})})
            response = http_conn.getresponse()
            body = response.read()
            http_conn.close()
            if response.status not in (200, 304):
                errors.append(f"{kind} {response.status}")
                return None
        except OSError as e:
            errors.append(f"{kind} {type(e).__name__}")
            return None
        elapsed = time.perf_counter() - started
        if started >= timed_from:
            times["api_304" if response.status == 304 else kind].append(elapsed)
        return response, body

    def dashboard(n: int) -> None:
        view = DASHBOARD_VIEWS[n % len(DASHBOARD_VIEWS)]
        suffix = "_views" if view else ""  # the first page as it opens, apart from the other views
        # People do not open or poll in step: client n starts n/clients of a second after the first, and
        # opens the page again (as after a reload or a change of view) every tenth poll from its own phase.
        # In step, every tenth second brought 20 full pages at once, a burst no real room of dashboards makes.
        stop.wait(n / clients)
        polls = 0
        while not stop.is_set():
            began = time.monotonic()
            if polls == 0 or (polls + n) % 10 == 0:
                get("page" + suffix, "/?" + view)
            else:
                get("fragment" + suffix, "/dashboard/stations?" + view, {"HX-Request": "true"})
            polls += 1
            stop.wait(max(1 - (time.monotonic() - began), 0))

    def api() -> None:
        # An integration polling the first page with its ETag, and every tenth time the next page too.
        etag, polls = None, 0
        while not stop.is_set():
            began = time.monotonic()
            answer = get("api", "/api/v1/stations", {"If-None-Match": etag} if etag else None)
            if answer is not None:
                etag = answer[0].getheader("ETag") or etag
                if polls % 10 == 0 and answer[0].status == 200:
                    cursor = json.loads(answer[1])["next_cursor"]
                    if cursor:
                        get("api_next", f"/api/v1/stations?cursor={cursor}")
            polls += 1
            stop.wait(max(1 - (time.monotonic() - began), 0))

    conn.send("ready")
    conn.recv()
    timed_from = time.perf_counter() + warmup_s
    threads = [threading.Thread(target=dashboard, args=(n,), daemon=True) for n in range(clients)]
    threads.append(threading.Thread(target=api, daemon=True))
    for t in threads:
        t.start()
    conn.recv()
    stop.set()
    deadline = time.monotonic() + 5  # a request still running then is left out (its time is over 5 s anyway)
    for t in threads:
        t.join(max(deadline - time.monotonic(), 0))
    unfinished = sum(t.is_alive() for t in threads)
    conn.send(({k: list(v) for k, v in times.items()}, errors[:20], len(errors), unfinished))


def change_seen_s(broker_url: str, port: int, timeout: float = 30) -> float | None:
    """Seconds from a device change (an occupancy no publisher sends) to the first page's fragment showing it."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    from devices.mqtt import parse_broker_url
    from devices.protocol import occupancy

    address = parse_broker_url(broker_url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"province-probe-{uuid.uuid4().hex[:6]}",
                         protocol=MQTTProtocolVersion.MQTTv311)
    if address.username:
        client.username_pw_set(address.username, address.password)
    client.connect(address.host, address.port, keepalive=60)
    client.loop_start()
    code = province_data.station_code(PROBE_STATION)
    message = occupancy.Occupancy(code, 19, 0, 0, datetime.now(UTC))
    sent = time.perf_counter()
    client.publish(f"{TOPIC_ROOT}/{message.topic}", message.to_payload(), 1, True).wait_for_publish(10)
    headers = {"Authorization": f"Bearer {province_data.TOKEN}", "HX-Request": "true"}
    seen, last = None, None
    while time.perf_counter() - sent < timeout:
        try:
            http_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
            http_conn.request("GET", "/dashboard/stations", headers=headers)
            body = http_conn.getresponse().read().decode()
            http_conn.close()
        except OSError:
            continue  # a request that timed out: ask again while there is time
        card = body.split(f'data-station="{code}"', 1)[-1].split("</article>", 1)[0]
        if 'data-testid="people">19 / 20<' in card:
            seen = time.perf_counter() - sent
            break
        last = card.split('data-testid="people">', 1)[-1][:12] if f'data-station="{code}"' in body else body[:80]
        time.sleep(0.1)
    if seen is None:
        progress(f"the device change was not seen; the card's people figure last read {last!r}")
    client.disconnect()
    client.loop_stop()
    return None if seen is None else round(seen, 3)


class Child:
    """A helper process speaking over a pipe: ready, go, stop, result."""

    def __init__(self, target, *args, **kwargs):
        ctx = multiprocessing.get_context("spawn")
        self.pipe, child = ctx.Pipe()
        self.proc = ctx.Process(target=target, args=(*args, child), kwargs=kwargs, daemon=True)
        self.proc.start()
        if not self.pipe.poll(60):
            raise RuntimeError(f"{target.__name__} did not get ready")
        self.pipe.recv()

    def go(self) -> None:
        self.pipe.send("go")

    def result(self, timeout: float = 120):
        self.pipe.send("stop")
        if not self.pipe.poll(timeout):
            raise RuntimeError("a helper process did not answer")
        value = self.pipe.recv()
        self.proc.join(10)
        return value


# Central's processes

STARTUP_LIMIT_S = 180.0  # start-up publishing that has not settled by then is reported as such
SETTLED_PCT = 10.0  # a process using less of a core than this over a 3 s window has settled


def settle(pid: int, limit_s: float) -> float | None:
    """Seconds until the process's CPU over a 3 s window falls under SETTLED_PCT (None: not within limit_s)."""
    began = time.monotonic()
    while time.monotonic() - began < limit_s:
        before = cpu_seconds(pid)
        time.sleep(3)
        if 100 * (cpu_seconds(pid) - before) / 3 < SETTLED_PCT:
            return round(time.monotonic() - began, 1)
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def central_env(db_url: str, broker_url: str, web_port: int) -> dict:
    """The environment of central's two processes (secrets fixed: a benchmark, not a site)."""
    return {**os.environ, "WAYSTATION_DATABASE_URL": db_url, "WAYSTATION_BROKER_URL": broker_url,
            "WAYSTATION_CENTRAL_SECRET_KEY": "province-bench-secret-key-0123456789abcdef",
            "WAYSTATION_CENTRAL_DATA_KEY": "province-bench-data-key-0123456789abcdef",
            "WAYSTATION_CENTRAL_PORT": str(web_port), "WAYSTATION_INGEST_CLIENT_ID": f"province-{uuid.uuid4().hex[:6]}"}


def start_central(env: dict, workdir: Path, port: int) -> tuple[subprocess.Popen, subprocess.Popen]:
    """`waystation central --no-ingest` (once it listens), then `waystation ingest`; logs in workdir.

    One after the other: both upgrade the database and make sure of a signing key as they start.
    """
    command = [sys.executable, "-m", "waystation.cli", "--log-level", "WARNING"]
    web = subprocess.Popen([*command, "central", "--no-ingest"], env=env, cwd=workdir, stdout=subprocess.DEVNULL,
                           stderr=(workdir / "web.log").open("w"))
    wait_port(port, web, workdir)
    node = subprocess.Popen([*command, "ingest"], env=env, cwd=workdir, stdout=subprocess.DEVNULL,
                            stderr=(workdir / "node.log").open("w"))
    return node, web


def wait_port(port: int, web: subprocess.Popen, workdir: Path, timeout: float = 300) -> None:
    """Wait until the web process listens (start-up on a loaded machine may take a while)."""
    from tests.brokers import port_open

    deadline = time.monotonic() + timeout
    while not port_open(port):
        if web.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the web process did not listen on {port}: {(workdir / 'web.log').read_text()[-2000:]}")
        time.sleep(0.2)


def percentile(values: list[float], p: float) -> float | None:
    """The p-th percentile (nearest rank), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(int(round(p / 100 * len(ordered) + 0.5)) - 1, len(ordered) - 1)]


def median_ms(values: list[float]) -> float | None:
    return round(statistics.median(values) * 1000, 1) if values else None


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def lags_since(moment: datetime) -> list[tuple[float, float]]:
    """(sent timestamp, lag seconds) of every check-in sent since a moment, from the stored events."""
    from station_admin.core.models import StationEvent, db

    with db.connection_context():
        rows = (StationEvent.select(StationEvent.occurred_at, StationEvent.received_at)
                .where(StationEvent.occurred_at >= moment).tuples())
        return [(o.timestamp(), (r - o).total_seconds()) for o, r in rows]


def lags_of(event_ids: list[str]) -> list[float]:
    """Lag seconds of those of these check-ins that are stored."""
    from station_admin.core.models import StationEvent, db

    with db.connection_context():
        rows = (StationEvent.select(StationEvent.occurred_at, StationEvent.received_at)
                .where(StationEvent.event_id.in_(event_ids)).tuples())
        return [(r - o).total_seconds() for o, r in rows]


def run(args) -> dict:
    from station_admin.core import models
    from station_admin.live import alarms
    from tests.brokers import MOSQUITTO, SecureMosquitto, free_port
    from waystation.settings import load_settings

    result: dict = {"stations": args.stations, "seconds": args.seconds, "clients": args.clients,
                    "backend": "postgresql" if args.database_url else "sqlite", "machine_cores": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="province-") as tmp:
        workdir = Path(tmp)
        database = Database(args.database_url, workdir)
        broker = node = web = None
        helpers: list = []
        try:
            db_url = database.fresh_url()
            progress(f"building {args.stations} stations ({result['backend']})")
            result.update(build_s=province_data.build(db_url, args.stations)["build_s"])
            # The shipped config (Dynamic Security, persistence) with a test account that may use every topic.
            broker = SecureMosquitto(workdir=workdir / "mosquitto", test_account=True).start()
            result["broker"] = mosquitto_version(broker.url, MOSQUITTO)
            result["database"] = database.version()
            result["postgresql_autovacuum"] = database.autovacuum()
            port = free_port()
            # The raw reference subscribes before central starts, so it gets every retained message as it
            # is published, not in one replay: subscribing at the load's start replayed some 300,000
            # retained messages through the one-threaded broker just as the stream began (ingest fell
            # 60 s behind in the first minute, then spent the run catching up).
            raw = Child(raw_main, broker.url)
            helpers.append(raw)
            province_data.refresh_heartbeats(db_url)
            node, web = start_central(central_env(db_url, broker.url, port), workdir, port)
            # Start-up: every station's configuration, policy, schedule, surveys and classroom manifest
            # go out once (about 100,000 retained messages at 20,000 stations), which takes central
            # tens of seconds at full CPU. Rest is measured after that, with the heartbeats made fresh
            # again (nothing is due to go offline while it is measured).
            result["startup_publish_s"] = settle(node.pid, limit_s=STARTUP_LIMIT_S)
            province_data.refresh_heartbeats(db_url)
            progress(f"at rest (start-up publishing took {result['startup_publish_s']} s)")
            cpu0 = (cpu_seconds(node.pid), cpu_seconds(web.pid))
            time.sleep(args.rest_seconds)
            cpu1 = (cpu_seconds(node.pid), cpu_seconds(web.pid))
            result["central_idle_cpu_pct"] = round(100 * (sum(cpu1) - sum(cpu0)) / args.rest_seconds, 1)
            result["node_idle_cpu_pct"] = round(100 * (cpu1[0] - cpu0[0]) / args.rest_seconds, 1)

            progress("web alone")  # the same clients with no field traffic: the pages' own cost
            quiet = Child(web_main, port, args.clients, warmup_s=WARMUP_S)
            helpers.append(quiet)
            cpu0 = cpu_seconds(web.pid)
            quiet.go()
            time.sleep(args.rest_seconds + WARMUP_S)
            quiet_times, _, quiet_errors, _ = quiet.result()
            quiet_s = args.rest_seconds + WARMUP_S
            result["quiet_web_cpu_pct"] = round(100 * (cpu_seconds(web.pid) - cpu0) / quiet_s, 1)
            for key, kind in (("dashboard", "page"), ("fragment", "fragment"), ("views_fragment", "fragment_views"),
                              ("api", "api"), ("api_304", "api_304")):
                result[f"quiet_{key}_p99_ms"] = ms(percentile(quiet_times[kind], 99))
            result["quiet_fragment_median_ms"] = median_ms(quiet_times["fragment"])
            result["quiet_requests"] = {k: len(v) for k, v in quiet_times.items()}
            result["quiet_errors"] = quiet_errors

            progress("under load")
            clients = Child(web_main, port, args.clients, warmup_s=WARMUP_S)
            helpers.append(clients)
            publishers = Publishers(broker.url, args.stations, args.publishers, args.connections)
            # Fresh again: the field's first heartbeat of each device comes within 30 s, before the
            # rest and web-alone steps' heartbeats would go stale (else a third of the devices would
            # be raised offline early in the load, and the pages would carry those alarms).
            province_data.refresh_heartbeats(db_url)
            load_start = datetime.now(UTC)
            rss_start = rss_mb(node.pid)
            cpu0 = (cpu_seconds(node.pid), cpu_seconds(web.pid))
            t0 = time.monotonic()
            rss_samples: list[float] = []
            sampling = threading.Event()

            def sample_rss() -> None:  # the node's memory every LAG_WINDOW_S of the load: whether it stays flat
                while not sampling.wait(LAG_WINDOW_S):
                    rss_samples.append(round(rss_mb(node.pid), 1))

            sampler = threading.Thread(target=sample_rss, daemon=True)
            sampler.start()
            raw.go()
            clients.go()
            publishers.go()
            time.sleep(args.seconds / 2)
            # Publishers send occupancies under 15 for a capacity of 20: 19 is the probe's alone.
            result["device_change_seen_s"] = change_seen_s(broker.url, port)
            time.sleep(max(args.seconds - (time.monotonic() - t0), 0))
            sent, last_probe_at, send_s, last_probes = publishers.stop()
            elapsed = time.monotonic() - t0
            cpu1 = (cpu_seconds(node.pid), cpu_seconds(web.pid))
            rss_end = rss_mb(node.pid)
            sampling.set()
            sampler.join()
            raw_n, raw_s = raw.result()
            times, errors, error_count, unfinished = clients.result()
            progress(f"draining ({sent} messages sent)")
            last_probe = datetime.fromtimestamp(last_probe_at, UTC)
            deadline = time.monotonic() + max(30, args.seconds / 2)
            final_lag = None
            while time.monotonic() < deadline:
                late = lags_of(last_probes)
                if len(late) == len(last_probes):  # every publisher's last probe is stored
                    final_lag = max(late)
                    break
                time.sleep(0.5)
            lags = lags_since(load_start)
            checkins_sent_estimate = len(lags)
            if final_lag is not None:
                result["msgs_per_s"] = round(sent / (last_probe_at + final_lag - load_start.timestamp()), 1)
                result["drained"] = True
            else:
                expected = args.seconds * (args.stations / CHECKIN_S + args.publishers)
                stored_share = min(checkins_sent_estimate / expected, 1) if expected else 0
                result["msgs_per_s"] = round(stored_share * sent / elapsed, 1)
                result["drained"] = False
            load = [(ts, lag) for ts, lag in lags if ts <= last_probe_at - 0.5]
            load_lags = [lag for _, lag in load]
            # Whether the lag grows: its p99 over each LAG_WINDOW_S of send time, from the load's start.
            windows: dict[int, list[float]] = {}
            for ts, lag in load:
                windows.setdefault(int((ts - load_start.timestamp()) // LAG_WINDOW_S), []).append(lag)
            result["ingest_lag_p99_by_window_s"] = [round(percentile(windows[w], 99), 2) for w in sorted(windows)]
            result.update(
                central_load_cpu_pct=round(100 * (sum(cpu1) - sum(cpu0)) / elapsed, 1),
                node_load_cpu_pct=round(100 * (cpu1[0] - cpu0[0]) / elapsed, 1),
                web_load_cpu_pct=round(100 * (cpu1[1] - cpu0[1]) / elapsed, 1),
                offered_per_s=round(sent / send_s, 1),
                raw_per_s=round(raw_n / raw_s, 1),
                ingest_lag_p50_s=round(statistics.median(load_lags), 3) if load_lags else None,
                ingest_lag_p99_s=round(percentile(load_lags, 99), 3) if load_lags else None,
                ingest_lag_end_s=round(final_lag, 3) if final_lag is not None else None,
                rss_start_mb=round(rss_start, 1), rss_end_mb=round(rss_end, 1), rss_by_window_mb=rss_samples,
                dashboard_median_ms=ms(statistics.median(times["page"])) if times["page"] else None,
                dashboard_p99_ms=ms(percentile(times["page"], 99)),
                fragment_median_ms=ms(statistics.median(times["fragment"])) if times["fragment"] else None,
                fragment_p99_ms=ms(percentile(times["fragment"], 99)),
                views_page_p99_ms=ms(percentile(times["page_views"], 99)),
                views_fragment_median_ms=median_ms(times["fragment_views"]),
                views_fragment_p99_ms=ms(percentile(times["fragment_views"], 99)),
                api_median_ms=ms(statistics.median(times["api"])) if times["api"] else None,
                api_p99_ms=ms(percentile(times["api"], 99)),
                api_304_p99_ms=ms(percentile(times["api_304"], 99)),
                api_next_p99_ms=ms(percentile(times["api_next"], 99)),
                web_requests={k: len(v) for k, v in times.items()}, web_unfinished=unfinished, web_errors=error_count,
                web_error_samples=errors)
            result["ratio_to_raw"] = round(result["msgs_per_s"] / result["raw_per_s"], 3) if raw_n else None
            progress(f"so far: {json.dumps(result)}")
            for name, proc in (("node", node), ("web", web)):
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    result[f"{name}_stop"] = "killed after 30 s"
            node = web = None
            settings = load_settings(env={}).alarms
            all_stale = datetime.now(UTC) + timedelta(seconds=settings.heartbeat_timeout_s + 1)
            # Once as the load ended (every device heard from lately), once when every heartbeat is stale.
            for key, count, moment in (("alarm_evaluation_s", "alarms_raised_at_end", last_probe),
                                       ("alarm_evaluation_raising_s", "alarms_raised_all_stale", all_stale)):
                with models.db.connection_context():
                    began = time.perf_counter()
                    with models.db.atomic():
                        raised, _ = alarms.evaluate(moment, settings)
                    result[key] = round(time.perf_counter() - began, 3)
                    result[count] = raised
        finally:
            for proc in (node, web):
                if proc is not None:
                    proc.kill()
            for helper in helpers:
                if helper.proc.is_alive():
                    helper.proc.kill()
            if broker is not None:
                broker.cleanup()
            if args.keep_logs:
                Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
                for name in ("web.log", "node.log"):
                    if (workdir / name).exists():
                        shutil.copy(workdir / name, Path(args.keep_logs) / name)
            if not models.db.is_closed():
                models.db.close()
            database.cleanup()
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(json.dumps(run(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
