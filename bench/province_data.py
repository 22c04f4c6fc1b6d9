"""A province in the central database: N stations in 16 districts, 8 charger slots and 3 devices each.

Bulk SQL (multi-row INSERTs in one transaction), so 20,000 stations take seconds, not minutes, on
SQLite and PostgreSQL alike. Every device starts online with a fresh heartbeat, every slot
available, every station with a few people inside; an admin API token (`TOKEN`) reads the
dashboard and the API. Used by bench/province.py; on its own it builds a database to look at:

    python bench/province_data.py --stations 20000 --database-url sqlite:////tmp/province.db
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DISTRICTS = 16
SLOTS = 8
DEVICES = (("kiosk", "kiosk"), ("counter", "people_counter"), ("charger", "charger_controller"))
TOKEN = "province-bench-token-0123456789abcdef"
CHUNK = 500  # rows per INSERT: under SQLite's 32,766 bound parameters at the widest table


def station_code(i: int) -> str:
    """The code of the i-th station (its district is i % DISTRICTS)."""
    return f"p{i % DISTRICTS:02d}-{i:06d}"


def district_code(d: int) -> str:
    return f"pd{d:02d}"


def build(database_url: str, stations: int) -> dict:
    """Migrate a fresh database and fill it with a province; seconds taken and rows written."""
    from devices.protocol import utcnow
    from station_admin import migrations
    from station_admin.admin.staff import Scope, add_token
    from station_admin.core import models
    from station_admin.core.models import ChargerSlotState, DeviceState, District, Federation, Station, StationLive
    from waystation.db import migrate, open_database

    started = time.perf_counter()
    models.db.initialize(open_database(database_url))
    migrate(models.db, migrations.MIGRATIONS)
    now = utcnow()
    rows = 0
    with models.db.connection_context(), models.db.atomic():
        federation = Federation.create(code="province", name_zh="省总工会", name_en="Provincial Federation")
        District.insert_many([{"code": district_code(d), "federation": federation.id, "name_zh": f"第{d + 1}区",
                               "name_en": f"District {d + 1}"} for d in range(DISTRICTS)]).execute()
        district_ids = {d.code: d.id for d in District.select()}

        def insert(model, generate):
            nonlocal rows
            batch = []
            for row in generate():
                batch.append(row)
                if len(batch) == CHUNK:
                    model.insert_many(batch).execute()
                    rows += len(batch)
                    batch = []
            if batch:
                model.insert_many(batch).execute()
                rows += len(batch)

        codes = [station_code(i) for i in range(stations)]
        insert(Station, lambda: ({"code": code, "district": district_ids[district_code(i % DISTRICTS)],
                                  "name_zh": f"驿站{i}", "name_en": f"Station {i}", "address": f"路{i}号",
                                  "latitude": 30 + (i % 1000) / 1000, "longitude": 120 + (i // 1000) / 100,
                                  "capacity": 20, "charger_slots": SLOTS} for i, code in enumerate(codes)))
        insert(StationLive, lambda: ({"station_code": code, "people_inside": i % 7, "entered_today": i % 31,
                                      "occupancy_at": now, "received_at": now} for i, code in enumerate(codes)))
        insert(DeviceState, lambda: ({"station_code": code, "device": device, "kind": kind, "online": True,
                                      "changed_at": now, "heartbeat_at": now}
                                     for code in codes for device, kind in DEVICES))
        insert(ChargerSlotState, lambda: ({"station_code": code, "slot": slot, "status": "available",
                                           "reported_at": now, "received_at": now}
                                          for code in codes for slot in range(1, SLOTS + 1)))
        add_token("province-bench", "admin", Scope(), now, token=TOKEN)
    models.db.close()
    return {"stations": stations, "rows": rows, "build_s": round(time.perf_counter() - started, 2)}


def refresh_heartbeats(database_url: str) -> None:
    """Every device online with a heartbeat now (so a run starts healthy, however old the database)."""
    from devices.protocol import utcnow
    from station_admin.core import models
    from station_admin.core.models import DeviceState
    from waystation.db import open_database

    models.db.initialize(open_database(database_url))
    with models.db.connection_context(), models.db.atomic():
        now = utcnow()
        DeviceState.update(online=True, heartbeat_at=now, changed_at=now - timedelta(seconds=1)).execute()
    models.db.close()


def main(argv: list[str] | None = None) -> int:
    """Build a province database and print what was written as JSON."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stations", type=int, default=20_000)
    p.add_argument("--database-url", required=True, help="sqlite:///path (a new file) or postgresql://... (empty)")
    args = p.parse_args(argv)
    print(json.dumps(build(args.database_url, args.stations)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
