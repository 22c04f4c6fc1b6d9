"""Background jobs: a huey queue kept in central's own database, and the worker threads that run it.

The queue's tables (`job_queue_*`, migration 17) sit beside every other table, on SQLite or
PostgreSQL, so every web process can put a job in and any process running workers takes it out
(PostgreSQL with FOR UPDATE SKIP LOCKED, SQLite under its write lock): a queued job survives any
restart and web processes keep no state of their own. huey (by peewee's author) does the queueing,
the worker threads and the periodic tasks; what a job means to its user (progress, its file, who
may see it) is the feature's own table, e.g. `ExportJob`.

A job that was running when its process died cannot finish. Each running job names the process
running it (`worker_id()`: host, process id and a token of this start) and beats a heartbeat; the
features' start-up and periodic sweeps mark a job failed once its process is gone (same host: the
process no longer exists or is a later start; elsewhere: no heartbeat for `jobs.stale_seconds`).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from datetime import datetime, timedelta

import peewee
from huey import Huey
from huey.consumer import Consumer
from huey.contrib.sql_huey import BytesBlobField, SqlStorage
from huey.storage import BaseStorage

from station_admin.core.models import BaseModel, db
from waystation.db import is_sqlite

log = logging.getLogger(__name__)


class QueueValue(BaseModel):
    """huey's key-value rows (locks, and results when a task keeps one)."""

    queue = peewee.CharField()
    key = peewee.CharField()
    value = BytesBlobField()

    class Meta:
        table_name = "job_queue_kv"
        primary_key = peewee.CompositeKey("queue", "key")


class QueueSchedule(BaseModel):
    """Tasks waiting for their time (a retry's delay, a task given an eta)."""

    queue = peewee.CharField()
    data = BytesBlobField()
    timestamp = peewee.TimestampField(resolution=1000)

    class Meta:
        table_name = "job_queue_schedule"
        indexes = ((("queue", "timestamp"), False),)


class QueueTask(BaseModel):
    """Tasks waiting for a worker, in priority then arrival order."""

    queue = peewee.CharField()
    data = BytesBlobField()
    priority = peewee.FloatField(default=0.0)

    class Meta:
        table_name = "job_queue_task"
        indexes = ((("queue", "priority", "id"), False),)


class QueueCounter(BaseModel):
    """huey's counters."""

    queue = peewee.CharField()
    key = peewee.CharField()
    value = peewee.IntegerField()

    class Meta:
        table_name = "job_queue_counter"
        primary_key = peewee.CompositeKey("queue", "key")


class CentralStorage(SqlStorage):
    """huey's SQL storage on central's database proxy, with the tables migration 17 made.

    huey's own SqlStorage binds one database object at construction and creates its tables; here the
    queue follows `db` wherever it points (the serve commands and tests initialise it), and the
    schema belongs to the migrations.
    """

    def __init__(self, name: str = "waystation", **kwargs):
        BaseStorage.__init__(self, name)  # SqlStorage's would bind a database object and create tables
        self.database = db
        self.atomic = db.atomic  # central's SQLite transactions begin IMMEDIATE (waystation.db)
        self.KV, self.Schedule, self.Task, self.Counter = QueueValue, QueueSchedule, QueueTask, QueueCounter

    @property
    def for_update(self) -> str | None:
        """Row locks for taking a task: PostgreSQL skips rows another worker holds; SQLite has one writer."""
        return None if is_sqlite(db) else "FOR UPDATE SKIP LOCKED"

    def check_conn(self):
        if not db.is_connection_usable():
            db.close()
            db.connect()


# The one queue: tasks are registered on it at import (their modules say `@queue.task()`); nothing
# here touches the database until a task is put in or a worker starts.
queue = Huey("waystation", storage_class=CentralStorage, results=False, utc=True)

_WORKER_TOKEN = secrets.token_hex(4)
_STOP_HOOKS: list = []
_RUNNER_SETTINGS: list = []  # the settings of this process's JobRunner (its jobs read them)


