"""A database's schema read back by introspection, to compare a migrated database with a fresh one.

`read_schema` gives, per table: columns (type, nullable, primary key), indexes (columns, unique,
predicate of a partial index), foreign keys and constraints, and on SQLite whether it is WITHOUT
ROWID. `create_fresh` builds what today's models declare: `create_tables` of every model of an app
(every module of the package imported, so a model in a new module counts too) with its indexes.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import uuid
from pathlib import Path

import peewee

from waystation.db import is_sqlite, open_database

DATA = Path(__file__).parent / "data"

# The day and week rollups are WITHOUT ROWID on SQLite (rows in key order); peewee would write the
# option on PostgreSQL too, so the migrations choose it per backend and the fresh build does the same.
SQLITE_WITHOUT_ROWID = {"checkin_daily", "checkin_weekly"}


def app_models(package: str, base: type[peewee.Model]) -> list[type[peewee.Model]]:
    """Every model class defined in any module of a package (imports them all)."""
    root = importlib.import_module(package)
    for info in pkgutil.walk_packages(root.__path__, f"{package}."):
        importlib.import_module(info.name)
    found, todo = [], [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith(f"{package}."):
                found.append(sub)
    return found


def create_fresh(database: peewee.Database, models: list[type[peewee.Model]]) -> None:
    """Create the tables and indexes of these models as they are declared today."""
    sqlite = is_sqlite(database)
    with database.bind_ctx(models), database.connection_context():
        for model in models:
            model._meta.without_rowid = sqlite and model._meta.table_name in SQLITE_WITHOUT_ROWID
        try:
            database.create_tables(models, safe=False)
        finally:
            for model in models:
                model._meta.without_rowid = False


def fresh_schema(url: str, tmp_path: Path, models: list[type[peewee.Model]]) -> dict:
    """The schema of these models built fresh on the backend of `url`: a new SQLite file, or a new
    PostgreSQL schema on the same server (dropped again)."""
    if url.startswith("sqlite"):
        database = open_database(f"sqlite:///{tmp_path / f'fresh-{uuid.uuid4().hex[:8]}.db'}")
        create_fresh(database, models)
        try:
            return read_schema(database)
        finally:
            database.close()
    server = url.split("?", 1)[0]
    schema = f"fresh_{uuid.uuid4().hex[:12]}"
    admin = open_database(server)
    admin.execute_sql(f'CREATE SCHEMA "{schema}"')
    database = open_database(f"{server}?options=-csearch_path%3D{schema}")
    try:
        create_fresh(database, models)
        return read_schema(database)
    finally:
        database.close()
        admin.execute_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


def load_dump(database: peewee.Database, name: str) -> None:
    """Load a text dump from tests/data into an empty database: `sqlite3 .dump` output, or a PostgreSQL
    dump whose tables are named `old_main.<table>` (put into the database's current schema)."""
    text = (DATA / name).read_text(encoding="utf-8")
    with database.connection_context():
        connection = database.connection()
        if is_sqlite(database):
            connection.executescript(text)
            return
        (schema,) = database.execute_sql("SELECT current_schema()").fetchone()
        with connection.cursor() as cursor:  # no parameters: the dump's text is sent as it is
            cursor.execute(text.replace("old_main.", f'"{schema}".'))
        connection.commit()


def _predicate(text: str | None) -> str | None:
    """A partial index's condition without quoting, brackets, casts or spacing: the same text either way."""
    if text is None:
        return None
    return re.sub(r"::\w+|[\"()\s]", "", text).lower()


def read_schema(database: peewee.Database, skip: tuple[str, ...] = ("schema_version",)) -> dict:
    """{table: {"columns", "indexes", "foreign_keys", "constraints", "without_rowid"}} of a database."""
    with database.connection_context():
        return _read_sqlite(database, skip) if is_sqlite(database) else _read_postgresql(database, skip)


def _read_sqlite(database: peewee.Database, skip) -> dict:
    schema = {}
    rows = database.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                                "AND name NOT LIKE 'sqlite_%'").fetchall()
    for table, sql in rows:
        if table in skip:
            continue
        columns = {name: (kind.upper(), not notnull and not pk, bool(pk))
                   for _, name, kind, notnull, _default, pk in database.execute_sql(f'PRAGMA table_info("{table}")')}
        indexes = {}
        for _, name, unique, origin, partial in database.execute_sql(f'PRAGMA index_list("{table}")').fetchall():
            cols = [c for _, _, c in database.execute_sql(f'PRAGMA index_info("{name}")').fetchall()]
            where = None
            if partial:
                (index_sql,) = database.execute_sql("SELECT sql FROM sqlite_master WHERE name = ?", [name]).fetchone()
                where = index_sql.split(" WHERE ", 1)[1]
            indexes[name] = (tuple(cols), bool(unique), origin, _predicate(where))
        keys = sorted((frm, ref, to, on_delete)
                      for _, _, ref, frm, to, _on_update, on_delete, _ in
                      database.execute_sql(f'PRAGMA foreign_key_list("{table}")').fetchall())
        schema[table] = {"columns": columns, "indexes": indexes, "foreign_keys": keys, "constraints": [],
                         "without_rowid": sql.rstrip().upper().endswith("WITHOUT ROWID")}
    return schema


