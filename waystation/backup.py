"""Backups that restore: a timestamped, checksummed copy of a database, its retention, and a restore that checks.

A SQLite database (central's or a kiosk's) is copied with SQLite's online backup API: one consistent
snapshot taken in a read transaction, so the running app and ingest go on writing (WAL) meanwhile;
the copy passes `PRAGMA integrity_check` before it counts. A PostgreSQL database is dumped with
`pg_dump --format=custom` (one consistent snapshot too), which `pg_restore --list` must read back.
Each backup is one file, `<name>-<UTC time>.sqlite` or `.pgdump`, written under a temporary name and
renamed when complete, with `<file>.sha256` beside it in `sha256sum` format (`sha256sum -c` checks
it by hand).

Only the database goes in: never a settings file, so never `central.data_key` or `secret_key`
(they are settings, not rows). Back the data key up apart from the backups (docs/operations.md).

A restore refuses a file whose checksum is missing or wrong (a truncated or damaged copy), a SQLite
file that fails its integrity check, and a PostgreSQL dump pg_restore cannot read, with a message
saying so; it writes into an empty target only, unless told to replace what is there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

STAMP = "%Y%m%dT%H%M%SZ"
EXTENSIONS = ("sqlite", "pgdump")


class BackupError(Exception):
    """A backup or restore that cannot be done; `key` names its message (locales [backup]), `params` fill it."""

    def __init__(self, key: str, **params):
        super().__init__(f"{key}: {params}")
        self.key, self.params = key, params


@dataclass(frozen=True)
class Backup:
    """One backup file: its path, the database it is of (`name`), when it was made, and its kind."""

    path: Path
    name: str
    made_at: datetime
    kind: str  # "sqlite" or "pgdump"

    @property
    def checksum_file(self) -> Path:
        return self.path.with_name(self.path.name + ".sha256")


def sha256_of(path: Path) -> str:
    """The file's SHA-256, in hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_name(path: Path) -> Backup | None:
    """The backup a file name describes (`central-20261201T020000Z.sqlite`), or None for any other file."""
    found = re.fullmatch(r"(?P<name>.+)-(?P<stamp>\d{8}T\d{6}Z)(?:-(?P<n>\d+))?\.(?P<ext>sqlite|pgdump)", path.name)
    if not found:
        return None
    made_at = datetime.strptime(found["stamp"], STAMP).replace(tzinfo=UTC)
    return Backup(path, found["name"], made_at, found["ext"])


def _new_path(folder: Path, name: str, kind: str, now: datetime) -> Path:
    stamp = now.astimezone(UTC).strftime(STAMP)
    path, n = folder / f"{name}-{stamp}.{kind}", 1
    while path.exists():  # two backups in one second
        path, n = folder / f"{name}-{stamp}-{n}.{kind}", n + 1
    return path


def sqlite_path(url: str) -> Path:
    """The file of a sqlite:/// URL."""
    return Path(url[len("sqlite:///"):])


def backup_database(url: str, folder: Path, name: str, *, pg_dump: str = "pg_dump", pg_restore: str = "pg_restore",
                    now: datetime | None = None) -> Backup:
    """Back up the database at `url` (sqlite:/// or postgresql://) into `folder`; the finished backup."""
    folder.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    sqlite = urlsplit(url).scheme == "sqlite"
    path = _new_path(folder, name, "sqlite" if sqlite else "pgdump", now)
    partial = path.with_name(path.name + ".part")
    try:
        if sqlite:
            _copy_sqlite(sqlite_path(url), partial)
        else:
            _pg_dump(url, partial, pg_dump)
            _run([pg_restore, "--list", str(partial)], dict(os.environ), "copy_unreadable")  # it reads back
        checksum = sha256_of(partial)
        partial.replace(path)
        path.with_name(path.name + ".sha256").write_text(f"{checksum}  {path.name}\n")
    finally:
        partial.unlink(missing_ok=True)
    log.info("backed up %s to %s (%d bytes, sha256 %s)", name, path, path.stat().st_size, checksum)
    return parse_name(path)


def _copy_sqlite(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError("no_database", path=str(source))
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # every page in one step: one snapshot, while writers go on in the WAL
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        result = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if result != "ok":
        raise BackupError("copy_corrupt", detail=result)


def _pg_args(url: str) -> tuple[str, dict[str, str]]:
    """A libpq URL without its password (which goes in PGPASSWORD, not the process list), and the environment."""
    parts = urlsplit(url)
    env = dict(os.environ)
    if parts.password:
        env["PGPASSWORD"] = parts.password
        host = parts.hostname or ""
        netloc = f"{parts.username}@{host}" + (f":{parts.port}" if parts.port else "")
        url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return url.replace("postgres://", "postgresql://", 1), env


def _run(command: list[str], env: dict[str, str], failure: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=6 * 3600)
    except FileNotFoundError:
        raise BackupError("tool_missing", tool=command[0]) from None
    if done.returncode != 0:
        raise BackupError(failure, detail=(done.stderr or done.stdout).strip()[-500:])


def _pg_dump(url: str, target: Path, pg_dump: str) -> None:
    dsn, env = _pg_args(url)
    _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", f"--dbname={dsn}"], env,
         "dump_failed")


