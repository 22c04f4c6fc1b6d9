"""Background jobs and backups at scale: an export through the job queue, and a backup, verify and restore.

Seeds `--rows` check-ins (default 500,000) of realistic history into a temporary SQLite central
database, queues a usage-log export of all of it as a user would (the Flask test client) and lets a
`JobRunner` in this process write it: the time from queueing until a worker started it and until the
file was complete, and rows per second. Then `waystation.backup` backs the database up (online
backup API), verifies the file (checksum and integrity check) and restores it elsewhere: seconds and
MB/s of each. Progress goes to stderr; the last stdout line is one JSON object.

    python bench/jobs.py --rows 200000
"""

from __future__ import annotations

import argparse
import json
import logging
import platform
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from station_admin import create_app, migrations  # noqa: E402
from station_admin.core import models  # noqa: E402
from station_admin.core.jobs import JobRunner  # noqa: E402
from station_admin.demo.history import ensure_stations, seed_history  # noqa: E402
from station_admin.demo.seed import seed_demo  # noqa: E402
from station_admin.reports.export_jobs import ExportJob  # noqa: E402
from waystation.backup import backup_database, restore_database, verify  # noqa: E402
from waystation.db import migrate  # noqa: E402
from waystation.web import SETTINGS  # noqa: E402

TIMEZONE = "Asia/Shanghai"
DAYS = 90


def progress(message: str) -> None:
    """A progress line on stderr, so stdout ends with the JSON result alone."""
    print(f"[bench/jobs] {message}", file=sys.stderr, flush=True)


def wait_for(predicate, timeout: float = 600, interval: float = 0.01) -> float:
    """Seconds until `predicate()` held (polling)."""
    started = time.perf_counter()
    while not predicate():
        if time.perf_counter() - started > timeout:
            raise SystemExit("timed out")
        time.sleep(interval)
    return time.perf_counter() - started


def run(rows_wanted: int) -> dict:
    """Seed, export through the queue, back up, verify, restore."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    path = workdir / "central.db"
    app = create_app({"database": {"url": f"sqlite:///{path}"},
                      "central": {"secret_key": "b" * 32, "data_key": "d" * 32},
                      "reports": {"export_dir": str(workdir / "exports")}, "jobs": {"poll_seconds": 0.2}})
    migrate(models.db, migrations.MIGRATIONS)
    seed_demo()
    today = datetime.now(ZoneInfo(TIMEZONE)).date()
    with models.db.connection_context():
        stations = ensure_stations(max(3, rows_wanted // 50_000), random.Random(1))
        rows = seed_history(stations, DAYS, rows_wanted / len(stations) / DAYS, today - timedelta(days=1), 8,
                            random.Random(2))
    progress(f"seeded {rows:,} check-ins")
    client = app.test_client()
    client.get("/auth/login")
    with client.session_transaction() as s:
        csrf = s["csrf"]
    client.post("/auth/login", data={"username": "admin", "password": "admin-demo", "csrf_token": csrf})
    client.get("/reports/usage")
    with client.session_transaction() as s:
        csrf = s["csrf"]
    runner = JobRunner(app.extensions[SETTINGS])
    runner.start()
    try:
        queued_at = time.perf_counter()
        answer = client.post(f"/reports/export?from={today - timedelta(days=DAYS)}&to={today}",
                             data={"csrf_token": csrf})
        assert answer.status_code == 303, answer.status_code
        job_id = int(answer.headers["Location"].rsplit("/", 1)[1])

        def status() -> str:
            with models.db.connection_context():
                return ExportJob.get_by_id(job_id).status
        wait_for(lambda: status() != "queued")
        queue_to_start = time.perf_counter() - queued_at  # the request itself included
        done_s = wait_for(lambda: status() in ("done", "failed"))
        assert status() == "done"
        total = time.perf_counter() - queued_at
    finally:
        runner.stop()
    progress(f"export of {rows:,} rows written in {done_s:.1f} s")

    size_mb = path.stat().st_size / 1e6
    t = time.perf_counter()
    made = backup_database(f"sqlite:///{path}", workdir / "backups", "central")
    backup_s = time.perf_counter() - t
    t = time.perf_counter()
    verify(made.path)
    verify_s = time.perf_counter() - t
    t = time.perf_counter()
    restore_database(made.path, f"sqlite:///{workdir / 'restored' / 'central.db'}")
    restore_s = time.perf_counter() - t
    models.db.close()
    return {"bench": "jobs", "machine": platform.machine(), "rows": rows, "database_mb": round(size_mb, 1),
            "export_queue_to_start_s": round(queue_to_start, 3), "export_total_s": round(total, 2),
            "export_rows_per_s": round(rows / done_s), "backup_s": round(backup_s, 2),
            "backup_mb_per_s": round(size_mb / backup_s, 1), "verify_s": round(verify_s, 2),
            "restore_s": round(restore_s, 2)}


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run, print the JSON line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=500_000, help="check-ins to seed (default 500,000)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    print(json.dumps(run(args.rows)))


if __name__ == "__main__":
    main()
