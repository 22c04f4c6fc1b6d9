"""Migration 0023 (station board): indexes for the dashboard's and the API's pages of stations.

- `station (district_id, code)`: the default order (district, code) walks it, a page at a time.
- `station (name_zh)`, `station (name_en)`: the order by name.
- `chargerslotstate (station_code, status, slot)`: a station's free, charging and faulted slots counted from
  the index alone.
- `alarm (station_code, open_key)`: a station's open alarms without reading its cleared history.

Frozen once released: the SQL below was written from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

INDEXES = """
CREATE INDEX "station_district_id_code" ON "station" ("district_id", "code");
CREATE INDEX "station_name_zh" ON "station" ("name_zh");
CREATE INDEX "station_name_en" ON "station" ("name_en");
CREATE INDEX "chargerslotstate_station_code_status_slot" ON "chargerslotstate" ("station_code", "status", "slot");
CREATE INDEX "alarm_station_code_open_key" ON "alarm" ("station_code", "open_key");
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, INDEXES, INDEXES)


MIGRATION = (23, "station_board", up)
