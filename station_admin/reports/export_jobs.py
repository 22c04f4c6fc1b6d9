"""Usage-log exports as background jobs: queued in central's database, written by any job worker.

A user starts an export (one queued or running at a time: the database refuses a second); the
`ExportJob` row holds what to write (`spec`, fixed when asked), its progress, which process runs it
and its heartbeat. A worker of any process (core.jobs) takes it, writes the CSV under a temporary
name in the export file store (`reports.export_dir`, shared by every web process) and renames it
when complete; only the user who asked may download it, for `reports.export_keep_hours`, then the
file is deleted and the job shows as expired. A job whose process died shows as failed (at the next
start of any worker, or within `jobs.stale_seconds`), and its owner can run it again.
"""

from __future__ import annotations

import csv
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import peewee
from huey import crontab

from devices.protocol import utcnow
from station_admin.core import jobs
from station_admin.core.models import BaseModel, District, StaffUser, Station, db
from station_admin.reports.exports import BOM, local_iso, safe_cell
from station_admin.reports.usage import KINDS
from station_admin.rollups.hourly import hour_start
from waystation.db import JSONField, UTCDateTimeField

log = logging.getLogger(__name__)

CHUNK_ROWS = 5000
ACTIVE = ("queued", "running")
# The reason a job failed, as shown to its owner (admin.reports.export_<reason>).
INTERRUPTED = "interrupted"


