"""Fixtures that give real things: brokers on free ports, SQLite files, PostgreSQL schemas, running apps."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import peewee
import pytest

from tests.brokers import SecureMosquitto, free_port
from tests.databases import DatabaseTemplates
from waystation.settings import load_settings

POSTGRES_URL = os.environ.get("WAYSTATION_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_reachable() -> bool:
    if not POSTGRES_URL:
        return False
    try:
        from playhouse.db_url import connect

        db = connect(POSTGRES_URL, connect_timeout=3)
        db.connect()
        db.close()
        return True
    except peewee.OperationalError:
        return False


POSTGRES = _postgres_reachable()
if os.environ.get("WAYSTATION_TEST_REQUIRE_POSTGRES") and not POSTGRES:
    raise RuntimeError(f"WAYSTATION_TEST_REQUIRE_POSTGRES is set but PostgreSQL at {POSTGRES_URL!r} is not reachable")
DATABASES = ["sqlite", "postgres"] if POSTGRES else ["sqlite"]
# This pytest-xdist worker ("gw0", "gw1"...), or "main" without xdist: names its databases.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")


def pytest_report_header(config):
    return f"central database backends: {', '.join(DATABASES)}" + (
        "" if POSTGRES else f" (PostgreSQL at {POSTGRES_URL!r} not reachable: its runs are not collected)")


def wait_until(predicate, timeout: float = 10, interval: float = 0.05, message: str = "condition"):
    """Poll until `predicate()` is truthy and return it; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


@pytest.fixture
def clock():
    """The one clock tests move: `clock(moment)` puts the whole process at `moment` (datetime.now,
    time.time and the rest, in every thread), ticking on from there; `clock(moment, tick=False)` stops it.

    time.monotonic, sleeps and timeouts stay real (time-machine leaves them alone), so paho's
    keep-alive, queue and event waits and wait_until still measure real seconds. Other processes
    (Mosquitto, Chromium, subprocesses) keep the real time.
    """
    import time_machine

    travellers = []

    def set_to(moment, tick: bool = True):
        if travellers:
            travellers[-1].stop()
        travellers.append(time_machine.travel(moment, tick=tick))
        travellers[-1].start()

    yield set_to
    if travellers:
        travellers[-1].stop()


@pytest.fixture(scope="session")
def shared_mosquitto():
    """One Mosquitto for the tests that do not stop their broker (each uses its own topic root).

    It runs the shipped config (Dynamic Security, no anonymous access); `url` carries the tests'
    account, which may use every topic (tests/brokers.py: TEST_ACCOUNT).
    """
    broker = SecureMosquitto(test_account=True).start()
    yield broker
    broker.cleanup()


@pytest.fixture
def mosquitto(tmp_path):
    """A Mosquitto of this test's own (the shipped config, as shared_mosquitto), which it may stop, kill and start
    again."""
    broker = SecureMosquitto(workdir=tmp_path / "mosquitto", test_account=True).start()
    yield broker
    broker.cleanup()


@pytest.fixture
def embedded_broker():
    """The demo's embedded pure-Python broker on a free port."""
    from waystation.broker import EmbeddedBroker

    broker = EmbeddedBroker(port=free_port())
    broker.start()
    broker.url = f"mqtt://127.0.0.1:{broker.port}"
    yield broker
    broker.stop()


@pytest.fixture
def topic_root():
    """A topic root no other test uses, so tests on a shared broker never see each other's messages."""
    return f"test-{uuid.uuid4().hex[:12]}/waystation/v1"


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory):
    """This worker's migrated and seeded databases, built once and copied into each test's database."""
    templates = DatabaseTemplates(tmp_path_factory.mktemp("templates"), lambda url: make_settings(
        database={"url": url}), POSTGRES_URL if POSTGRES else None, WORKER)
    templates.kiosk_template()  # now, before any test has a kiosk app bound to the kiosk models
    yield templates
    templates.close()