_PG_INDEXES = """
SELECT c.relname, i.indisunique, i.indisprimary, pg_get_expr(i.indpred, i.indrelid),
       ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.ord)
FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
WHERE t.relname = %s AND t.relnamespace = current_schema()::regnamespace
"""
_PG_CONSTRAINTS = """
SELECT con.contype, pg_get_constraintdef(con.oid)
FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid
WHERE t.relname = %s AND t.relnamespace = current_schema()::regnamespace
"""


def _read_postgresql(database: peewee.Database, skip) -> dict:
    schema = {}
    tables = [t for (t,) in database.execute_sql(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'").fetchall() if t not in skip]
    for table in tables:
        primary = set()
        indexes = {}
        for name, unique, is_primary, where, cols in database.execute_sql(_PG_INDEXES, [table]).fetchall():
            indexes[name] = (tuple(cols), unique, "pk" if is_primary else "c", _predicate(where))
            if is_primary:
                primary |= set(cols)
        columns = {}
        for name, kind, length, nullable, default in database.execute_sql(
                "SELECT column_name, data_type, character_maximum_length, is_nullable, column_default "
                "FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = %s",
                [table]).fetchall():
            serial = (default or "").startswith("nextval(")
            columns[name] = (f"{kind}({length})" if length else kind) + (" serial" if serial else ""), \
                nullable == "YES", name in primary
        constraints = sorted(database.execute_sql(_PG_CONSTRAINTS, [table]).fetchall())
        schema[table] = {"columns": columns, "indexes": indexes,
                         "foreign_keys": [d for kind, d in constraints if kind == "f"],
                         "constraints": [(kind, d) for kind, d in constraints if kind != "f"],
                         "without_rowid": False}
    return schema


def differences(migrated: dict, fresh: dict) -> list[str]:
    """What differs between two schemas, one line each, naming the table and the item (empty: the same)."""
    found = []
    for table in sorted(set(migrated) | set(fresh)):
        if table not in fresh:
            found.append(f"{table}: made by the migrations, not declared by any model")
            continue
        if table not in migrated:
            found.append(f"{table}: declared by a model, no migration makes it")
            continue
        a, b = migrated[table], fresh[table]
        for part in ("columns", "indexes"):
            for name in sorted(set(a[part]) | set(b[part])):
                if a[part].get(name) != b[part].get(name):
                    found.append(f"{table}.{part}[{name}]: migrated {a[part].get(name)} != fresh {b[part].get(name)}")
        for part in ("foreign_keys", "constraints", "without_rowid"):
            if a[part] != b[part]:
                found.append(f"{table}.{part}: migrated {a[part]} != fresh {b[part]}")
    return found
