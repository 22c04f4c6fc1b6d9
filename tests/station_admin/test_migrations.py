"""The central migrations, run from the first, give exactly the schema today's models declare, on both backends."""

from __future__ import annotations

from station_admin import migrations
from station_admin.core import models
from tests.schemas import app_models, create_fresh, differences, read_schema
from waystation.db import migrate, open_database


def central_models():
    """Every model of the central app."""
    return app_models("station_admin", models.BaseModel)


def test_migrating_from_the_first_gives_the_schema_of_the_models(central_db_url, tmp_path):
    migrated = open_database(central_db_url)
    models.db.initialize(migrated)
    assert migrate(migrated, migrations.MIGRATIONS) == [n for n, *_ in migrations.MIGRATIONS]
    migrated_schema = read_schema(migrated)
    migrated.close()

    # A second database of the same backend: a SQLite file beside it, or the same PostgreSQL schema emptied.
    if central_db_url.startswith("sqlite"):
        fresh = open_database(f"sqlite:///{tmp_path / 'fresh.db'}")
    else:
        fresh = open_database(central_db_url)
        with fresh.connection_context():
            for (table,) in fresh.execute_sql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"):
                fresh.execute_sql(f'DROP TABLE IF EXISTS "{table}" CASCADE')
    create_fresh(fresh, central_models())
    fresh_schema = read_schema(fresh)
    fresh.close()

    assert differences(migrated_schema, fresh_schema) == []
    assert len(fresh_schema) == len(central_models()) > 30
    # What the comparison sees, so it cannot pass by reading nothing.
    assert "voucher_one_per_member_month" in fresh_schema["voucher"]["indexes"]
    assert fresh_schema["voucher"]["indexes"]["voucher_one_per_member_month"][3] == "status='confirmed'"
    assert fresh_schema["checkin"]["indexes"]["checkin_occurred_at_id"][0] == ("occurred_at", "id")
    assert fresh_schema["station"]["columns"]["mobile"][1] is False  # not nullable
    assert fresh_schema["district"]["foreign_keys"]