@pytest.fixture(params=DATABASES)
def central_db_url(request, tmp_path):
    """The central database, empty: a SQLite file, and a fresh PostgreSQL schema where PostgreSQL is present."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.db'}"
        return
    from playhouse.db_url import connect

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = connect(POSTGRES_URL)
    admin.execute_sql(f'CREATE SCHEMA "{schema}"')
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    admin.execute_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.close()


# One set of secrets per test process: the seeded database templates are encrypted with its data key.
SECRETS = {"central": {"secret_key": secrets.token_hex(32), "data_key": secrets.token_hex(32)},
           "kiosk": {"secret_key": secrets.token_hex(32)}}


def make_settings(**sections):
    """Test settings: every secret set (this process's), demo off, plus the given overrides."""
    base = {section: dict(values) for section, values in SECRETS.items()}
    for section, values in sections.items():
        base.setdefault(section, {}).update(values)
    return load_settings(env={}, overrides=base)


@pytest.fixture
def central_settings(central_db_url, topic_root, database_templates):
    """Settings for a central app and ingest worker on this test's database and topic root.

    `central_settings(broker_url, template="seeded")` makes the database a copy of a template, the
    first time one is asked for (tests/databases.py: "migrated", "demo" or "seeded"); every later
    call gives that same database. On PostgreSQL the copy is a database of its own: read
    `settings.database.url`, not central_db_url.
    """
    database = {"url": central_db_url, "template": None}

    def build(broker_url: str = "mqtt://127.0.0.1:1", template: str | None = None, **sections):
        if template and database["template"] is None:
            database.update(url=database_templates.central(central_db_url, template), template=template)
            if database["url"] != central_db_url:
                copies.append(database["url"])
        broker = {"url": broker_url, "topic_root": topic_root, "reconnect_min_s": 1, "reconnect_max_s": 2,
                  **sections.pop("broker", {})}
        ingest = {"client_id": f"ingest-{uuid.uuid4().hex[:8]}", "batch_wait_ms": 20, **sections.pop("ingest", {})}
        return make_settings(database={"url": database["url"], **sections.pop("database", {})}, broker=broker,
                             ingest=ingest, **sections)

    copies: list[str] = []
    yield build
    for url in copies:
        database_templates.drop_postgres_database(url)


@pytest.fixture
def central_app(central_settings):
    """A migrated central app (no MQTT) with the demo organisation and users."""
    from station_admin import create_app
    from station_admin.core import models

    app = create_app(central_settings(template="seeded").as_dict())
    app.config["TESTING"] = True
    yield app
    models.db.close()


@pytest.fixture
def kiosk_settings(tmp_path, topic_root, database_templates):
    """Settings for a kiosk of station xh-xujiahui on a temporary SQLite file.

    `kiosk_settings(broker_url, migrated=True)`: a kiosk file that does not exist yet starts as a copy
    of the migrated kiosk template (then migrating it does nothing); one that exists is kept.
    """
    def build(broker_url: str = "mqtt://127.0.0.1:1", migrated: bool = False, **sections):
        kiosk = {"station_id": "xh-xujiahui", "database_path": str(tmp_path / "kiosk-{station}.db"),
                 "heartbeat_seconds": 1, "outbox_ack_timeout_s": 3, "confirm_timeout_s": 2,
                 **sections.pop("kiosk", {})}
        broker = {"url": broker_url, "topic_root": topic_root, "reconnect_min_s": 1, "reconnect_max_s": 2,
                  **sections.pop("broker", {})}
        settings = make_settings(kiosk=kiosk, broker=broker, **sections)
        if migrated:
            from kiosk.models import database_path

            if not os.path.exists(database_path(settings)):
                database_templates.restore_kiosk(database_path(settings))
        return settings
    return build


@pytest.fixture
def kiosk_app(kiosk_settings):
    """A migrated kiosk app (no MQTT)."""
    from kiosk import create_app, models

    app = create_app(kiosk_settings(migrated=True).as_dict())
    app.config["TESTING"] = True
    yield app
    models.db.close()


def csrf_of(client) -> str:
    """The anti-forgery token of a test client's session (set by the first page it loads)."""
    with client.session_transaction() as s:
        return s["csrf"]


class Stoppable:
    """Runs start/stop objects and stops them all at teardown, newest first."""

    def __init__(self):
        self.items = []
        self.lock = threading.Lock()

    def start(self, item):
        item.start()
        self.items.append(item)
        return item

    def stop_all(self):
        for item in reversed(self.items):
            try:
                item.stop()
            except Exception:  # noqa: BLE001 - teardown of something a test may have stopped already
                pass


@pytest.fixture
def running():
    """Start things (ingest workers, kiosk nodes, agents) that are stopped when the test ends."""
    stoppable = Stoppable()
    yield stoppable
    stoppable.stop_all()


# --- helpers the top-level tests share --------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


def waystation_env(**values) -> dict[str, str]:
    """This environment without any WAYSTATION_ setting of the caller, plus the given WAYSTATION_<KEY>s."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("WAYSTATION_") or k.startswith("WAYSTATION_TEST_")}
    env.update({f"WAYSTATION_{k.upper()}": str(v) for k, v in values.items()})
    env["PYTHONUNBUFFERED"] = "1"
    return env


def tail(log: Path | None, lines: int = 40) -> str:
    """The end of a process log, for a failure message."""
    if not log or not log.exists():
        return ""
    return "\n--- " + str(log) + " ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


class WaystationProcess:
    """`python -m waystation.cli COMMAND` as a real child process, which a test may SIGKILL and start again."""

    def __init__(self, command: str, env: dict[str, str], log: Path, args: tuple[str, ...] = ()):
        self.command = command
        self.args = args
        self.env = env
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> WaystationProcess:
        self.starts += 1
        with open(self.log, "a") as out:
            out.write(f"\n===== start {self.starts} =====\n")
            out.flush()
            self.proc = subprocess.Popen([sys.executable, "-m", "waystation.cli", self.command, *self.args], cwd=ROOT,
                                         env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no clean disconnect, no Last Will cancelled, nothing flushed."""
        assert self.alive(), f"{self.command} died before the test killed it{tail(self.log)}"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def kiosk_for(station: str, kiosk_settings, broker_url: str):
    """A migrated kiosk app for a station (the kiosk database is per process: one kiosk at a time)."""
    from kiosk import create_app

    settings = kiosk_settings(broker_url, migrated=True, kiosk={"station_id": station})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    return app, settings


def start_node(running, app, settings):
    """Start a KioskNode beside a kiosk app, wired as `waystation kiosk` wires them; stopped at the end."""
    from kiosk.node import KioskNode

    node = KioskNode(settings)
    app.extensions["waystation.outbox_wake"] = node.publisher.wake
    app.extensions["waystation.broker_connected"] = node.link.connected
    return running.start(node)


SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    """Today where the stations are (central's timezone in the tests' settings), not on this machine's clock:
    from 16:00 UTC on it is already tomorrow in Shanghai."""
    from devices.protocol import utcnow

    return utcnow().astimezone(SHANGHAI).date()


def care_moment() -> datetime:
    """Noon (local) of the next 20th: the default care day, in the cards' validity."""
    now = datetime.now(SHANGHAI)
    year, month = (now.year, now.month) if now.day <= 20 else (now.year + now.month // 12, now.month % 12 + 1)
    return datetime(year, month, 20, 12, 0, tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC"))


@pytest.fixture(scope="session")
def classroom_media(tmp_path_factory):
    """Tiny real media for the classroom, made once per worker with ffmpeg: a 2 s H.264 MP4, a 3 s one,
    an MPEG-4 Part 2 MP4 (not H.264), a VP9 WebM and a PNG and a JPEG poster."""
    from tests.media import make_poster, make_video, make_webm

    folder = tmp_path_factory.mktemp("media")
    return {"h264": make_video(folder / "lesson.mp4"), "h264_3s": make_video(folder / "lesson3.mp4", seconds=3),
            "mpeg4": make_video(folder / "mpeg4.mp4", codec="mpeg4"), "webm": make_webm(folder / "clip.webm"),
            "png": make_poster(folder / "poster", "png"), "jpeg": make_poster(folder / "poster", "jpg")}
