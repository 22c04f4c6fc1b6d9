"""The retained-state publishers at a province's size: what a cycle costs when nothing changed, and a reading.

On a `bench/province_data.py` database, for each publisher central runs (station configurations,
voucher policies and schedules, open surveys, classroom manifests), in one run:

- `read_ms`: one full reading of what its messages are made of (`pending()`): what every cycle cost
  before the publishers watched their tables' change counts, and what a cycle costs now when one changed;
- `still_cycle_ms`: the median of `publish_changes()` cycles with nothing changed (the change counts
  and the local date read, nothing else);
- `changed_cycle_ms`: a cycle after one station's capacity changed (read, compare, send the changed ones);
- `cpu_pct_before` / `cpu_pct_now`: those costs at the shipped intervals, as a share of one core.

The last line printed is one JSON object.

    python bench/publishers.py --stations 20000
    python bench/publishers.py --stations 20000 --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import province_data  # noqa: E402
from bench.ingest import Database  # noqa: E402

SECRETS = {"secret_key": "publishers-bench-secret-key-0123456789abcdef",
           "data_key": "publishers-bench-data-key-0123456789abcdef",
           "public_url": "https://central.example"}


class CountingLink:
    """What a publisher needs of central's MQTT link; counts what it would have sent."""

    def __init__(self):
        self.connected = threading.Event()
        self.connected.set()
        self.sent = 0

    def on_connect(self, callback) -> None:
        pass

    def publish(self, message) -> None:
        self.sent += 1


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def measure(db_url: str, cycles: int) -> dict:
    from station_admin.core import models
    from station_admin.core.models import Station
    from station_admin.core.protect import DataProtector
    from station_admin.node import publishers
    from waystation.db import open_database
    from waystation.settings import load_settings

    settings = load_settings(env={}, overrides={"central": SECRETS, "database": {"url": db_url}})
    protector = DataProtector(settings.secret("central.data_key"))
    models.db.initialize(open_database(db_url))
    cases = [(publishers.StationConfigPublisher, (protector, settings.central.public_url,
                                                   settings.central.config_publish_seconds)),
             (publishers.CommunityPublisher, (settings,)),
             (publishers.SurveyPublisher, (settings,)),
             (publishers.ClassroomPublisher, (settings, protector))]
    out = {}
    for cls, args in cases:
        link = CountingLink()
        publisher = cls(link, *args)
        first = timed(publisher.publish_changes)
        with models.db.connection_context():
            read = min(timed(lambda p=publisher: list(p.pending())) for _ in range(3))
        still = statistics.median(timed(publisher.publish_changes) for _ in range(cycles))
        with models.db.connection_context():
            station = Station.select().order_by(Station.code).first()
            Station.update(capacity=station.capacity + 1).where(Station.id == station.id).execute()
        sent = link.sent
        changed = timed(publisher.publish_changes)
        interval_ms = publisher.interval_s * 1000
        out[publisher.name] = {
            "interval_s": publisher.interval_s, "first_cycle_ms": round(first, 1), "messages": sent,
            "read_ms": round(read, 1), "still_cycle_ms": round(still, 2), "changed_cycle_ms": round(changed, 1),
            "sent_after_one_change": link.sent - sent,
            "cpu_pct_before": round(100 * read / interval_ms, 2), "cpu_pct_now": round(100 * still / interval_ms, 3)}
    models.db.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stations", type=int, default=20_000)
    p.add_argument("--cycles", type=int, default=50, help="still cycles timed per publisher")
    p.add_argument("--database-url", help="a PostgreSQL URL (a fresh schema, dropped after); default SQLite")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="publishers-") as tmp:
        database = Database(args.database_url, Path(tmp))
        try:
            db_url = database.fresh_url()
            built = province_data.build(db_url, args.stations)
            found = measure(db_url, args.cycles)
        finally:
            database.cleanup()
    result = {"stations": args.stations, "backend": database.backend, "database": database.version(),
              "build_s": built["build_s"], "publishers": found,
              "cpu_pct_before": round(sum(p["cpu_pct_before"] for p in found.values()), 2),
              "cpu_pct_now": round(sum(p["cpu_pct_now"] for p in found.values()), 3)}
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
