"""Opening databases from a URL with the right settings, and numbered schema migrations."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import peewee
from playhouse.db_url import connect as connect_url

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


def open_database(url: str, busy_timeout_ms: int = 5000) -> peewee.Database:
    """A peewee database for sqlite:///path or postgresql://...; ValueError for anything else."""
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
        return connect_url(url)
    raise ValueError(f"database.url must start with sqlite:/// or postgresql://, got {url!r}")


class UTCDateTimeField(peewee.DateTimeField):
    """A datetime stored as naive UTC (SQLite text, PostgreSQL timestamp) and read back timezone-aware."""

    def db_value(self, value):
        if isinstance(value, datetime):
            if value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            # Text in the form peewee reads back; both databases take it, with no driver-side adapter
            # (sqlite3 deprecates its default one, and it costs more than the insert on the ingest path).
            return value.isoformat(" ", "microseconds")
        return super().db_value(value)

    def python_value(self, value):
        value = super().python_value(value)
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
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


class SchemaVersion(peewee.Model):
    """Which numbered migrations a database has had."""

    number = peewee.IntegerField(primary_key=True)
    name = peewee.CharField()
    applied_at = UTCDateTimeField()

    class Meta:
        table_name = "schema_version"


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
    """Apply, in order and each in its own transaction, the migrations this database has not had."""
    with db.bind_ctx([SchemaVersion]), db.connection_context():
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
