"""Exports as background jobs: one active per user, files that expire, jobs whose process died failed and run again."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from datetime import timedelta

import peewee
import pytest

from devices.protocol import utcnow
from station_admin.core import jobs, models
from station_admin.core.audit import AuditEntry
from station_admin.core.models import StaffUser
from station_admin.live.deadletters import DeadLetter, release_interrupted
from station_admin.reports.export_jobs import ExportJob, expire_files, fail_abandoned, sweep
from tests.conftest import csrf_of, wait_until
from tests.htmx import HX
from tests.station_admin.conftest import LAST, RANGE, admin, ingest, local, read_csv

STALE = timedelta(seconds=120)


def start_export(client, query: str = RANGE):
    client.get("/reports/usage")
    return client.post(f"/reports/export?{query}", data={"csrf_token": csrf_of(client)}, headers=HX)


def job_id_of(response) -> int:
    return int(re.search(r"/reports/exports/(\d+)", response.get_data(as_text=True)).group(1))


def status_of(job_id: int) -> ExportJob:
    with models.db.connection_context():
        return ExportJob.get_by_id(job_id)


def wait_done(client, job_id: int) -> str:
    def done():
        html = client.get(f"/reports/exports/{job_id}", headers=HX).get_data(as_text=True)
        return html if 'data-status="done"' in html else None
    return wait_until(done, timeout=30, message=f"export {job_id} done")


def dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_one_export_queued_or_running_per_user(app):
    ingest("xh-xujiahui", [local(LAST, 12, m) for m in range(5)])
    client = admin(app)
    first = start_export(client)  # no worker runs in this process: it stays queued
    job_id = job_id_of(first)
    assert status_of(job_id).status == "queued"
    second = start_export(client, f"{RANGE}&station=xh-caohejing")
    html = second.get_data(as_text=True)
    assert second.status_code == 200 and job_id_of(second) == job_id
    assert "您已有一个导出正在排队或进行中" in html and 'data-testid="notice"' in html
    with models.db.connection_context():
        assert ExportJob.select().count() == 1
        admin_user = StaffUser.get(StaffUser.username == "admin")
        # The database itself refuses a second active one, whoever asks.
        with pytest.raises(peewee.IntegrityError), models.db.atomic():
            ExportJob.create(user=admin_user, report="usage", params="{}", status="running", created_at=utcnow())
        # Another user may export meanwhile.
        other = StaffUser.get(StaffUser.username == "federation")
        ExportJob.create(user=other, report="usage", params="{}", status="queued", created_at=utcnow())


def test_a_done_file_expires_and_the_job_can_run_again(app, job_workers, tmp_path, clock):
    ingest("xh-xujiahui", [local(LAST, 12, m) for m in range(9)])
    client = admin(app)
    job_id = job_id_of(start_export(client))
    fragment = wait_done(client, job_id)
    assert "文件保留 24 小时" in fragment
    store = tmp_path / "exports"
    assert (store / f"export-{job_id}.csv").exists() and status_of(job_id).path == f"export-{job_id}.csv"
    assert len(read_csv(client.get(f"/reports/exports/{job_id}/download"))) == 10

    with models.db.connection_context():
        assert expire_files(utcnow() + timedelta(hours=23), timedelta(hours=24), str(store)) == []
    clock(utcnow() + timedelta(hours=25))
    sweep(job_workers_settings(app))
    assert status_of(job_id).status == "expired" and not (store / f"export-{job_id}.csv").exists()
    client = admin(app)  # a day later the session has timed out: the same user signs in again
    gone = client.get(f"/reports/exports/{job_id}/download")
    assert gone.status_code == 410 and "已过期删除" in gone.get_data(as_text=True)
    page = client.get(f"/reports/exports/{job_id}", headers=HX).get_data(as_text=True)
    assert "已被删除" in page and 'data-testid="run-again"' in page and "hx-trigger" not in page

    again = client.post(f"/reports/exports/{job_id}/again", data={"csrf_token": csrf_of(client)}, headers=HX)
    assert again.status_code == 200 and job_id_of(again) == job_id
    wait_done(client, job_id)
    assert len(read_csv(client.get(f"/reports/exports/{job_id}/download"))) == 10


def job_workers_settings(app):
    from waystation.web import SETTINGS

    return app.extensions[SETTINGS]


def test_jobs_whose_process_is_gone_are_failed_and_others_are_left(app, tmp_path):
    now = utcnow()
    store = tmp_path / "exports"
    store.mkdir()
    host = socket.gethostname()
    with models.db.connection_context():
        users = [StaffUser.get(StaffUser.username == "admin").id] + [
            StaffUser.create(username=f"exporter{n}", display_name=f"exporter {n}", password_hash="", role="admin").id
            for n in range(5)]

        def running(user_id, worker, beat):
            job = ExportJob.create(user=user_id, report="usage", params="{}", status="running", worker=worker,
                                   heartbeat_at=beat, created_at=now - timedelta(minutes=5))
            job.path = f"export-{job.id}.csv"
            job.save()
            (store / f"export-{job.id}.part").write_text("half")
            return job.id

        dead_here = running(users[0], f"{host}:{dead_pid()}:abcd", now)
        earlier_start_of_me = running(users[1], f"{host}:{os.getpid()}:not-mine", now)
        mine = running(users[2], jobs.worker_id(), now)
        elsewhere_beating = running(users[3], "other-host:12:beef", now - timedelta(seconds=30))
        elsewhere_silent = running(users[4], "other-host:13:beef", now - timedelta(minutes=3))
        # Queued long ago and its task is no longer in the queue (taken by a process that died at once).
        lost = ExportJob.create(user=users[5], report="usage", params="{}", status="queued",
                                created_at=now - timedelta(minutes=10)).id

        failed = fail_abandoned(now, STALE, str(store))
        statuses = {j.id: (j.status, j.error) for j in ExportJob.select()}
    expected = {dead_here, earlier_start_of_me, elsewhere_silent, lost}
    assert set(failed) == expected
    for job_id in expected:
        assert statuses[job_id] == ("failed", "interrupted")
    assert statuses[mine][0] == statuses[elsewhere_beating][0] == "running"
    assert not (store / f"export-{dead_here}.part").exists() and (store / f"export-{mine}.part").exists()

    # The admin owns the first: the page says why, and offers to run it again.
    page = admin(app).get(f"/reports/exports/{dead_here}", headers=HX).get_data(as_text=True)
    assert "导出被中断" in page and 'data-testid="run-again"' in page


def test_a_queued_job_whose_task_waits_in_the_queue_is_not_failed(app):
    ingest("xh-xujiahui", [local(LAST, 12, 0)])
    job_id = job_id_of(start_export(admin(app)))
    with models.db.connection_context():
        assert fail_abandoned(utcnow() + timedelta(hours=1), STALE, "unused") == []
        assert jobs.queue.pending_count() == 1
    assert status_of(job_id).status == "queued"


def test_a_dead_letter_left_running_by_a_stopped_worker_is_open_again_and_audited(app):
    now = utcnow()
    with models.db.connection_context():
        def letter(n, claimed_by, claimed_at):
            return DeadLetter.create(digest=f"{n:064d}", topic=f"t/{n}", payload=b"{}", error="boom",
                                     first_seen=now, last_seen=now, status="running", claimed_by=claimed_by,
                                     claimed_at=claimed_at).id

        mine = letter(1, "ingest-a", now - timedelta(seconds=5))
        other_busy = letter(2, "ingest-b", now - timedelta(seconds=5))
        other_long_ago = letter(3, "ingest-b", now - timedelta(hours=1))
        from_before = letter(4, None, None)
        assert release_interrupted("ingest-a", now) == 3
        rows = {d.id: d for d in DeadLetter.select()}
        audited = [json.loads(a.details) if isinstance(a.details, str) else a.details
                   for a in AuditEntry.select().where(AuditEntry.action == "dead_letter.rerun_interrupted")]
    for letter_id in (mine, other_long_ago, from_before):
        assert rows[letter_id].status == "open" and "interrupted" in rows[letter_id].error
    assert rows[other_busy].status == "running"
    assert len(audited) == 3 and {a["topic"] for a in audited} == {"t/1", "t/3", "t/4"}
