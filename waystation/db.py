"""Opening databases from a URL with the right settings, and numbered schema migrations."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import peewee
from playhouse.db_url import connect as connect_url
from playhouse.db_url import parse as parse_url

log = logging.getLogger(__name__)

Migration = tuple[int, str, Callable[[peewee.Database], None]]


# Transactions take SQLite's write lock when they begin. A deferred transaction that reads, then
# writes after another connection has committed fails at once with "database is locked" (WAL cannot
# upgrade a stale snapshot, and the busy timeout does not apply); an immediate one waits its turn.
SQLITE_LOCK = "IMMEDIATE"


def sqlite_pragmas(busy_timeout_ms: int) -> dict:
    """WAL (readers never wait for the writer), enforced foreign keys, a bounded lock wait."""
    return {
        "journal_mode": "wal",
        "synchronous": "normal",  # durable across process crashes; with WAL only a power cut may lose the last commit
        "foreign_keys": 1,
        "busy_timeout": busy_timeout_ms,
    }


def open_database(url: str, busy_timeout_ms: int = 5000, random_page_cost: float = 1.1,
                  jit: bool = False) -> peewee.Database:
    """A peewee database for sqlite:///path or postgresql://...; ValueError for anything else.

    On PostgreSQL every connection plans with `random_page_cost` (0: the server's own) and, unless
    `jit`, without JIT compilation, both set as it opens (libpq's `options`, no extra round trip):
    database.postgresql_random_page_cost and database.postgresql_jit.
    """
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = url[len("sqlite:///"):]
        if not path:
            raise ValueError(f"database.url needs a file path: {url!r}")
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Web threads share pooled connections, so the connection may move between threads.
        return peewee.SqliteDatabase(path, pragmas=sqlite_pragmas(busy_timeout_ms), check_same_thread=False,
                                     lock_type=SQLITE_LOCK)
    if scheme in ("postgresql", "postgres"):
        planner = [] if jit else ["-c jit=off"]
        if random_page_cost:
            planner.append(f"-c random_page_cost={float(random_page_cost)}")
        if not planner:
            return connect_url(url)
        kwargs = parse_url(url)
        # Kept with any options the URL gives (a search_path, say).
        kwargs["options"] = " ".join([kwargs.get("options", ""), *planner]).strip()
        return peewee.PostgresqlDatabase(kwargs.pop("database"), **kwargs)
    raise ValueError(f"database.url must start with sqlite:/// or postgresql://, got {url!r}")


def open_configured(database) -> peewee.Database:
    """Central's database as its `[database]` settings say (url, lock wait, PostgreSQL's planner settings)."""
    return open_database(database.url, database.busy_timeout_ms, database.postgresql_random_page_cost,
                         database.postgresql_jit)


class UTCDateTimeField(peewee.DateTimeField):
    """A datetime stored as naive UTC (SQLite text, PostgreSQL timestamp) and read back timezone-aware."""

    def db_value(self, value):
        if isinstance(value, datetime):
            # Text in the form peewee reads back; both databases take it, with no driver-side adapter
            # (sqlite3 deprecates its default one, and it costs more than the insert on the ingest path).
            if value.tzinfo is None:
                return value.isoformat(" ", "microseconds")
            if value.tzinfo is not UTC:
                value = value.astimezone(UTC)
            return value.isoformat(" ", "microseconds")[:-6]  # less its "+00:00" (cheaper than replace())
        return super().db_value(value)

    def python_value(self, value):
        # What db_value writes (and PostgreSQL's own text) reads with fromisoformat, many times faster
        # than peewee's way of trying its formats one strptime at a time (a page or a batch reads
        # thousands of these); anything else still goes peewee's way.
        # Read as UTC in the parse itself: a datetime's replace() costs several times the parse.
        if isinstance(value, str) and len(value) > 10:  # a date alone would ignore the offset
            try:
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:
                pass  # one with an offset of its own, or another form
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                value = super().python_value(value)
        else:
            value = super().python_value(value)
        if isinstance(value, datetime):
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


class JSONField(peewee.TextField):
    """A JSON value (object, list, number...) stored as text on SQLite and PostgreSQL alike, read back as Python."""

    def db_value(self, value):
        return None if value is None else json.dumps(value, ensure_ascii=False, default=str)

    def python_value(self, value):
        return None if value is None else json.loads(value)


def insert_rows(db: peewee.Database, model: type[peewee.Model], rows: list[dict], new_key: str | None = None,
                *, skip_conflicts: bool = False):
    """Insert rows in one statement; with `new_key`, skip rows whose key is stored and return the new keys.

    `skip_conflicts` skips rows that any unique index already holds (and returns nothing).

    One multi-row INSERT (with ON CONFLICT DO NOTHING RETURNING for `new_key`, SQLite 3.35+ and
    PostgreSQL): the database says which rows it took, and no per-value query objects are built,
    which is most of the cost of peewee's insert_many on the ingest hot path.
    """
    if not rows:
        return set()
    columns = list(rows[0])
    fields = [model._meta.fields[c] for c in columns]
    # Only datetimes need converting; strings and numbers go to the driver as they are.
    convert = [f.db_value if isinstance(f, peewee.DateTimeField) else None for f in fields]
    row_sql = "(" + ", ".join([db.param] * len(columns)) + ")"
    sql = (f"INSERT INTO {model._meta.table_name} ({', '.join(f.column_name for f in fields)}) "
           f"VALUES {', '.join([row_sql] * len(rows))}")
    if new_key:
        key_column = model._meta.fields[new_key].column_name
        sql += f" ON CONFLICT ({key_column}) DO NOTHING RETURNING {key_column}"
    elif skip_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    params = [value if to_db is None else to_db(value)
              for row in rows for to_db, value in zip(convert, row.values(), strict=True)]
    cursor = db.execute_sql(sql, params)
    return {found for (found,) in cursor.fetchall()} if new_key else set()


def _values_sql(db: peewee.Database, fields: list[peewee.Field], count: int) -> str:
    """`VALUES (...), (...)` with a parameter per column; PostgreSQL's typed by the column (a VALUES list is text)."""
    if is_sqlite(db):
        row_sql = "(" + ", ".join([db.param] * len(fields)) + ")"
    else:
        row_sql = "(" + ", ".join(f"CAST({db.param} AS {_PG_TYPES.get(f.field_type, 'text')})" for f in fields) + ")"
    return "VALUES " + ", ".join([row_sql] * count)


_PG_TYPES = {"DATETIME": "timestamp", "INT": "integer", "BIGINT": "bigint", "DOUBLE": "double precision",
             "FLOAT": "real", "BOOL": "boolean", "VARCHAR": "text", "TEXT": "text"}


def _params(fields: list[peewee.Field], rows: list[dict]) -> list:
    convert = [f.db_value if isinstance(f, peewee.DateTimeField) else None for f in fields]
    return [value if to_db is None else to_db(value)
            for row in rows for to_db, value in zip(convert, row.values(), strict=True)]


def upsert_rows(db: peewee.Database, model: type[peewee.Model], rows: list[dict], key: Sequence[str],
                newer: str | None = None) -> None:
    """Insert rows or update the stored ones with the same key, in one statement per 500 rows.

    With `newer`, a stored row is only updated when its `newer` column is NULL or not after the
    new row's (so a value received earlier never overwrites one received later). Rows must be
    one per key (one statement cannot touch a row twice).
    """
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        columns = list(chunk[0])
        fields = [model._meta.fields[c] for c in columns]
        table = model._meta.table_name
        keys = [model._meta.fields[k].column_name for k in key]
        sets = ", ".join(f"{f.column_name} = excluded.{f.column_name}" for f in fields if f.name not in key)
        row_sql = "(" + ", ".join([db.param] * len(columns)) + ")"
        sql = (f"INSERT INTO {table} ({', '.join(f.column_name for f in fields)}) "
               f"VALUES {', '.join([row_sql] * len(chunk))} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}")
        if newer:
            column = model._meta.fields[newer].column_name
            sql += f" WHERE {table}.{column} IS NULL OR {table}.{column} <= excluded.{column}"
        db.execute_sql(sql, _params(fields, chunk))


def update_rows(db: peewee.Database, model: type[peewee.Model], rows: list[dict], key: Sequence[str],
                newer: str | None = None) -> set[tuple]:
    """Update stored rows (never insert) from rows naming their key, one statement per 500; the keys updated.

    With `newer`, only where the stored `newer` column is NULL or not after the new value. Rows
    must be one per key.
    """
    updated: set[tuple] = set()
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        columns = list(chunk[0])
        fields = [model._meta.fields[c] for c in columns]
        table = model._meta.table_name
        names = [f.column_name for f in fields]
        keys = [model._meta.fields[k].column_name for k in key]
        sets = ", ".join(f"{n} = v.{n}" for f, n in zip(fields, names, strict=True) if f.name not in key)
        where = " AND ".join(f"{table}.{k} = v.{k}" for k in keys)
        if newer:
            column = model._meta.fields[newer].column_name
            where += f" AND ({table}.{column} IS NULL OR {table}.{column} <= v.{column})"
        sql = (f"WITH v ({', '.join(names)}) AS ({_values_sql(db, fields, len(chunk))}) "
               f"UPDATE {table} SET {sets} FROM v WHERE {where} RETURNING {', '.join(f'{table}.{k}' for k in keys)}")
        updated.update(tuple(row) for row in db.execute_sql(sql, _params(fields, chunk)).fetchall())
    return updated


def select_rows(db: peewee.Database, model: type[peewee.Model], key: Sequence[str], columns: Sequence[str],
                wanted: Sequence[tuple]) -> list[tuple]:
    """The key and `columns` of the stored rows whose key is one of `wanted`, one statement per 500 keys.

    A join on a VALUES list: one index lookup per key, where `IN` on the key's first column would
    read every row under it (a batch of 500 slot reports read 4,000 slot rows, eight a station).
    Datetimes and booleans are read back as the model reads them; other values as the driver gives them.
    """
    key_fields = [model._meta.fields[k] for k in key]
    fields = [*key_fields, *(model._meta.fields[c] for c in columns)]
    convert = [f.python_value if isinstance(f, peewee.DateTimeField | peewee.BooleanField) else None
               for f in fields]
    names = [f"k{n}" for n in range(len(key_fields))]
    on = " AND ".join(f"t.{f.column_name} = w.{n}" for f, n in zip(key_fields, names, strict=True))
    selected = ", ".join(f"t.{f.column_name}" for f in fields)
    found = []
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        sql = (f"WITH w ({', '.join(names)}) AS ({_values_sql(db, key_fields, len(chunk))}) "
               f"SELECT {selected} FROM {model._meta.table_name} AS t JOIN w ON {on}")
        for row in db.execute_sql(sql, [value for keys in chunk for value in keys]).fetchall():
            found.append(tuple(value if to_py is None or value is None else to_py(value)
                               for to_py, value in zip(convert, row, strict=True)))
    return found


class SchemaVersion(peewee.Model):
    """Which numbered migrations a database has had."""

    number = peewee.IntegerField(primary_key=True)
    name = peewee.CharField()
    applied_at = UTCDateTimeField()

    class Meta:
        table_name = "schema_version"


# PostgreSQL server settings central depends on, and what goes wrong without them.
POSTGRESQL_EXPECTS = {
    "autovacuum": ("on", "autovacuum is off on this PostgreSQL server: the live-state tables (devicestate, "
                         "chargerslotstate, stationlive) take thousands of updates a second and, never vacuumed, "
                         "grow by a dead row version per update, so every dashboard and batch read slows as they "
                         "grow. Turn it on (autovacuum = on), or vacuum those tables on a schedule"),
}


def postgresql_settings(database: peewee.Database) -> dict[str, str]:
    """The server's values of the settings in POSTGRESQL_EXPECTS (PostgreSQL only)."""
    marks = ", ".join([database.param] * len(POSTGRESQL_EXPECTS))
    rows = database.execute_sql(f"SELECT name, setting FROM pg_settings WHERE name IN ({marks})",
                                list(POSTGRESQL_EXPECTS)).fetchall()
    return dict(rows)


def server_warnings(settings: dict[str, str]) -> list[str]:
    """What the operator must fix, for server settings as postgresql_settings() reads them."""
    return [why for name, (wanted, why) in POSTGRESQL_EXPECTS.items() if settings.get(name, wanted) != wanted]


def warn_about_server(database: peewee.Database) -> list[str]:
    """Log (warning) what is wrong with the database server's settings for central; the warnings."""
    if is_sqlite(database):
        return []
    with database.connection_context():
        warnings = server_warnings(postgresql_settings(database))
    for warning in warnings:
        log.warning("%s", warning)
    return warnings


# PostgreSQL's advisory lock for migrating, one per schema (tests migrate schemas of one database side by side).
_MIGRATION_LOCK_SQL = "SELECT {}(hashtext('waystation.migrate:' || current_schema()))"


@contextlib.contextmanager
def _migrating(db: peewee.Database) -> Iterator[None]:
    """A connection held by one migrating process at a time; waits (saying so) while another migrates. A
    process that dies lets it go: an flock on a file beside a SQLite database, taken before connecting (a
    new file's switch to WAL fails at once, busy timeout or not, while another process makes the same
    switch), or a session's advisory lock on PostgreSQL."""
    if not is_sqlite(db):
        with db.connection_context(), _advisory_lock(db):
            yield
        return
    path = getattr(db, "obj", db).database
    alone = not path or ":memory:" in path  # a database no other process can open
    with contextlib.nullcontext() if alone else _file_lock(f"{path}-migrate.lock"), db.connection_context():
        yield


@contextlib.contextmanager
def _file_lock(path: str) -> Iterator[None]:
    try:
        # Read-only is enough for flock, so a lock file another user made (root's migrate) still opens.
        lock = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    except OSError as e:
        log.warning("cannot open %s (%s): migrating without waiting for other processes", path, e)
        yield
        return
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("another process is migrating (%s held); waiting for it", path)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
    finally:
        os.close(lock)  # and with it the lock


@contextlib.contextmanager
def _advisory_lock(db: peewee.Database) -> Iterator[None]:
    if not db.execute_sql(_MIGRATION_LOCK_SQL.format("pg_try_advisory_lock")).fetchone()[0]:
        log.info("another process is migrating this database; waiting for it")
        db.execute_sql(_MIGRATION_LOCK_SQL.format("pg_advisory_lock")).fetchone()
    try:
        yield
    finally:
        # A connection that failed takes its session's lock with it.
        with contextlib.suppress(peewee.PeeweeException):
            db.execute_sql(_MIGRATION_LOCK_SQL.format("pg_advisory_unlock")).fetchone()


def is_sqlite(database: peewee.Database) -> bool:
    """Whether a database (or the database behind a proxy) is SQLite: frozen migrations hold SQL per backend."""
    return isinstance(getattr(database, "obj", database), peewee.SqliteDatabase)


def run_sql(database: peewee.Database, sqlite: str, postgresql: str | None = None) -> None:
    """Run a frozen migration's script for this backend, one statement at a time, in the caller's transaction.

    Statements end with a semicolon at the end of a line. Not `executescript`, which commits first.
    """
    script = sqlite if is_sqlite(database) else postgresql
    if script is None:
        raise ValueError("this migration has SQL for SQLite only")
    for statement in script.split(";\n"):
        if statement.strip():
            database.execute_sql(statement)


def migrate(db: peewee.Database, migrations: Sequence[Migration]) -> list[int]:
    """Apply, in order and each in its own transaction, the migrations this database has not had.

    One process at a time: central and its ingest workers start together and each migrates at start,
    so the others wait for the one migrating (`_migrating`), then find its work done.
    """
    with db.bind_ctx([SchemaVersion]), _migrating(db):
        db.create_tables([SchemaVersion], safe=True)
        done = {row.number for row in SchemaVersion.select(SchemaVersion.number)}
        applied = []
        for number, name, up in sorted(migrations, key=lambda m: m[0]):
            if number in done:
                continue
            with db.atomic():
                up(db)
                SchemaVersion.create(number=number, name=name, applied_at=datetime.now(UTC))
            log.info("applied migration %04d %s", number, name)
            applied.append(number)
        return applied
