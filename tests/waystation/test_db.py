"""Databases open from their URL with the right settings, and numbered migrations apply once, in place."""

from __future__ import annotations

import peewee
import pytest

from waystation.db import SchemaVersion, migrate, open_database


def test_sqlite_opens_in_wal_with_foreign_keys(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'sub' / 'x.db'}", busy_timeout_ms=1234)
    with db.connection_context():
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 1234


@pytest.mark.parametrize("url", ["mysql://x/y", "sqlite:///", "nonsense"])
def test_unsupported_urls_are_refused_with_the_key(url):
    with pytest.raises(ValueError, match="database.url"):
        open_database(url)


def test_migrations_apply_once_and_in_order(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    seen = []

    def step(n):
        def up(database):
            seen.append(n)
            database.execute_sql(f"CREATE TABLE t{n} (id INTEGER PRIMARY KEY)")
        return up

    migrations = [(2, "second", step(2)), (1, "first", step(1))]
    assert migrate(db, migrations) == [1, 2]
    assert migrate(db, migrations) == []
    assert migrate(db, [*migrations, (3, "third", step(3))]) == [3]
    assert seen == [1, 2, 3]
    with db.bind_ctx([SchemaVersion]), db.connection_context():
        assert [v.name for v in SchemaVersion.select().order_by(SchemaVersion.number)] == ["first", "second", "third"]


def test_a_failing_migration_leaves_nothing_half_done(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'f.db'}")

    def broken(database):
        database.execute_sql("CREATE TABLE half (id INTEGER PRIMARY KEY)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        migrate(db, [(1, "broken", broken)])
    with db.connection_context():
        assert "half" not in db.get_tables()
    with db.bind_ctx([SchemaVersion]), db.connection_context(), pytest.raises(peewee.DoesNotExist):
        SchemaVersion.get()


def test_both_apps_migrate_on_both_backends(central_db_url, tmp_path):
    from kiosk import models as kiosk_models
    from station_admin import models as central_models

    central = open_database(central_db_url)
    with central.bind_ctx(central_models.MODELS):
        assert migrate(central, central_models.MIGRATIONS) == [1, 4]
        assert migrate(central, central_models.MIGRATIONS) == []
    kiosk = open_database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    with kiosk.bind_ctx(kiosk_models.MODELS):
        assert migrate(kiosk, kiosk_models.MIGRATIONS) == [1]
        assert set(kiosk.get_tables()) >= {"outboxevent", "checkin", "stationinfo", "chargerslot"}
