"""Station imports written in the background: a file of thousands of stations takes minutes to write.

The preview (admin/imports.py) stays in the request: it writes nothing and answers in seconds.
Confirming queues a `StationImportJob` (one queued or running per admin) that any job worker
(core.jobs) takes: it plans the stored file again against the database as it is then, writes its
creates and changes through save_station (each validated and audited as on the station page) and
commits every CHUNK_ROWS stations, so its page shows a progress bar that moves. A job whose process
died shows as failed with how many stations it had written; running it again writes the rest (rows
already written are "unchanged" the second time). The uploaded file is deleted when the job is done.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

import peewee
from huey import crontab

from devices.protocol import utcnow
from station_admin.admin import imports
from station_admin.core import jobs
from station_admin.core.models import BaseModel, StaffUser, db
from waystation.db import JSONField, UTCDateTimeField

log = logging.getLogger(__name__)

CHUNK_ROWS = 200
ACTIVE = ("queued", "running")
INTERRUPTED = "interrupted"


class StationImportJob(BaseModel):
    """One confirmed import: who, which stored file, how far it has got, and what it wrote."""

    user = peewee.ForeignKeyField(StaffUser, backref="station_imports", on_delete="CASCADE")
    filename = peewee.CharField()  # as uploaded, for the page
    path = peewee.CharField()  # the stored upload's name in central.import_dir
    status = peewee.CharField(default="queued")  # queued, running, done, failed
    rows_done = peewee.IntegerField(default=0)
    rows_total = peewee.IntegerField(default=0)  # stations to create or change
    counts = JSONField(default=dict)  # create / change / unchanged / error, once done
    error = peewee.CharField(default="")
    worker = peewee.CharField(default="")
    heartbeat_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "station_import_job"

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return min(99, 100 * self.rows_done // self.rows_total) if self.rows_total else 0

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @classmethod
    def of_user(cls, job_id: int, user: StaffUser) -> StationImportJob | None:
        return cls.get_or_none(cls.id == job_id, cls.user == user.id)

    @classmethod
    def active_of(cls, user: StaffUser) -> StationImportJob | None:
        return cls.get_or_none(cls.user == user.id, cls.status.in_(ACTIVE))


StationImportJob.add_index(peewee.ModelIndex(
    StationImportJob, (StationImportJob.user,), unique=True, name="station_import_job_one_active",
    where=StationImportJob.status.in_(ACTIVE)))


class ImportBusy(Exception):
    """The admin already has an import queued or running (`job`)."""

    def __init__(self, job: StationImportJob | None):
        super().__init__("an import of this user is already queued or running")
        self.job = job


def start_import(user: StaffUser, stored: str, filename: str) -> StationImportJob:
    """Queue the import of a previewed file (its name in the import folder); ImportBusy if one is active."""
    try:
        with db.atomic():
            job = StationImportJob.create(user=user, filename=filename, path=stored, created_at=utcnow())
            run_import(job.id)  # the queue is in the same database: queued with the job, or not at all
    except peewee.IntegrityError:
        raise ImportBusy(StationImportJob.active_of(user)) from None
    log.info("station import %d of %s queued for %s", job.id, filename, user.username)
    return job


def run_again(job: StationImportJob) -> StationImportJob:
    """Queue a failed import again (its file is kept until it is done); ImportBusy if another is active."""
    try:
        with db.atomic():
            if (StationImportJob.update(status="queued", error="", worker="", heartbeat_at=None, finished_at=None)
                    .where(StationImportJob.id == job.id, StationImportJob.status == "failed").execute()):
                run_import(job.id)
    except peewee.IntegrityError:
        raise ImportBusy(StationImportJob.active_of(job.user)) from None
    return StationImportJob.get_by_id(job.id)


@jobs.queue.task()
def run_import(job_id: int) -> None:
    """The job: claim the import, plan the file again, write it in chunks, record how it ended."""
    folder = Path(jobs.runner_settings().central.import_dir)
    with db.connection_context():
        claimed = (StationImportJob.update(status="running", worker=jobs.worker_id(), heartbeat_at=utcnow())
                   .where(StationImportJob.id == job_id, StationImportJob.status == "queued").execute())
        if not claimed:
            log.info("station import %d is no longer queued; nothing to do", job_id)
            return
        job = StationImportJob.get_by_id(job_id)
        path = folder / job.path
        try:
            plans = imports.plan(imports.read_rows(path.name, path.read_bytes()))
            todo = sum(1 for p in plans if p.action in ("create", "change"))
            _set(job_id, rows_total=todo, rows_done=0)
            counts = imports.apply(plans, actor=job.user, chunk=CHUNK_ROWS,
                                   progress=lambda done, total: _set(job_id, rows_done=done))
            _set(job_id, status="done", rows_done=todo, counts=counts, finished_at=utcnow())
            path.unlink(missing_ok=True)
            log.info("station import %d done: %s", job_id, counts)
        except Exception as e:  # noqa: BLE001 - a failed import is recorded, never kills the worker
            log.exception("station import %d failed", job_id)
            _set(job_id, status="failed", error=str(e)[:250] or type(e).__name__, finished_at=utcnow())


def _set(job_id: int, **values) -> None:
    values.setdefault("heartbeat_at", utcnow())
    (StationImportJob.update(**values)
     .where(StationImportJob.id == job_id, StationImportJob.status == "running",
            StationImportJob.worker == jobs.worker_id())
     .execute())


def fail_abandoned(now: datetime, stale: timedelta) -> list[int]:
    """Mark failed the imports whose process died while writing them (or lost them from the queue)."""
    failed = jobs.fail_abandoned_jobs(StationImportJob, run_import, now, stale, INTERRUPTED)
    if failed:
        log.warning("station imports %s were interrupted (their process stopped): marked failed; they can be run "
                    "again", failed)
    return failed


def sweep(settings, now: datetime | None = None) -> None:
    with db.connection_context():
        fail_abandoned(now or utcnow(), timedelta(seconds=settings.jobs.stale_seconds))


@jobs.queue.on_startup()
def sweep_at_start() -> None:
    """A starting worker marks failed what a dead process left running."""
    sweep(jobs.runner_settings())


@jobs.queue.periodic_task(crontab(), name="station_imports.sweep")
def sweep_every_minute() -> None:
    """Every minute: imports abandoned by a process that died (on any machine) are failed."""
    sweep(jobs.runner_settings())


@jobs.on_stop
def fail_unfinished(worker: str) -> None:
    """This process stops: the imports its workers did not finish are failed now (they can run again)."""
    (StationImportJob.update(status="failed", error=INTERRUPTED, finished_at=utcnow())
     .where(StationImportJob.status == "running", StationImportJob.worker == worker).execute())
