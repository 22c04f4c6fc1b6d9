"""Fixtures that give real things: brokers on free ports, SQLite files, PostgreSQL schemas, running apps."""

from __future__ import annotations

import os
import secrets
import threading
import time
import uuid

import peewee
import pytest

from tests.brokers import MosquittoProcess, free_port
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


@pytest.fixture(scope="session")
def shared_mosquitto():
    """One Mosquitto for the tests that do not stop their broker (each uses its own topic root)."""
    broker = MosquittoProcess().start()
    yield broker
    broker.cleanup()


@pytest.fixture
def mosquitto(tmp_path):
    """A Mosquitto of this test's own, which it may stop, kill and start again."""
    broker = MosquittoProcess(workdir=tmp_path / "mosquitto").start()
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
        return make_settings(database={"url": database["url"]}, broker=broker, ingest=ingest, **sections)

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