class ExportJob(BaseModel):
    """A large export written in the background: who asked, what, how far it is, where the file is."""

    STATUSES = ("queued", "running", "done", "failed", "expired")

    user = peewee.ForeignKeyField(StaffUser, backref="exports", on_delete="CASCADE")
    report = peewee.CharField()
    params = peewee.TextField()  # the filters, as JSON (the report page's query)
    spec = JSONField(default=dict)  # what the worker writes: kind, columns, stations, hours, offset
    status = peewee.CharField(default="queued")
    rows_done = peewee.IntegerField(default=0)
    rows_total = peewee.IntegerField(default=0)
    path = peewee.CharField(default="")  # the file's name in the export file store
    filename = peewee.CharField(default="")  # the name the download is saved under
    error = peewee.CharField(default="")
    worker = peewee.CharField(default="")  # core.jobs.worker_id() of the process running it
    heartbeat_at = UTCDateTimeField(null=True)
    created_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "export_job"

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return min(99, 100 * self.rows_done // self.rows_total) if self.rows_total else 0

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed", "expired")

    @property
    def can_run_again(self) -> bool:
        return self.status in ("failed", "expired")

    def file_in(self, store: str) -> Path:
        """The finished file in the export file store (a job from before the shared store kept a full path)."""
        return Path(store).resolve() / self.path

    @classmethod
    def of_user(cls, job_id: int, user: StaffUser) -> ExportJob | None:
        """The job if this user asked for it, else None (others' jobs do not exist for them)."""
        return cls.get_or_none(cls.id == job_id, cls.user == user.id)

    @classmethod
    def active_of(cls, user: StaffUser) -> ExportJob | None:
        """The user's export that is queued or running, if any."""
        return cls.get_or_none(cls.user == user.id, cls.status.in_(ACTIVE))


# One export queued or running per user: the database refuses a second, whichever process asks.
ExportJob.add_index(peewee.ModelIndex(ExportJob, (ExportJob.user,), unique=True, name="export_job_one_active",
                                      where=ExportJob.status.in_(ACTIVE)))


class ExportBusy(Exception):
    """The user already has an export queued or running (`job`)."""

    def __init__(self, job: ExportJob | None):
        super().__init__("an export of this user is already queued or running")
        self.job = job


def start_usage_export(user: StaffUser, scope) -> ExportJob:
    """Queue the scope's usage log for export; ExportBusy if the user has one queued or running."""
    kind = KINDS[scope.kind]
    start_hour, end_hour = scope.hours
    spec = {"kind": scope.kind, "columns": list(kind.columns_for(user.role)), "codes": list(scope.codes),
            "start": hour_start(start_hour).isoformat(), "end": hour_start(end_hour).isoformat(),
            "offset": scope.offset}
    try:
        with db.atomic():
            job = ExportJob.create(
                user=user, report="usage", params=json.dumps(scope.query_args()), spec=spec, created_at=utcnow(),
                rows_total=kind.total(scope.codes, start_hour, end_hour) if scope.codes else 0,
                filename=f"usage-{scope.kind}-{scope.first.isoformat()}-{scope.last.isoformat()}.csv")
            job.path = f"export-{job.id}.csv"
            job.save()
            run_export(job.id)  # the queue is in the same database: queued with the job, or not at all
    except peewee.IntegrityError:
        raise ExportBusy(ExportJob.active_of(user)) from None
    log.info("export %d of the %s usage log queued for %s (%d rows)", job.id, scope.kind, user.username,
             job.rows_total)
    return job


def run_again(job: ExportJob) -> ExportJob:
    """Queue a failed or expired export again, as it was asked; ExportBusy if the user has one active."""
    try:
        with db.atomic():
            changed = (ExportJob.update(status="queued", rows_done=0, error="", worker="", heartbeat_at=None,
                                        finished_at=None)
                       .where(ExportJob.id == job.id, ExportJob.status.in_(("failed", "expired"))).execute())
            if changed:
                run_export(job.id)
    except peewee.IntegrityError:
        raise ExportBusy(ExportJob.active_of(job.user)) from None
    log.info("export %d queued again", job.id)
    return ExportJob.get_by_id(job.id)


@jobs.queue.task()
def run_export(job_id: int) -> None:
    """The job: claim the export, write its file, record how it ended."""
    store = jobs.runner_settings().reports.export_dir
    with db.connection_context():
        claimed = (ExportJob.update(status="running", worker=jobs.worker_id(), heartbeat_at=utcnow())
                   .where(ExportJob.id == job_id, ExportJob.status == "queued").execute())
        if not claimed:
            log.info("export %d is no longer queued; nothing to do", job_id)
            return
        UsageExport(ExportJob.get_by_id(job_id), store).run()


class UsageExport:
    """Writes one usage-log export, a chunk of keyset pages at a time, recording progress and a heartbeat."""

    def __init__(self, job: ExportJob, store: str):
        spec = job.spec
        self.job_id, self.path = job.id, job.file_in(store)
        self.kind, self.columns, self.codes = KINDS[spec["kind"]], tuple(spec["columns"]), spec["codes"]
        self.start, self.end = datetime.fromisoformat(spec["start"]), datetime.fromisoformat(spec["end"])
        self.offset = spec["offset"]
        self.names = {s.code: (s.name_zh, s.district.code)
                      for s in Station.select(Station, District).join(District)
                      .where(Station.code.in_(self.codes))} if self.codes else {}

    def run(self) -> None:
        """Write the file (under a temporary name until complete) and mark the job done or failed."""
        try:
            done = self._write()
            self._set(status="done", rows_done=done, finished_at=utcnow())
            log.info("export %d done: %d rows", self.job_id, done)
        except Exception as e:  # noqa: BLE001 - a failed export is recorded, never kills the worker
            log.exception("export %d failed", self.job_id)
            self._set(status="failed", error=str(e)[:250], finished_at=utcnow())

    def _write(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".part")
        done, before = 0, None
        with open(partial, "w", encoding="utf-8", newline="") as f:
            f.write(BOM)
            writer = csv.writer(f, lineterminator="\r\n")
            writer.writerow(usage_header(self.columns))
            while True:
                rows = self.kind.page(self.codes, self.start, self.end, before, CHUNK_ROWS)
                for row in rows:
                    name, district = self.names.get(row.station_code, ("", ""))
                    writer.writerow([safe_cell(v) for v in (
                        row.kind, row.event_id, row.station_code, name, district,
                        local_iso(row.occurred_at, self.offset), *(row.details.get(c) for c in self.columns))])
                done += len(rows)
                if len(rows) < CHUNK_ROWS:
                    break
                before = (rows[-1].occurred_at, rows[-1].id)
                self._set(rows_done=done)
        partial.replace(self.path)
        return done

    def _set(self, **values) -> None:
        values.setdefault("heartbeat_at", utcnow())
        (ExportJob.update(**values)
         .where(ExportJob.id == self.job_id, ExportJob.status == "running", ExportJob.worker == jobs.worker_id())
         .execute())


def usage_header(columns: tuple[str, ...]) -> list[str]:
    """The usage-log CSV's column names (documented in docs/data-dictionary.md)."""
    return ["kind", "event_id", "station_code", "station_name", "district_code", "occurred_at", *columns]


# --- keeping the store and the jobs true ---------------------------------------------------------------

def _remove(path: Path) -> None:
    for leftover in (path, path.with_suffix(".part")):
        leftover.unlink(missing_ok=True)


def fail_abandoned(now: datetime, stale: timedelta, store: str) -> list[int]:
    """Mark failed the exports whose process died while running them (or lost them from the queue); their ids."""
    failed = jobs.fail_abandoned_jobs(ExportJob, run_export, now, stale, INTERRUPTED,
                                      on_failed=lambda job: _remove(job.file_in(store)))
    if failed:
        log.warning("exports %s were interrupted (their process stopped): marked failed; they can be run again",
                    failed)
    return failed


def expire_files(now: datetime, keep: timedelta, store: str) -> list[int]:
    """Delete the files of exports done longer ago than `keep` and mark those jobs expired; their ids."""
    expired = []
    for job in ExportJob.select().where(ExportJob.status == "done", ExportJob.finished_at < now - keep):
        _remove(job.file_in(store))
        ExportJob.update(status="expired").where(ExportJob.id == job.id, ExportJob.status == "done").execute()
        expired.append(job.id)
    if expired:
        log.info("export files of jobs %s expired and were deleted", expired)
    return expired


def sweep(settings, now: datetime | None = None) -> None:
    """Both of the above with the settings' bounds."""
    now = now or utcnow()
    with db.connection_context():
        fail_abandoned(now, timedelta(seconds=settings.jobs.stale_seconds), settings.reports.export_dir)
        expire_files(now, timedelta(hours=settings.reports.export_keep_hours), settings.reports.export_dir)


@jobs.queue.on_startup()
def sweep_at_start() -> None:
    """A starting worker marks failed what a dead process left running."""
    sweep(jobs.runner_settings())


@jobs.queue.periodic_task(crontab(), name="exports.sweep")
def sweep_every_minute() -> None:
    """Every minute: abandoned exports failed, old files deleted."""
    sweep(jobs.runner_settings())


@jobs.on_stop
def fail_unfinished(worker: str) -> None:
    """This process stops: what its workers did not finish is failed now, not at the next sweep."""
    (ExportJob.update(status="failed", error=INTERRUPTED, finished_at=utcnow())
     .where(ExportJob.status == "running", ExportJob.worker == worker).execute())
