"""Background jobs across real processes: a web process killed during an export, two sharing one file store.

Two `waystation central --no-ingest` processes on one database and one export folder: A runs job
workers, B none. An export asked of B is written by A (the queue is in the database); A is killed
with SIGKILL in the middle; B's page shows the job failed once A is back (its start-up sweep), the
user runs it again from B, A writes it, and both processes serve the same file.
"""

from __future__ import annotations

import http.cookiejar
import random
import re
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta

from station_admin.core import models
from station_admin.demo.history import ensure_stations, seed_history
from station_admin.reports.export_jobs import ExportJob
from tests.brokers import free_port
from tests.conftest import SECRETS, WaystationProcess, tail, wait_until, waystation_env
from waystation.db import open_database

LAST_DAY = date(2025, 6, 30)
DAYS = 30
QUERY = f"from={LAST_DAY - timedelta(days=DAYS - 1)}&to={LAST_DAY}"


class Browser:
    """A signed-in staff user's HTTP session against a served central (cookies and the anti-forgery token)."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = ""

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as response:
                body = response.read().decode("utf-8", "replace")
                return response.status, body, response.url
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace"), path

    def post(self, path: str, **fields) -> tuple[int, str, str]:
        data = urllib.parse.urlencode({"csrf_token": self.csrf, **fields}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.base + path, data=data, method="POST"),
                                  timeout=10) as response:
                return response.status, response.read().decode("utf-8", "replace"), response.url
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace"), path

    def sign_in(self, username: str = "admin", password: str = "admin-demo") -> Browser:
        _, page, _ = self.get("/auth/login")
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        status, _, _ = self.post("/auth/login", username=username, password=password)
        assert status == 200
        _, page, _ = self.get("/reports/usage")  # the signed-in session's token
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self


def web_process(tmp_path, name: str, database_url: str, store, workers: int) -> tuple[WaystationProcess, str]:
    port = free_port()
    env = waystation_env(database_url=database_url, central_port=port, central_secret_key=SECRETS["central"][
        "secret_key"], central_data_key=SECRETS["central"]["data_key"], reports_export_dir=store,
        jobs_workers=workers, jobs_poll_seconds=0.2, broker_url="mqtt://127.0.0.1:1",
        demo="true")  # the demo's staff sign in (outside demo mode central refuses their published passwords)
    return WaystationProcess("central", env, tmp_path / f"web-{name}.log", args=("--no-ingest",)), \
        f"http://127.0.0.1:{port}"


def served(process: WaystationProcess, base: str) -> None:
    def up():
        assert process.alive(), f"{process.command} died{tail(process.log)}"
        try:
            with urllib.request.urlopen(base + "/auth/login", timeout=2):
                return True
        except OSError:
            return False
    wait_until(up, timeout=60, interval=0.2, message=f"{base} serving")


def job(job_id: int) -> ExportJob:
    with models.db.connection_context():
        return ExportJob.get_by_id(job_id)


def test_a_web_process_killed_during_an_export_and_two_sharing_the_file_store(central_settings, tmp_path):
    settings = central_settings(template="seeded")
    url = settings.database.url
    models.db.initialize(open_database(url))
    with models.db.connection_context():
        stations = ensure_stations(2, random.Random(3))
        rows = seed_history(stations, DAYS, 1200, LAST_DAY, 8, random.Random(4))
    assert rows > 50_000
    store = tmp_path / "shared-exports"
    worker, worker_url = web_process(tmp_path, "a", url, store, workers=1)
    web, web_url = web_process(tmp_path, "b", url, store, workers=0)
    try:
        worker.start()
        web.start()
        served(worker, worker_url)
        served(web, web_url)
        user = Browser(web_url).sign_in()
        status, page, landed = user.post(f"/reports/export?{QUERY}")
        assert status == 200, page
        job_id = int(re.search(r"/reports/exports/(\d+)", landed).group(1))

        # A's worker took it from the queue B put it in; kill A while it is writing.
        wait_until(lambda: job(job_id).status == "running" and job(job_id).rows_done > 0, timeout=60,
                   interval=0.02, message="the export running in process A")
        worker.kill()
        interrupted = job(job_id)
        assert interrupted.status == "running" and 0 < interrupted.rows_done < interrupted.rows_total, (
            "the export ended before the kill: make it longer")
        assert (store / f"export-{job_id}.part").exists()

        worker.start()  # its workers' start-up sweep: the job's process is gone
        wait_until(lambda: job(job_id).status == "failed", timeout=60, message="the interrupted job failed")
        assert job(job_id).error == "interrupted" and not (store / f"export-{job_id}.part").exists()
        _, page, _ = user.get(f"/reports/exports/{job_id}")
        assert "导出被中断" in page and 'data-testid="run-again"' in page

        status, page, _ = user.post(f"/reports/exports/{job_id}/again")
        assert status == 200 and f"/reports/exports/{job_id}" in page
        wait_until(lambda: job(job_id).status == "done", timeout=120, interval=0.2, message="the export run again")
        status, from_b, _ = user.get(f"/reports/exports/{job_id}/download")
        assert status == 200
        assert len(from_b.splitlines()) == rows + 1 == job(job_id).rows_done + 1
        # The same file from the other process (a file A wrote, B served; and A serves it too).
        status, from_a, _ = Browser(worker_url).sign_in().get(f"/reports/exports/{job_id}/download")
        assert status == 200 and from_a == from_b
    except AssertionError as e:
        raise AssertionError(f"{e}{tail(worker.log)}{tail(web.log)}") from None
    finally:
        worker.stop()
        web.stop()
        models.db.close()



def test_waystation_jobs_runs_the_queue_alone_and_stops_cleanly(central_settings, tmp_path):
    from station_admin import create_app
    from tests.station_admin.conftest import admin as signed_in_admin
    from tests.station_admin.conftest import ingest, local

    settings = central_settings(template="seeded", reports={"export_dir": str(tmp_path / "store")})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    ingest("xh-xujiahui", [local(LAST_DAY, 9, m) for m in range(12)])
    client = signed_in_admin(app)
    client.get("/reports/usage")
    with client.session_transaction() as s:
        csrf = s["csrf"]
    answer = client.post(f"/reports/export?{QUERY}", data={"csrf_token": csrf})
    job_id = int(answer.headers["Location"].rsplit("/", 1)[1])
    assert job(job_id).status == "queued"  # nothing in this process runs jobs

    env = waystation_env(database_url=settings.database.url, central_secret_key=SECRETS["central"]["secret_key"],
                         central_data_key=SECRETS["central"]["data_key"], reports_export_dir=tmp_path / "store",
                         jobs_poll_seconds=0.2)
    jobs = WaystationProcess("jobs", env, tmp_path / "jobs.log")
    try:
        jobs.start()
        wait_until(lambda: job(job_id).status == "done", timeout=60, interval=0.1, message="the job done by jobs")
        assert len(client.get(f"/reports/exports/{job_id}/download").get_data().splitlines()) == 13
    finally:
        jobs.stop()
        models.db.close()
    assert jobs.proc.returncode == 0, tail(jobs.log)
