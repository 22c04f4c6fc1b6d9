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

    # nothing applied twice: only the migrations made since apply
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


def test_migration_8_erases_what_confirmed_outbox_rows_said_about_riders(tmp_path):
    """Rows central confirmed before the upgrade keep only their non-personal fields; unconfirmed rows
    (still to be sent) keep everything."""
    import json
    from datetime import UTC, datetime

    database = open_database(f"sqlite:///{tmp_path / 'kiosk.db'}")
    migrate(database, [m for m in migrations.MIGRATIONS if m[0] < 8])
    at = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    request = {"service": "legal_aid", "tracking_code": "K7M2P9QX", "answers": {"matter": "wages"},
               "best_time": "evening", "district": "xuhui", "contact_sealed": "c2VhbGVk", "phone_last4": "5678"}
    rows = [("c-1", "checkin", {"method": "card", "member_no": "M1234567"}, at),
            ("r-1", "service_request", request, at),
            ("v-1", "voucher_claim", {"voucher_no": "V1234567", "member_no": "M1234567", "provisional": True}, at),
            ("v-2", "voucher_claim", {"voucher_no": "V7654321", "member_no": "M1234567"}, at),
            ("f-1", "feedback", {"categories": ["water"], "score": 4, "member_no": "M1234567"}, at),
            ("r-2", "service_request", request, None)]
    with database.connection_context():
        for event_id, kind, data, confirmed in rows:
            database.execute_sql(
                'INSERT INTO "outboxevent" ("event_id", "kind", "occurred_at", "data", "confirmed_at", "attempts") '
                "VALUES (?, ?, ?, ?, ?, 1)", (event_id, kind, at.isoformat(), json.dumps(data),
                                                confirmed.isoformat() if confirmed else None))
    assert migrate(database, migrations.MIGRATIONS) == [8]
    with database.connection_context():
        found = {e: json.loads(d) for e, d in database.execute_sql('SELECT "event_id", "data" FROM "outboxevent"')}
    assert found["c-1"] == {"method": "card"}
    assert found["r-1"] == {"service": "legal_aid"}
    assert found["v-1"] == {"provisional": True} and found["v-2"] == {}
    assert found["f-1"] == {"categories": ["water"], "score": 4}
    assert found["r-2"] == request
    # The same rule as the one the kiosk applies from now on, when a receipt arrives.
    assert {e: json.loads(models.erased(kind, json.dumps(data))) for e, kind, data, _ in rows[:5]} == \
        {e: found[e] for e, *_ in rows[:5]}