def on_stop(hook):
    """Register `hook(worker_id)`, run when this process's workers stop: mark what they leave unfinished."""
    _STOP_HOOKS.append(hook)
    return hook


def worker_id() -> str:
    """This process's name on the jobs it runs: host, process id and a token of this start."""
    return f"{socket.gethostname()}:{os.getpid()}:{_WORKER_TOKEN}"


def worker_gone(worker: str, heartbeat_at: datetime | None, now: datetime, stale: timedelta) -> bool:
    """Whether the process named on a running job can no longer be running it."""
    if heartbeat_at is None or heartbeat_at < now - stale:
        return True
    host, _, rest = worker.partition(":")
    pid_text, _, token = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False  # another machine's: only its heartbeat tells
    pid = int(pid_text)
    if pid == os.getpid():
        return token != _WORKER_TOKEN  # this process id, an earlier start of it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def runner_settings():
    """The settings of the job runner of this process: what a job reads (file store, bounds)."""
    if not _RUNNER_SETTINGS:
        raise RuntimeError("no JobRunner was made in this process")
    return _RUNNER_SETTINGS[-1]


class _Workers(Consumer):
    """huey's consumer without its signal handlers: the serve command owns SIGTERM and SIGINT."""

    def _set_signal_handlers(self):
        pass


class JobRunner:
    """Worker threads taking jobs from the queue, with huey's scheduler for periodic tasks.

    Started by `waystation central` (unless jobs.workers is 0) and `waystation jobs`, never by
    create_app. Stopping waits `jobs.shutdown_seconds` for running jobs; the rest are marked failed by
    the features' `on_stop` hooks (and by any process's sweep if this one is killed).
    """

    def __init__(self, settings):
        jobs = settings.jobs
        _RUNNER_SETTINGS.append(settings)
        self.workers = jobs.workers
        self.shutdown_seconds = jobs.shutdown_seconds
        self._consumer = _Workers(queue, workers=max(1, jobs.workers), periodic=True, initial_delay=0.1,
                                  backoff=1.5, max_delay=jobs.poll_seconds, scheduler_interval=1,
                                  check_worker_health=False, shutdown_timeout=jobs.shutdown_seconds)
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the worker threads (each runs the features' start-up sweeps first)."""
        with self._lock:
            self._consumer.start()
            self._started = True
        log.info("job workers started: %d threads, as %s", self.workers, worker_id())

    def stop(self) -> None:
        """Stop taking jobs, wait a little for running ones, mark the rest failed."""
        with self._lock:
            if not self._started:
                return
            self._started = False
        self._consumer.stop(graceful=True)
        for hook in _STOP_HOOKS:
            try:
                with db.connection_context():
                    hook(worker_id())
            except peewee.PeeweeException:
                log.exception("could not mark this process's unfinished jobs failed; the next sweep will")


def fail_abandoned_jobs(model, task, now: datetime, stale: timedelta, error: str,
                        on_failed=lambda job: None) -> list[int]:
    """Mark failed the rows of a feature's job table whose job cannot finish; their ids.

    `model` has `status`, `worker`, `heartbeat_at`, `created_at` and `finished_at`, `task` is the
    huey task that runs a row (its first argument the row's id). Running rows whose process is gone
    (worker_gone), and queued rows older than `stale` whose task is no longer in the queue (taken by a
    process that died before it started it), get `error`; `on_failed(row)` cleans up after each.
    """
    failed = []
    for job in model.select().where(model.status == "running"):
        if worker_gone(job.worker, job.heartbeat_at, now, stale) and (
                model.update(status="failed", error=error, finished_at=now)
                .where(model.id == job.id, model.status == "running", model.worker == job.worker).execute()):
            on_failed(job)
            failed.append(job.id)
    waiting = {t.args[0] for t in queue.pending() if isinstance(t, task.task_class)}
    for job in model.select().where(model.status == "queued", model.created_at < now - stale):
        if job.id not in waiting and (model.update(status="failed", error=error, finished_at=now)
                                      .where(model.id == job.id, model.status == "queued").execute()):
            failed.append(job.id)
    return failed
