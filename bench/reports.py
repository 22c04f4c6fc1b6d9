"""Report speed at scale: server time of each report page, and the heat-map query alone, over N check-ins.

Seeds `--rows` check-ins (default 10 million) of realistic history (`station_admin.demo.history`, the
same code as `waystation seed`) with their hourly, day and week rollups into a temporary SQLite database, then signs
in through the Flask test client and times each report page server-side (request in, full response
body out; medians of `--repeat` runs after one warm-up). The heat-map query is timed alone over all
stations and the whole history, its worst case. Progress goes to stderr; the last stdout line is one
JSON object with `rows`, `slowest_report_ms`, `heatmap_ms` and each page's median.

    python bench/reports.py --rows 1000000
    python bench/reports.py                   # 10 million rows; seeding takes a few minutes
    python bench/reports.py --database /tmp/reports.db --keep   # reuse a seeded file on the next run
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from station_admin import create_app, migrations
from station_admin.core import models
from station_admin.demo.history import ensure_stations, seed_history  # noqa: E402
from station_admin.demo.seed import seed_demo  # noqa: E402
from station_admin.rollups.hourly import CheckInHourly, checkin_per_week_hour, local_day_hours, utc_offset_hours  # noqa: E402
from station_admin.rollups.periodic import CheckInDaily, CheckInWeekly  # noqa: E402
from waystation.db import migrate  # noqa: E402

TIMEZONE = "Asia/Shanghai"
DAYS = 365
TARGET_PAGE_MS = 300
TARGET_HEATMAP_MS = 100


def progress(message: str) -> None:
    """A progress line on stderr, so stdout ends with the JSON result alone."""
    print(f"[bench/reports] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=10_000_000, help="check-ins to seed (default 10,000,000)")
    p.add_argument("--stations", type=int, help="stations (default: rows / 50,000, between 3 and 500)")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per page; the median is reported (default 5)")
    p.add_argument("--database", help="SQLite file to use; seeded only if it has no check-ins yet")
    p.add_argument("--keep", action="store_true", help="keep the database file afterwards")
    args = p.parse_args(argv)
    if args.rows < 1 or args.repeat < 1:
        p.error("--rows and --repeat must be at least 1")
    args.stations = args.stations or max(3, min(500, args.rows // 50_000))
    return args


def seed(rows: int, station_count: int) -> int:
    """Seed about `rows` check-ins over a year ending today; the number actually stored."""
    if models.CheckIn.select().limit(1).exists():
        found = models.CheckIn.select().count()
        progress(f"database already holds {found:,} check-ins: not seeding")
        return found
    rng = random.Random(42)
    stations = ensure_stations(station_count, rng)
    # Lognormal station sizes average exp(0.45^2 / 2); season and weekdays roughly cancel out.
    per_day = rows / (station_count * DAYS) / 1.106
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    started, last = time.monotonic(), [0.0]

    def report(done: int, total: int) -> None:
        if time.monotonic() - last[0] > 5:
            last[0] = time.monotonic()
            rate = done / (last[0] - started)
            progress(f"seeded {done:,} of ~{total:,} check-ins ({rate:,.0f}/s)")

    stored = seed_history(stations, DAYS, per_day, today, utc_offset_hours(TIMEZONE), rng, report)
    progress(f"seeded {stored:,} check-ins at {station_count} stations in {time.monotonic() - started:.0f} s")
    models.db.execute_sql("ANALYZE")
    return stored


def time_page(client, url: str, repeat: int) -> tuple[float, int]:
    """Median milliseconds to answer a URL (status must be 200), and the body size."""
    response = client.get(url)  # warm-up: templates compiled, pages cached
    assert response.status_code == 200, f"{url}: {response.status_code}"
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(body)


def time_call(fn, repeat: int) -> float:
    """Median milliseconds of a call, after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(args) -> dict:
    """Seed, then time every report page and the heat-map query."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    path = Path(args.database) if args.database else workdir / "central.db"
    settings = {"database": {"url": f"sqlite:///{path}"}, "central": {"secret_key": "b" * 32, "data_key": "d" * 32},
                "reports": {"export_dir": str(workdir / "exports")}}
    app = create_app(settings)
    migrate(models.db, migrations.MIGRATIONS)
    seed_demo()
    try:
        with models.db.connection_context():
            rows = seed(args.rows, args.stations)
            first_day = models.CheckIn.select(models.CheckIn.occurred_at).order_by(models.CheckIn.occurred_at).first()
            first = first_day.occurred_at.astimezone(ZoneInfo(TIMEZONE)).date()
            codes = [s.code for s in models.Station.select()]
            today = datetime.now(ZoneInfo(TIMEZONE)).date()
            offset = utc_offset_hours(TIMEZONE)
            hours = local_day_hours(first, today, offset)
            # What the heat-map page asks by default (the last `reports.default_days` days, every station),
            # and the worst case: every station over the whole history.
            recent = local_day_hours(today - timedelta(days=29), today, offset)
            heatmap_ms = time_call(lambda: checkin_per_week_hour(codes, *recent, offset), args.repeat)
            heatmap_all_ms = time_call(lambda: checkin_per_week_hour(codes, *hours, offset), args.repeat)
            progress(f"heat-map query, {len(codes)} stations: 30 days {heatmap_ms:.1f} ms, "
                     f"{(today - first).days + 1} days {heatmap_all_ms:.1f} ms")
            rollup_rows = CheckInHourly.select().count()
            day_rollup_rows = CheckInDaily.select().count()
            week_rollup_rows = CheckInWeekly.select().count()
            station = models.Station.select().order_by(models.Station.id).first().code
            deep = models.CheckIn.select().order_by(models.CheckIn.occurred_at).offset(rows // 2).first()
        client = app.test_client()
        client.get("/auth/login")
        with client.session_transaction() as s:
            token = s["csrf"]
        client.post("/auth/login", data={"username": "admin", "password": "admin-demo", "csrf_token": token})
        year = f"from={first}&to={today}"
        from station_admin.reports.usage import encode_cursor

        cursor = encode_cursor(deep.occurred_at, deep.id)
        pages = {
            "daily_30d_by_district": "/reports/",
            "daily_30d_by_station_one_district": "/reports/?district=xuhui&by=station",
            "daily_year_by_district": f"/reports/?{year}",
            "heatmap_30d_all": "/reports/heatmap",
            "heatmap_year_all": f"/reports/heatmap?{year}",
            "heatmap_year_station": f"/reports/heatmap?{year}&station={station}",
            "usage_first_page_all": f"/reports/usage?{year}",
            "usage_middle_page_all": f"/reports/usage?{year}&before={cursor}",
            "usage_first_page_station": f"/reports/usage?{year}&station={station}",
            "usage_middle_page_station": f"/reports/usage?{year}&station={station}&before={cursor}",
            "export_daily_csv_year": f"/reports/export?report=daily&{year}",
        }
        results = {}
        for name, url in pages.items():
            ms, size = time_page(client, url, args.repeat)
            results[name] = round(ms, 1)
            progress(f"{name}: {ms:.1f} ms ({size:,} bytes)")
        slowest = max(results, key=results.get)
        return {
            "bench": "reports", "rows": rows, "stations": len(codes), "rollup_rows": rollup_rows,
            "day_rollup_rows": day_rollup_rows, "week_rollup_rows": week_rollup_rows,
            "slowest_report_ms": results[slowest], "slowest_report": slowest,
            "heatmap_ms": round(heatmap_ms, 1), "heatmap_all_history_ms": round(heatmap_all_ms, 1),
            "pages_ms": results,
            "target_page_ms": TARGET_PAGE_MS, "target_heatmap_ms": TARGET_HEATMAP_MS,
            "ok": results[slowest] <= TARGET_PAGE_MS and heatmap_ms <= TARGET_HEATMAP_MS,
            "repeat": args.repeat, "database": "sqlite", "python": platform.python_version(),
        }
    finally:
        models.db.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            if args.database:
                progress(f"kept {path} (given with --database)")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; the last stdout line is the JSON result."""
    logging.basicConfig(level=logging.WARNING)
    args = parse_args(argv)
    started = time.monotonic()
    result = run(args)
    result["wall_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
