"""The central migrations, run from the first, give exactly the schema today's models declare, on both
backends; a database made by the last version before the migrations were frozen upgrades in place."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import peewee
import pytest

from station_admin import migrations
from station_admin.community.careday import Voucher
from station_admin.core import models
from station_admin.members.models import Member
from station_admin.requests.workdays import WorkdayCalendar
from station_admin.rollups.hourly import CheckInHourly, checkin_total, hour_number
from tests.schemas import app_models, differences, fresh_schema, load_dump, read_schema
from waystation.db import SchemaVersion, is_sqlite, migrate, open_database


def central_models():
    """Every model of the central app."""
    return app_models("station_admin", models.BaseModel)


def test_migrating_from_the_first_gives_the_schema_of_the_models(central_db_url, tmp_path):
    migrated = open_database(central_db_url)
    models.db.initialize(migrated)
    assert migrate(migrated, migrations.MIGRATIONS) == [n for n, *_ in migrations.MIGRATIONS]
    migrated_schema = read_schema(migrated)
    migrated.close()
    fresh = fresh_schema(central_db_url, tmp_path, central_models())

    assert differences(migrated_schema, fresh) == []
    assert len(fresh) == len(central_models()) > 30
    # What the comparison sees, so it cannot pass by reading nothing.
    assert fresh["voucher"]["indexes"]["voucher_one_per_member_month"][1:] == (True, "c", "status='confirmed'")
    assert fresh["checkin"]["indexes"]["checkin_occurred_at_id"][0] == ("occurred_at", "id")
    assert fresh["station"]["columns"]["mobile"][1] is False  # not nullable
    assert fresh["district"]["foreign_keys"]
    assert fresh["checkin_weekly"]["without_rowid"] is is_sqlite(migrated)


def test_a_database_made_before_the_migrations_were_frozen_upgrades_in_place(central_db_url, tmp_path):
    # Made by the code of commit 921b0a7 (tests/data/README.md): migrations 1-10 applied, the demo
    # organisation and members, seven check-ins in every rollup, a confirmed voucher.
    database = open_database(central_db_url)
    models.db.initialize(database)
    load_dump(database, f"central-921b0a7.{'sqlite' if is_sqlite(database) else 'postgresql'}.sql")
    with database.bind_ctx([SchemaVersion]), database.connection_context():
        applied = {v.number: v.applied_at for v in SchemaVersion.select()}
    assert sorted(applied) == list(range(1, 11))

    # nothing applied twice: only the migrations made since apply
    assert migrate(database, migrations.MIGRATIONS) == [n for n, *_ in migrations.MIGRATIONS if n > 10]
    number = max(n for n, *_ in migrations.MIGRATIONS) + 1
    later = (number, "later", lambda db: db.execute_sql("CREATE TABLE later_step (id INTEGER PRIMARY KEY)"))
    assert migrate(database, [*migrations.MIGRATIONS, later]) == [number]  # and the next one applies on top
    with database.bind_ctx([SchemaVersion]), database.connection_context():
        assert {v.number: v.applied_at for v in SchemaVersion.select() if v.number <= 10} == applied
        database.execute_sql("DROP TABLE later_step")
    assert differences(read_schema(database), fresh_schema(central_db_url, tmp_path, central_models())) == []

    with database.connection_context():
        assert [s.code for s in models.Station.select().order_by(models.Station.code)] == [
            "xh-caohejing", "xh-longhua", "xh-xujiahui"]
        assert models.Station.get(models.Station.code == "xh-xujiahui").always_open is True
        assert models.StaffUser.get(models.StaffUser.username == "admin").check_password("admin-demo")
        assert Member.select().count() == 3
        assert Voucher.get(Voucher.voucher_no == "V000000001").status == "confirmed"
        with database.atomic(), pytest.raises(peewee.IntegrityError):  # still one a month
            Voucher.create(voucher_no="V000000002", claim_event_id="new-claim", member_no="M000000001",
                           station_code="xh-caohejing", month="202603", claimed_at=datetime.now(UTC),
                           status="confirmed", decided_at=datetime.now(UTC))
        assert models.CheckIn.select().count() == 7
        assert sum(r.n for r in CheckInHourly.select()) == 7
        first = hour_number(datetime(2026, 3, 1, tzinfo=UTC))
        codes = ["xh-xujiahui", "xh-caohejing"]
        assert checkin_total(codes, first, first + 24 * 14) == 7  # read across hour, day and week rollups
        assert WorkdayCalendar.load().known_years >= {2026}
    database.close()


@pytest.mark.parametrize("central_db_url", ["sqlite"], indirect=True)
def test_requests_filed_before_public_ids_get_one_each(central_db_url):
    # Migration 21 gives every existing request a public id of its own (Open311 names requests by it).
    database = open_database(central_db_url)
    migrate(database, [m for m in migrations.MIGRATIONS if m[0] < 21])
    with database.connection_context():
        info = database.execute_sql('PRAGMA table_info("service_request")').fetchall()
        columns = [(name, kind) for _, name, kind, notnull, default, pk in info
                   if notnull and default is None and not pk]
        for n in range(3):
            values = [f"X{n}" if "CHAR" in kind or "TEXT" in kind else
                      ("2026-03-02 10:00:00" if "DATETIME" in kind else 0) for _, kind in columns]
            database.execute_sql(f'INSERT INTO "service_request" ({", ".join(f"{c!r}" for c, _ in columns)}) '
                                 f'VALUES ({", ".join("?" * len(values))})', values)
    assert migrate(database, migrations.MIGRATIONS) == [n for n, *_ in migrations.MIGRATIONS if n >= 21]
    with database.connection_context():
        rows = database.execute_sql('SELECT "tracking_code", "public_id" FROM "service_request"').fetchall()
    database.close()
    assert len({public for _, public in rows}) == 3
    assert all(re.fullmatch(r"R[0-9A-F]{12}", public) and public != code for code, public in rows)