# --- retention -------------------------------------------------------------------------------------

def backups_in(folder: Path, name: str) -> list[Backup]:
    """The backups of database `name` in a folder, newest first."""
    if not folder.is_dir():
        return []
    found = [b for b in map(parse_name, folder.iterdir()) if b is not None and b.name == name]
    return sorted(found, key=lambda b: (b.made_at, b.path.name), reverse=True)


def apply_retention(folder: Path, name: str, keep: int, keep_days: int, now: datetime | None = None) -> list[Path]:
    """Delete the backups of `name` that are neither among the newest `keep` nor younger than `keep_days`."""
    now = now or datetime.now(UTC)
    removed = []
    for backup in backups_in(folder, name)[keep:]:
        if backup.made_at < now - timedelta(days=keep_days):
            backup.path.unlink(missing_ok=True)
            backup.checksum_file.unlink(missing_ok=True)
            removed.append(backup.path)
    if removed:
        log.info("retention: removed %d old backups of %s", len(removed), name)
    return removed


# --- restore ---------------------------------------------------------------------------------------

def verify(path: Path) -> Backup:
    """Check a backup before anything is restored from it: name, checksum, and that its content reads."""
    backup = parse_name(path)
    if backup is None:
        raise BackupError("not_a_backup", path=str(path))
    if not path.is_file():
        raise BackupError("no_file", path=str(path))
    if not backup.checksum_file.is_file():
        raise BackupError("no_checksum", path=str(backup.checksum_file))
    expected = backup.checksum_file.read_text().split()[:1]
    if not expected or not re.fullmatch(r"[0-9a-f]{64}", expected[0]):
        raise BackupError("bad_checksum_file", path=str(backup.checksum_file))
    if sha256_of(path) != expected[0]:
        raise BackupError("checksum_mismatch", path=str(path))
    if backup.kind == "sqlite":
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                result = connection.execute("PRAGMA integrity_check").fetchone()[0]
                tables = connection.execute("SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'"
                                            ).fetchone()[0]
            finally:
                connection.close()
        except sqlite3.DatabaseError as e:
            raise BackupError("unreadable", path=str(path), detail=str(e)) from None
        if result != "ok" or not tables:
            raise BackupError("unreadable", path=str(path), detail=result if result != "ok" else "no schema_version")
    return backup


def restore_database(path: Path, url: str, *, replace: bool = False, pg_restore: str = "pg_restore",
                     now: datetime | None = None) -> Path | None:
    """Restore a verified backup into the database at `url`; the replaced SQLite file kept aside, if any.

    The target must be empty (no SQLite file, or a PostgreSQL database without tables) unless `replace`.
    Stop the processes using the database first.
    """
    backup = verify(path)
    sqlite = urlsplit(url).scheme == "sqlite"
    if sqlite != (backup.kind == "sqlite"):
        raise BackupError("wrong_kind", kind=backup.kind, url=_without_password(url))
    if sqlite:
        return _restore_sqlite(backup.path, sqlite_path(url), replace, now or datetime.now(UTC))
    _restore_postgres(backup.path, url, replace, pg_restore)
    return None


def _restore_sqlite(source: Path, target: Path, replace: bool, now: datetime) -> Path | None:
    kept = None
    if target.exists() and target.stat().st_size > 0:
        if not replace:
            raise BackupError("target_not_empty", target=str(target))
        kept = target.with_name(f"{target.name}.before-restore-{now.astimezone(UTC).strftime(STAMP)}")
        target.replace(kept)
    for suffix in ("-wal", "-shm"):  # an old write-ahead log must never be replayed onto the restored file
        side = target.with_name(target.name + suffix)
        if side.exists():
            if kept is not None:
                side.replace(kept.with_name(kept.name + suffix))
            else:
                side.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    shutil.copyfile(source, partial)
    partial.replace(target)
    log.info("restored %s from %s", target, source)
    return kept


def _restore_postgres(source: Path, url: str, replace: bool, pg_restore: str) -> None:
    dsn, env = _pg_args(url)
    # A dump pg_restore cannot list is not restored at all.
    _run([pg_restore, "--list", str(source)], env, "unreadable_dump")
    import peewee
    from playhouse.db_url import connect

    database = connect(url)
    try:
        tables = database.get_tables()
    except peewee.OperationalError as e:
        raise BackupError("target_unreachable", url=_without_password(url), detail=str(e)) from None
    finally:
        database.close()
    if tables and not replace:
        raise BackupError("target_not_empty", target=_without_password(url))
    _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          *(["--clean", "--if-exists"] if tables else []), f"--dbname={dsn}", str(source)], env, "restore_failed")
    log.info("restored %s from %s", _without_password(url), source)


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
