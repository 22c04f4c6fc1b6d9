"""Backups that restore: central backed up while ingest stores a stream of events (real Mosquitto),
restored elsewhere and compared table by table, on SQLite and PostgreSQL; a damaged backup refused."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playhouse.db_url import connect

from station_admin.core import models
from station_admin.node.ingest import IngestWorker
from station_admin.rollups.hourly import CheckInHourly
from tests.conftest import POSTGRES_URL, wait_until
from tests.test_failures import STATION, EventStream, assert_exactly_once, use_central_db
from waystation.backup import backup_database, restore_database
from waystation.db import open_database


def table_rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table of a database, in a canonical order (bytes as bytes)."""
    database = open_database(url)
    try:
        found = {}
        for table in database.get_tables():
            rows = database.execute_sql(f'SELECT * FROM "{table}"').fetchall()
            found[table] = sorted((tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows),
                                  key=repr)
        return found
    finally:
        database.close()


class Elsewhere:
    """Empty databases of the same kind as a test's central database, to restore into (PostgreSQL ones dropped)."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.made: list[str] = []

    def new(self, like: str) -> str:
        if like.startswith("sqlite"):
            return f"sqlite:///{self.tmp_path / f'elsewhere-{uuid.uuid4().hex[:6]}' / 'central.db'}"
        name = f"restored_{uuid.uuid4().hex[:10]}"
        admin = connect(POSTGRES_URL)
        admin.execute_sql(f'CREATE DATABASE "{name}"')
        admin.close()
        self.made.append(name)
        return POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"

    def drop(self) -> None:
        for name in self.made:
            admin = connect(POSTGRES_URL)
            admin.execute_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            admin.execute_sql(f'DROP DATABASE IF EXISTS "{name}"')
            admin.close()


@pytest.fixture
def elsewhere(tmp_path):
    places = Elsewhere(tmp_path)
    yield places
    places.drop()


def stored_checkins() -> int:
    with models.db.connection_context():
        return models.CheckIn.select().where(models.CheckIn.station_code == STATION).count()


def test_backup_under_ingest_load_restores_to_identical_tables(shared_mosquitto, running, central_settings,
                                                              topic_root, tmp_path, elsewhere):
    settings = central_settings(shared_mosquitto.url, template="seeded")
    url = settings.database.url
    use_central_db(url)
    before_load = table_rows(url)
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    stream = EventStream(shared_mosquitto.port, topic_root, count=2500, per_second=250).start()
    wait_until(lambda: stored_checkins() > 300, timeout=60, interval=0.05, message="ingest storing the stream")

    during = backup_database(url, tmp_path / "backups", "central")  # while events arrive and commit
    assert stream.publishing, "the stream ended before the backup: it was not taken under load"
    sent = stream.finish(timeout=60)
    assert_exactly_once(sent, shared_mosquitto.port, topic_root)
    after_load = table_rows(url)

    restored_url = elsewhere.new(url)
    restore_database(during.path, restored_url)
    restored = table_rows(restored_url)
    assert set(restored) == set(after_load)
    changed = {t for t in after_load if after_load[t] != before_load.get(t)}
    assert "checkin" in changed and changed <= {"checkin", "stationevent", "checkin_hourly", "checkin_daily",
                                                 "checkin_weekly", "stationlive", "unknown_station", "schema_version"}
    for table in set(after_load) - changed:  # what ingest did not touch: identical
        assert restored[table] == after_load[table], table
    for table in ("checkin", "stationevent"):  # stored once, never changed: the backup holds a prefix of them
        assert set(restored[table]) <= set(after_load[table]), table
    in_backup = len(restored["checkin"]) - len(before_load["checkin"])
    assert 0 < in_backup < len(sent), "the backup holds neither none nor all of the stream"
    # A snapshot between commits: every check-in in it is in its rollups, once (no half batch).
    database = open_database(restored_url)
    with database.bind_ctx([models.CheckIn, CheckInHourly]), database.connection_context():
        assert (sum(r.n for r in CheckInHourly.select().where(CheckInHourly.station_code == STATION))
                == models.CheckIn.select().where(models.CheckIn.station_code == STATION).count())
    database.close()

    # Ingest still running, the stream over: a backup now restores to exactly the same tables.
    after = backup_database(url, tmp_path / "backups", "central")
    second = elsewhere.new(url)
    restore_database(after.path, second)
    assert table_rows(second) == table_rows(url)
    database = open_database(second)
    with database.bind_ctx([models.CheckIn]), database.connection_context():
        assert {c.event_id for c in models.CheckIn.select().where(models.CheckIn.station_code == STATION)} == set(sent)
    database.close()

