"""`waystation demo`: the whole system on one machine, each part in its own process.

Embedded broker (unless WAYSTATION_BROKER_URL names one), central web app with ingest, one kiosk per
seeded station, and simulated devices. Demo data lives in var/demo/ (or the `demo_dir` setting) and is
made afresh each run.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from waystation.paths import PROJECT_ROOT
from waystation.settings import load_settings

DEFAULT_DEMO_DIR = PROJECT_ROOT / "var" / "demo"
# What a run leaves in its folder, removed by the next run (nothing else there is touched).
DEMO_FILES = ("*.db", "*.db-wal", "*.db-shm", "*.log")
# Folders of the classroom (central's uploads, each kiosk's cache).
DEMO_FOLDERS = ("classroom", "classroom-*")


def demo_dir(config: str | None = None) -> Path:
    """The folder of the demo's databases and logs: the `demo_dir` setting, else var/demo/."""
    configured = load_settings(config).demo_dir
    return Path(configured).resolve() if configured else DEFAULT_DEMO_DIR


def fresh_demo_dir(directory: Path) -> None:
    """Create the folder, without what an earlier run left in it."""
    directory.mkdir(parents=True, exist_ok=True)
    for pattern in DEMO_FILES:
        for path in directory.glob(pattern):
            path.unlink()
    for pattern in DEMO_FOLDERS:
        for path in directory.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float) -> bool:
    """Whether something accepts connections on the port before the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def wait_for_http(url: str, timeout: float) -> bool:
    """Whether the URL answers (any HTTP status) before the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return True
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.2)
    return False


class Processes:
    """The demo's child processes, stopped together."""

    def __init__(self, env: dict[str, str], directory: Path):
        self.env = env
        self.directory = directory
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        log_file = open(self.directory / f"{name}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "waystation.cli", *args], cwd=PROJECT_ROOT,
                                env={**self.env, **(extra_env or {})}, stdout=log_file, stderr=subprocess.STDOUT)
        self.children.append((name, proc))
        return proc

    def dead(self) -> list[str]:
        return [name for name, proc in self.children if proc.poll() is not None]

    def stop(self) -> None:
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for _, proc in reversed(self.children):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def step(n: int, total: int, text: str) -> None:
    print(f"[{n}/{total}] {text}", flush=True)


DEMO_HISTORY_DAYS = 30


