"""The dashboard's and the API's cost per request at a province, in one process with no other traffic.

Builds a province database (bench/province_data.py: 20,000 stations by default), then asks the
central app (Flask's test client, no network) for each kind of request `--rounds` times and prints,
per kind, the median and p99 of the wall time and of the CPU time the request took in this
process. CPU time does not grow when other programs load the machine, so it is the figure to size
web processes by (requests per second per core ≈ 1000 / cpu_median_ms). Fragment sharing
(`central.page_share_seconds`) is off, so every request renders its page, with the station cards
that did not change since the request before reused (live.cards: nothing changes here, so every
card is; `fragment_cards_drawn` renders every card, as if all fifty had changed); the per-district figures
are shared as configured (`central.summary_seconds`, 5 s) and `summary` times their computation
alone (once per 5 s per scope and process); `fragment_shared` turns fragment sharing back on.

    python bench/dashboard.py                       # 20,000 stations, SQLite
    python bench/dashboard.py --stations 2000 --rounds 20
    python bench/dashboard.py --open-alarms 60000    # every device offline: the page's and the strip's cost
    python bench/dashboard.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import province_data  # noqa: E402
from bench.ingest import Database  # noqa: E402

KINDS = {
    "page": ("/", False),
    "fragment": ("/dashboard/stations", True),
    "fragment_cards_drawn": ("/dashboard/stations", True),  # no card kept: every card rendered (live.cards)
    "fragment_page_200": ("/dashboard/stations?page=200", True),
    "fragment_search": ("/dashboard/stations?q=驿站1999&sort=name", True),
    "fragment_online_by_free": ("/dashboard/stations?online=yes&sort=-free", True),
    "fragment_room_by_occupancy": ("/dashboard/stations?occupancy=room&sort=-occupancy", True),
    "api": ("/api/v1/stations", False),
    "api_filtered": ("/api/v1/stations?online=yes&sort=-free", False),
    "alarm_strip": ("/alarms/strip", True),
    "map": ("/map/", False),  # every station a dot, one path per state (community.stationmap)
    "map_district": ("/map/?district=pd03", False),  # one district's 1,250 stations, a circle and a title each
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(round(p / 100 * len(ordered) + 0.5)) - 1, len(ordered) - 1)]


def measure(client, url: str, headers: dict, rounds: int, drop_cards: bool = False) -> dict:
    """Wall and CPU milliseconds of `rounds` requests (after one to warm up); with `drop_cards`, no station
    card is kept from the request before (as if every card on the page had changed)."""
    assert client.get(url, headers=headers).status_code == 200, url
    walls, cpus = [], []
    for _ in range(rounds):
        if drop_cards:
            client.application.extensions["waystation.cards"].clear()
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers)
        cpus.append((time.process_time() - cpu) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return {"wall_median_ms": round(statistics.median(walls), 1), "wall_p99_ms": round(percentile(walls, 99), 1),
            "cpu_median_ms": round(statistics.median(cpus), 1), "cpu_p99_ms": round(percentile(cpus, 99), 1),
            "bytes": len(response.get_data())}


def summary_cost(app, rounds: int) -> dict:
    """Wall and CPU milliseconds of computing the admin's per-district figures."""
    from devices.protocol import utcnow
    from station_admin.core.models import StaffUser, db
    from station_admin.live import board, summary
    from waystation.web import current_settings

    walls, cpus = [], []
    with app.test_request_context("/"), db.connection_context():
        admin = StaffUser.get(StaffUser.role == "admin")
        for _ in range(rounds):
            wall, cpu = time.perf_counter(), time.process_time()
            summary.compute(admin, board.figures_for(utcnow(), current_settings(), "zh"), utcnow())
            cpus.append((time.process_time() - cpu) * 1000)
            walls.append((time.perf_counter() - wall) * 1000)
    return {"wall_median_ms": round(statistics.median(walls), 1), "cpu_median_ms": round(statistics.median(cpus), 1)}


def open_alarms(url: str, stations: int, count: int) -> None:
    """`count` open device-offline alarms, one per device, station after station (an outage's storm)."""
    from devices.protocol import utcnow
    from station_admin.core import models
    from station_admin.live.alarms import Alarm
    from waystation.db import open_database

    now = utcnow()
    devices = [(province_data.station_code(i), device) for i in range(stations) for device, _ in province_data.DEVICES]
    rows = [{"kind": "device_offline", "source": f"{code}/{device}", "station_code": code, "severity": "critical",
             "raised_at": now, "details": "{}", "open_key": f"device_offline|{code}/{device}"}
            for code, device in devices[:count]]
    models.db.initialize(open_database(url))
    with models.db.connection_context(), models.db.atomic():
        for start in range(0, len(rows), 500):
            Alarm.insert_many(rows[start:start + 500]).execute()
    models.db.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stations", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--database-url", help="a PostgreSQL URL (a fresh schema, dropped after); default SQLite")
    p.add_argument("--open-alarms", type=int, default=0,
                   help="open device-offline alarms to add first (3 a station at most: 60,000 is every device)")
    args = p.parse_args(argv)
    from station_admin import create_app
    from station_admin.core import models
    from tests.conftest import make_settings

    result: dict = {"stations": args.stations, "rounds": args.rounds, "open_alarms": args.open_alarms,
                    "backend": "postgresql" if args.database_url else "sqlite"}
    with tempfile.TemporaryDirectory(prefix="dashboard-") as tmp:
        database = Database(args.database_url, Path(tmp))
        try:
            url = database.fresh_url()
            result["build_s"] = province_data.build(url, args.stations)["build_s"]
            province_data.refresh_heartbeats(url)
            if args.open_alarms:
                open_alarms(url, args.stations, args.open_alarms)
            token = {"Authorization": f"Bearer {province_data.TOKEN}"}
            for shared in (False, True):
                central = {"page_share_seconds": 1.0 if shared else 0}
                app = create_app(make_settings(database={"url": url}, central=central).as_dict())
                client = app.test_client()
                kinds = {"fragment_shared": KINDS["fragment"]} if shared else KINDS
                for kind, (path, fragment) in kinds.items():
                    headers = {**token, **({"HX-Request": "true"} if fragment else {})}
                    result[kind] = measure(client, path, headers, args.rounds, drop_cards=kind.endswith("_drawn"))
                    print(f"[bench/dashboard] {kind}: {json.dumps(result[kind])}", file=sys.stderr, flush=True)
                if not shared:
                    result["summary"] = summary_cost(app, args.rounds // 4 or 1)
                models.db.close()
        finally:
            if not models.db.is_closed():
                models.db.close()
            database.cleanup()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
