"""Migrated (and seeded) databases built once per test process and copied for each test.

Migrating and seeding the demo data costs a central test about half a second on SQLite and more on
PostgreSQL; copying a finished database costs a few milliseconds. Each pytest-xdist worker is its
own process and builds its own templates: SQLite files in its temporary folder, PostgreSQL template
databases named after the worker and a random run id, so that runs on the same server never meet.
"""

from __future__ import annotations

import logging
import queue
import shutil
import sqlite3
import threading
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

# What a template holds: the schema only; the demo organisation, users and token (seed_demo());
# and also the demo members with cards and the card signing key (seed_demo(protector)), which are
# encrypted with the data key of the settings that built it.
CENTRAL_TEMPLATES = ("migrated", "demo", "seeded")


def postgres_url_for(server_url: str, database: str) -> str:
    """The URL of another database on the same PostgreSQL server."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", "", ""))


def database_of(url: str) -> str:
    """The database name of a postgresql:// URL."""
    return urlsplit(url).path.lstrip("/")


class DatabaseTemplates:
    """Builds each template on first use and copies it into a test's database on request."""

    def __init__(self, workdir: Path, settings_factory, postgres_url: str | None, worker: str = "main"):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.settings_factory = settings_factory  # (database_url) -> Settings with this process's keys
        self.postgres_url = postgres_url
        self.prefix = f"ws_{worker}_{uuid.uuid4().hex[:8]}"
        self._sqlite: dict[str, Path] = {}
        self._postgres: dict[str, str] = {}
        self._kiosk: Path | None = None
        self._admin = None
        self._postgres_pool: PostgresPool | None = None
        self._created: list[str] = []

    # --- PostgreSQL ---------------------------------------------------------------------------------

    def admin(self):
        """An autocommit connection to the server's maintenance database (CREATE/DROP DATABASE)."""
        if self._admin is None:
            self._admin = _admin_connection(self.postgres_url)
        return self._admin

    def _execute(self, sql: str) -> None:
        with self.admin().cursor() as cursor:
            cursor.execute(sql)

    def new_postgres_database(self, template: str) -> str:
        """A new database of this run, a copy of a central template; its URL."""
        self._postgres_template(template)
        return postgres_url_for(self.postgres_url, self._pool().take(template))

    def drop_postgres_database(self, url: str) -> None:
        """Drop a test's database (in the background), cutting connections its threads left open."""
        self._pool().drop(database_of(url))

    def _pool(self) -> PostgresPool:
        if self._postgres_pool is None:
            self._postgres_pool = PostgresPool(self.postgres_url, self.prefix)
        return self._postgres_pool

    def _postgres_template(self, kind: str) -> str:
        if kind not in self._postgres:
            name = f"{self.prefix}_tpl_{kind}"
            self._execute(f'CREATE DATABASE "{name}"')
            self._created.append(name)
            self._fill(postgres_url_for(self.postgres_url, name), kind)
            # A template must have no connection open when it is copied: _fill closed its own.
            self._postgres[kind] = name
            self._pool().templates[kind] = name
        return self._postgres[kind]

    # --- the central database -----------------------------------------------------------------------

    def central(self, url: str, kind: str = "seeded") -> str:
        """A central database that is a copy of a template, in place of the (unused) one at `url`; its URL.

        SQLite: the file at `url` is replaced by a copy (nothing may have it open) and the URL stays.
        PostgreSQL: a new database, copied from the template ahead of time; dropped by
        `drop_postgres_database` (the database at `url` is left as it is).
        """
        if kind not in CENTRAL_TEMPLATES:
            raise ValueError(f"no central template {kind!r}; there are {CENTRAL_TEMPLATES}")
        if url.startswith("sqlite:///"):
            path = Path(url[len("sqlite:///"):])
            path.parent.mkdir(parents=True, exist_ok=True)
            for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                stale.unlink(missing_ok=True)
            shutil.copyfile(self._sqlite_template(kind), path)
            return url
        return self.new_postgres_database(kind)

    def _sqlite_template(self, kind: str) -> Path:
        if kind not in self._sqlite:
            path = self.workdir / f"central-{kind}.db"
            self._fill(f"sqlite:///{path}", kind)
            # Everything in the main file, so that a plain copy is the whole database.
            with sqlite3.connect(path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            self._sqlite[kind] = path
        return self._sqlite[kind]

    def _fill(self, url: str, kind: str) -> None:
        """Migrate (and seed) a central database, leaving the central models bound as they were."""
        from station_admin import create_app, migrations
        from station_admin.core import models
        from station_admin.demo.seed import seed_demo
        from waystation.db import migrate

        bound = models.db.obj
        try:
            app = create_app(self.settings_factory(url).as_dict())
            migrate(models.db, migrations.MIGRATIONS)
            if kind == "demo":
                seed_demo()
            elif kind == "seeded":
                seed_demo(app.extensions["waystation.protector"])
            models.db.close()
        finally:
            models.db.initialize(bound)
        log.info("built the %s central template at %s", kind, url)

    # --- the kiosk database -------------------------------------------------------------------------

    def restore_kiosk(self, path: str | Path) -> None:
        """Make the kiosk database file at `path` a copy of the migrated kiosk template."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(self.kiosk_template(), path)

    def kiosk_template(self) -> Path:
        """The migrated kiosk database file (built on first use)."""
        if self._kiosk is None:
            from kiosk import models
            from kiosk.migrations import MIGRATIONS
            from waystation.db import migrate, sqlite_pragmas

            # The kiosk's migrations create tables through the kiosk models' own database, so it is
            # pointed at the template, then left deferred again (every kiosk app initialises it).
            path = self.workdir / "kiosk.db"
            models.db.init(str(path), pragmas=sqlite_pragmas(5000), check_same_thread=False)
            try:
                migrate(models.db, MIGRATIONS)
                models.db.close()
            finally:
                models.db.init(None)
            with sqlite3.connect(path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            self._kiosk = path
        return self._kiosk

    def close(self) -> None:
        """Drop every PostgreSQL database this run made (templates last)."""
        if self._postgres_pool is not None:
            self._postgres_pool.close()
        if self._admin is None:
            return
        for name in reversed(self._created):
            try:
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception:  # noqa: BLE001 - a leftover database must not fail the run's teardown
                log.warning("could not drop database %s", name, exc_info=True)
        self._admin.close()
        self._admin = None


def _admin_connection(server_url: str):
    import psycopg2

    connection = psycopg2.connect(postgres_url_for(server_url, "postgres"))
    connection.autocommit = True
    return connection


class PostgresPool:
    """Copies of the PostgreSQL templates made ahead of time by a thread, and test databases dropped by it.

    CREATE DATABASE copies the system catalogs too and waits for the disk: a few tenths of a second
    whatever the template holds. Done in the background while the previous test runs, it costs a test
    nothing; the test takes a finished copy and renames it.
    """

    AHEAD = 2  # copies of each template kept ready once a test has asked for that kind

    def __init__(self, server_url: str, prefix: str):
        self.server_url = server_url
        self.prefix = prefix
        self.templates: dict[str, str] = {}  # kind -> template database
        self.ready: dict[str, queue.Queue] = {}
        self.owed: dict[str, int] = {}  # copies asked of the thread and not yet ready, per kind
        self.jobs: queue.Queue = queue.Queue()
        self.made: set[str] = set()  # databases the thread made that no test has taken
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="postgres-pool", daemon=True)
        self.thread.start()

    def take(self, kind: str, timeout: float = 120) -> str:
        """The name of a fresh copy of template `kind`, now the caller's."""
        with self.lock:
            ready = self.ready.setdefault(kind, queue.Queue())
            missing = self.AHEAD + 1 - ready.qsize() - self.owed.get(kind, 0)
            for _ in range(max(missing, 0)):
                self.owed[kind] = self.owed.get(kind, 0) + 1
                self.jobs.put(("copy", kind))
        name = ready.get(timeout=timeout)
        if isinstance(name, BaseException):
            raise RuntimeError(f"could not copy the {kind} template") from name
        with self.lock:
            self.made.discard(name)
        return name

    def drop(self, name: str) -> None:
        """Drop a database in the background."""
        self.jobs.put(("drop", name))

    def close(self) -> None:
        """Finish the drops, drop the unused copies, stop the thread."""
        self.jobs.put(("stop", None))
        self.thread.join(timeout=120)

    def _run(self) -> None:
        connection = _admin_connection(self.server_url)
        try:
            while True:
                job, arg = self.jobs.get()
                if job == "stop":
                    break
                try:
                    if job == "drop":
                        self._sql(connection, f'DROP DATABASE IF EXISTS "{arg}" WITH (FORCE)')
                    else:
                        self._copy(connection, arg)
                except Exception as e:  # noqa: BLE001 - the test waiting for this copy fails with it
                    log.warning("postgres pool: %s %s failed", job, arg, exc_info=True)
                    if job == "copy":
                        self.ready[arg].put(e)
            for name in list(self.made):
                self._sql(connection, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            connection.close()

    def _copy(self, connection, kind: str) -> None:
        name = f"{self.prefix}_{uuid.uuid4().hex[:12]}"
        self._sql(connection, f'CREATE DATABASE "{name}" TEMPLATE "{self.templates[kind]}"')
        with self.lock:
            self.made.add(name)
            self.owed[kind] -= 1
        self.ready[kind].put(name)

    @staticmethod
    def _sql(connection, sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql)
