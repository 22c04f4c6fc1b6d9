"""Databases open from their URL with the right settings, and numbered migrations apply once, in place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import peewee
import pytest

from waystation.db import SchemaVersion, UTCDateTimeField, migrate, open_database


@pytest.mark.parametrize("stored, read", [
    ("2026-12-01 19:00:00.123456", datetime(2026, 12, 1, 19, 0, 0, 123456, tzinfo=UTC)),  # as db_value writes it
    ("2026-12-01 19:00:00", datetime(2026, 12, 1, 19, tzinfo=UTC)),
    ("2026-12-01T19:00:00+08:00", datetime(2026, 12, 1, 11, tzinfo=UTC)),  # an offset of its own is kept
    ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),  # a date alone: midnight UTC
    (datetime(2026, 12, 1, 19), datetime(2026, 12, 1, 19, tzinfo=UTC)),  # PostgreSQL's driver gives datetimes
    (None, None),
])
def test_times_read_back_as_utc_whatever_form_they_were_stored_in(stored, read):
    value = UTCDateTimeField().python_value(stored)
    assert value == read and (value is None or value.tzinfo == UTC)


def test_a_time_written_reads_back_the_same():
    field = UTCDateTimeField()
    moment = datetime(2026, 12, 1, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=8)))
    assert field.python_value(field.db_value(moment)) == moment


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
    from kiosk import migrations as kiosk_migrations
    from kiosk import models as kiosk_models
    from station_admin import migrations
    from station_admin.core import models as central_models

    central = open_database(central_db_url)
    central_models.db.initialize(central)
    numbers = [number for number, *_ in migrations.MIGRATIONS]
    assert numbers == sorted(set(numbers))
    assert migrate(central, migrations.MIGRATIONS) == numbers
    assert migrate(central, migrations.MIGRATIONS) == []
    kiosk = open_database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    with kiosk.bind_ctx(kiosk_models.MODELS):
        assert migrate(kiosk, kiosk_migrations.MIGRATIONS) == [n for n, *_ in kiosk_migrations.MIGRATIONS]
        assert set(kiosk.get_tables()) >= {"outboxevent", "checkin", "stationinfo", "chargerslot", "trustedkey",
                                           "revocation", "carepolicy", "voucherclaim", "scheduleitem"}


def test_a_station_database_of_the_first_version_upgrades_in_place(tmp_path):
    from kiosk import migrations as kiosk_migrations
    from kiosk import models as kiosk_models

    kiosk = open_database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    with kiosk.bind_ctx(kiosk_models.MODELS):
        assert migrate(kiosk, kiosk_migrations.MIGRATIONS[:1]) == [1]
        # As version 1 made it (the frozen migration 1: no join columns yet), with the station's row.
        with kiosk.connection_context():
            kiosk.execute_sql("INSERT INTO stationinfo (station_id, name_zh, name_en, district_zh, district_en, "
                              "capacity, charger_slots) VALUES ('xh-longhua', '', '', '', '', 12, 0)")
        assert migrate(kiosk, kiosk_migrations.MIGRATIONS) == [n for n, *_ in kiosk_migrations.MIGRATIONS[1:]]
        with kiosk.connection_context():
            info = kiosk_models.StationInfo.get()
            assert (info.station_id, info.capacity, info.join_key) == ("xh-longhua", 12, None)
            assert {"trustedkey", "revocation", "charge_start", "station_session", "announcement"} <= set(
                kiosk.get_tables())


def test_a_central_database_before_membership_upgrades_in_place(central_db_url):
    from station_admin import migrations
    from station_admin.core import models as central_models

    central = open_database(central_db_url)
    central_models.db.initialize(central)
    assert migrate(central, migrations.MIGRATIONS[:2]) == [1, 2]
    with central.connection_context():  # the frozen migrations 1-2: no members_need_approval yet
        central.execute_sql("INSERT INTO federation (code, name_zh, name_en) VALUES ('sh', '上海', 'Shanghai')")
    assert 5 in migrate(central, migrations.MIGRATIONS)
    with central.connection_context():
        assert central_models.Federation.get().members_need_approval is False


def test_a_central_database_before_the_community_features_upgrades_in_place(central_db_url):
    from station_admin import migrations
    from station_admin.core import models as central_models

    central = open_database(central_db_url)
    central_models.db.initialize(central)
    before = [m for m in migrations.MIGRATIONS if m[0] < 7]
    migrate(central, before)
    with central.connection_context():  # the frozen migrations 1-6: no directory columns on station yet
        federation = central_models.Federation.create(code="sh", name_zh="上海", name_en="Shanghai")
        district = central_models.District.create(code="xh", federation=federation, name_zh="徐汇", name_en="Xuhui")
        central.execute_sql("INSERT INTO station (code, district_id, name_zh, name_en, address, capacity, "
                            f"charger_slots) VALUES ('s1', {district.id}, '驿站', 'Station', '', 10, 2)")
    assert migrate(central, migrations.MIGRATIONS) == [m[0] for m in migrations.MIGRATIONS if m[0] >= 7]
    with central.connection_context():
        station = central_models.Station.get()
        assert (station.code, station.services, station.always_open, station.mobile) == ("s1", "", False, False)
        assert {"voucher", "voucher_policy", "scheduled_event", "opening_interval", "station_location"} <= set(
            central.get_tables())


def test_a_server_without_autovacuum_is_named_to_the_operator():
    from waystation.db import server_warnings

    assert len(off := server_warnings({"autovacuum": "off"})) == 1 and "autovacuum = on" in off[0]
    assert server_warnings({"autovacuum": "on"}) == []


def test_central_reads_the_servers_settings_and_warns_at_start(central_db_url, caplog):
    """On PostgreSQL the server's own autovacuum setting is read (whatever this machine's server says, the
    warning follows it); SQLite has no server to ask."""
    import logging

    from waystation.db import is_sqlite, postgresql_settings, server_warnings, warn_about_server

    database = open_database(central_db_url)
    with caplog.at_level(logging.WARNING, logger="waystation.db"):
        warnings = warn_about_server(database)
    if is_sqlite(database):
        assert warnings == []
        return
    with database.connection_context():
        settings = postgresql_settings(database)
        assert settings["autovacuum"] == database.execute_sql("SHOW autovacuum").fetchone()[0]
    assert warnings == server_warnings(settings)
    assert [r.getMessage() for r in caplog.records if r.name == "waystation.db"] == warnings


def _migrate_central_at(url: str, start, results) -> None:
    """A process starting as central and ingest do after an upgrade: open the database, wait for the others, migrate."""
    from station_admin import migrations
    from station_admin.core import models as central_models

    central = open_database(url)
    central_models.db.initialize(central)
    start.wait(30)
    try:
        results.put(("applied", migrate(central, migrations.MIGRATIONS)))
    except Exception as e:  # noqa: BLE001 - reported to the test, which names it
        results.put(("failed", f"{type(e).__name__}: {e}"))


def test_processes_migrating_one_database_at_once_apply_each_migration_once(central_db_url):
    """The shipped units start central and its ingest workers together at boot: after an upgrade each of them
    migrates the same database at the same moment. One applies each migration, the others wait and find it done."""
    import multiprocessing

    from station_admin import migrations

    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_migrate_central_at, args=(central_db_url, start, results)) for _ in range(3)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join(30)
    assert [kind for kind, _ in outcomes] == ["applied"] * 3, outcomes
    applied = sorted(number for _, numbers in outcomes for number in numbers)
    assert applied == sorted(number for number, *_ in migrations.MIGRATIONS)  # each once, by one of them
    db = open_database(central_db_url)
    with db.bind_ctx([SchemaVersion]), db.connection_context():
        assert SchemaVersion.select().count() == len(migrations.MIGRATIONS)