def demo_care_day(config: str | None) -> int:
    """Today's day of the month where the stations are: the demo's care day, so vouchers can be tried at once."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from waystation.settings import load_settings

    return datetime.now(ZoneInfo(load_settings(config).central.timezone)).day


def run_demo(config: str | None, central_port: int = 0) -> int:
    """Start everything, print the URLs and logins and `ready`, run until Ctrl-C."""
    from station_admin.demo.seed import DEMO_USERS

    directory = demo_dir(config)
    fresh_demo_dir(directory)
    env = {k: v for k, v in os.environ.items() if k != "WAYSTATION_DATABASE_URL"}
    # One data key for every process of this run: the seed encrypts what central later decrypts.
    env.update({"WAYSTATION_DEMO": "true", "PYTHONUNBUFFERED": "1", "WAYSTATION_CENTRAL_DATA_KEY": os.urandom(32).hex(),
                "WAYSTATION_DATABASE_URL": os.environ.get("WAYSTATION_DATABASE_URL")
                or f"sqlite:///{directory / 'central.db'}"})
    # The classroom's files (central's uploads, each kiosk's cache) live with the run's databases.
    env.setdefault("WAYSTATION_CLASSROOM_MEDIA_DIR", str(directory / "classroom"))
    env.setdefault("WAYSTATION_CLASSROOM_CACHE_DIR", str(directory / "classroom-{station}"))
    if config:
        env["WAYSTATION_CONFIG"] = str(Path(config).resolve())
    # The care day is today, so the voucher screen works whatever the date (set it to try another day).
    env.setdefault("WAYSTATION_COMMUNITY_CARE_DAY", str(demo_care_day(config)))
    procs = Processes(env, directory)
    total = 6
    try:
        if os.environ.get("WAYSTATION_BROKER_URL"):
            step(1, total, f"using the broker at {os.environ['WAYSTATION_BROKER_URL']}")
        else:
            port = free_port()
            step(1, total, f"starting the embedded MQTT broker on port {port}")
            procs.start("broker", "broker", "--port", str(port))
            if not wait_for_port(port, 15):
                return _fail(procs, f"the embedded broker did not start (see {directory}/broker.log)")
            env["WAYSTATION_BROKER_URL"] = f"mqtt://127.0.0.1:{port}"

        step(2, total, "seeding the demo federation, district, stations and staff")
        seeded = subprocess.run([sys.executable, "-m", "waystation.cli", "--log-level", "WARNING", "seed-demo"],
                                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
        if seeded.returncode != 0:
            return _fail(procs, f"seeding failed:\n{seeded.stderr}")
        from station_admin.demo.seed import DEMO_STATIONS, DEMO_TOKEN

        # A month of the stations' past (check-ins, charging, feedback, requests worked to their outcomes), so
        # every report has figures to show from the first minute.
        history = subprocess.run([sys.executable, "-m", "waystation.cli", "--log-level", "WARNING", "seed",
                                  "--stations", str(len(DEMO_STATIONS)), "--days", str(DEMO_HISTORY_DAYS),
                                  "--per-day", "40"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
        if history.returncode != 0:
            return _fail(procs, f"seeding the demo's history failed:\n{history.stderr}")

        central_port = central_port or free_port()
        step(3, total, f"starting central (web + ingest) on port {central_port}")
        # Kiosks put this address in their join QR codes (set WAYSTATION_CENTRAL_PUBLIC_URL to a LAN
        # address, with WAYSTATION_CENTRAL_HOST=0.0.0.0, to join from a real phone).
        public_url = os.environ.get("WAYSTATION_CENTRAL_PUBLIC_URL") or f"http://127.0.0.1:{central_port}"
        procs.start("central", "central", extra_env={"WAYSTATION_CENTRAL_PORT": str(central_port),
                                                     "WAYSTATION_CENTRAL_PUBLIC_URL": public_url})

        kiosks = []
        step(4, total, f"starting {len(DEMO_STATIONS)} kiosks")
        for code, zh, en, *_ in DEMO_STATIONS:
            port = free_port()
            procs.start(f"kiosk-{code}", "kiosk", extra_env={
                "WAYSTATION_KIOSK_STATION_ID": code, "WAYSTATION_KIOSK_PORT": str(port),
                "WAYSTATION_KIOSK_DATABASE_PATH": str(directory / "kiosk-{station}.db")})
            kiosks.append((code, zh, en, port))

        step(5, total, "starting simulated people counters and charger controllers")
        procs.start("devices", "simulate", *[arg for code, *_, seats, slots in DEMO_STATIONS
                                             for arg in ("--station", f"{code}:{seats}:{slots}")])

        step(6, total, "waiting for every web app to answer")
        for url in [f"http://127.0.0.1:{central_port}/auth/login"] + [f"http://127.0.0.1:{p}/" for *_, p in kiosks]:
            if not wait_for_http(url, 30):
                return _fail(procs, f"{url} did not answer (see the logs in {directory}/)")
        if procs.dead():
            return _fail(procs, f"these parts stopped: {', '.join(procs.dead())} (see {directory}/)")

        print()
        print(f"Central dashboard:  http://127.0.0.1:{central_port}/")
        for _, zh, en, port in kiosks:
            print(f"Kiosk {zh} ({en}):  http://127.0.0.1:{port}/")
        for line in seeded.stdout.splitlines():
            if line.startswith("demo member "):
                member, _, path = line[len("demo member "):].partition(": card page ")
                print(f"Member card {member}: {public_url}{path}")
        for line in seeded.stdout.splitlines():
            if line.startswith("classroom: "):
                print(f"Classroom:          {line[len('classroom: '):]}")
        print(f"MQTT broker:        {env['WAYSTATION_BROKER_URL']}")
        print("Staff logins:       " + ", ".join(f"{u} / {p} ({r})" for u, p, _, r in DEMO_USERS))
        print(f"API token:          curl -H 'Authorization: Bearer {DEMO_TOKEN}' "
              f"http://127.0.0.1:{central_port}/api/v1/stations")
        print(f"Care day:           day {env['WAYSTATION_COMMUNITY_CARE_DAY']} of the month "
              "(WAYSTATION_COMMUNITY_CARE_DAY=N to choose another)")
        print(f"Logs:               {directory}/")
        print("Press Ctrl-C to stop.")
        print("ready", flush=True)

        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
        while not stop["now"]:
            if procs.dead():
                return _fail(procs, f"these parts stopped: {', '.join(procs.dead())} (see {directory}/)")
            time.sleep(0.5)
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        print("stopping…", flush=True)
        procs.stop()


def _fail(procs: Processes, message: str) -> int:
    print(f"demo: {message}", file=sys.stderr)
    return 1
