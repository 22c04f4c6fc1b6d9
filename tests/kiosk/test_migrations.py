"""The kiosk migrations, run from the first, give exactly the schema today's models declare."""

from __future__ import annotations

from kiosk import migrations, models
from tests.schemas import app_models, create_fresh, differences, read_schema
from waystation.db import migrate, open_database


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
