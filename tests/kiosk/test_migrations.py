"""The kiosk migrations, run from the first, give exactly the schema today's models declare."""

from __future__ import annotations

from kiosk import migrations, models
from tests.schemas import app_models, create_fresh, differences, load_dump, read_schema
from waystation.db import SchemaVersion, migrate, open_database


def test_migrating_from_the_first_gives_the_schema_of_the_models(tmp_path):
    kiosk_models = app_models("kiosk", models.BaseModel)
    migrated = open_database(f"sqlite:///{tmp_path / 'migrated.db'}")
    assert migrate(migrated, migrations.MIGRATIONS) == [n for n, *_ in migrations.MIGRATIONS]
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    create_fresh(fresh, kiosk_models)

    migrated_schema, fresh_schema = read_schema(migrated), read_schema(fresh)
    assert differences(migrated_schema, fresh_schema) == []
    assert len(fresh_schema) == len(kiosk_models) >= 12
    assert fresh_schema["stationinfo"]["columns"]["districts"] == ("TEXT", False, False)
    assert fresh_schema["stationinfo"]["columns"]["station_id"] == ("VARCHAR(255)", False, True)


def test_a_station_database_made_before_the_migrations_were_frozen_upgrades_in_place(tmp_path):
    # Made by the code of commit 921b0a7 (tests/data/README.md): migrations 1-5 applied, the station's
    # row with its join address, a check-in whose event still waits in the outbox.
    database = open_database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    load_dump(database, "kiosk-921b0a7.sqlite.sql")
    with database.bind_ctx([SchemaVersion]), database.connection_context():
        applied = {v.number: v.applied_at for v in SchemaVersion.select()}
    assert sorted(applied) == [1, 2, 3, 4, 5]

    # nothing applied twice: only the migrations made since apply (6, surveys)
    assert migrate(database, migrations.MIGRATIONS) == [n for n, *_ in migrations.MIGRATIONS if n > 5]
    with database.bind_ctx([SchemaVersion]), database.connection_context():
        assert {v.number: v.applied_at for v in SchemaVersion.select() if v.number <= 5} == applied
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    create_fresh(fresh, app_models("kiosk", models.BaseModel))
    assert differences(read_schema(database), read_schema(fresh)) == []

    with database.bind_ctx(app_models("kiosk", models.BaseModel)), database.connection_context():
        info = models.StationInfo.get()
        assert (info.station_id, info.capacity, info.join_url) == ("xh-longhua", 12,
                                                                   "https://example.org/m/join/xh-longhua")
        assert [e.event_id for e in models.OutboxEvent.unsent(10)] == ["old-outbox-1"]
        assert models.CheckIn.get().event_id == "old-outbox-1"
