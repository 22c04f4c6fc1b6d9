"""`waystation backup` and `restore` as an operator runs them: files, messages, retention, refusals, the units."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import SECRETS
from tests.test_backups import Elsewhere, table_rows
from waystation import cli
from waystation.backup import apply_retention, backups_in, sha256_of
from waystation.paths import PROJECT_ROOT

SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "systemd-analyze"


def run(monkeypatch, capsys, *argv, lang: str = "en_US.UTF-8", **env):
    """The command line in this process with these WAYSTATION_<KEY> settings; exit status, stdout, stderr."""
    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    monkeypatch.setenv("LANG", lang)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(f"WAYSTATION_{key.upper()}", str(value))
    rc = cli.main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


@pytest.fixture
def elsewhere(tmp_path):
    places = Elsewhere(tmp_path)
    yield places
    places.drop()


@pytest.fixture
def central_db(central_settings, tmp_path, monkeypatch):
    """A seeded central database, named to the commands by environment (with this run's secrets)."""
    settings = central_settings(template="seeded")
    monkeypatch.setenv("WAYSTATION_CENTRAL_DATA_KEY", SECRETS["central"]["data_key"])
    monkeypatch.setenv("WAYSTATION_CENTRAL_SECRET_KEY", SECRETS["central"]["secret_key"])
    return settings.database.url


def test_backup_then_restore_elsewhere_and_the_data_key_is_not_in_it(central_db, tmp_path, monkeypatch, capsys,
                                                                     elsewhere):
    folder = tmp_path / "backups"
    rc, out, err = run(monkeypatch, capsys, "backup", "central", database_url=central_db, backup_dir=folder)
    assert rc == 0, err
    [made] = backups_in(folder, "central")
    assert f"Backed up to {made.path}" in out and made.checksum_file.exists()
    line = made.checksum_file.read_text()
    assert line == f"{sha256_of(made.path)}  {made.path.name}\n"  # sha256sum -c reads it
    subprocess.run(["sha256sum", "-c", made.checksum_file.name], cwd=folder, check=True, capture_output=True)
    body = made.path.read_bytes()
    for secret in (SECRETS["central"]["data_key"], SECRETS["central"]["secret_key"]):
        assert secret.encode() not in body

    url = elsewhere.new(central_db)
    rc, out, err = run(monkeypatch, capsys, "restore", "central", str(made.path), database_url=url)
    assert rc == 0, err
    assert "Restored from" in out and "central.data_key" in out
    rc, _, err = run(monkeypatch, capsys, "migrate", "central", database_url=url)
    assert rc == 0, err
    assert table_rows(url) == table_rows(central_db)
    # Not into a database that has data, unless told; then a SQLite file is kept aside.
    rc, _, err = run(monkeypatch, capsys, "restore", "central", str(made.path), database_url=url, lang="zh_CN.UTF-8")
    assert rc == 1 and "不是空的" in err and "--replace" in err
    rc, out, err = run(monkeypatch, capsys, "restore", "central", str(made.path), "--replace", database_url=url)
    assert rc == 0, err
    assert table_rows(url) == table_rows(central_db)
    if url.startswith("sqlite"):
        target = Path(url[len("sqlite:///"):])
        assert list(target.parent.glob("central.db.before-restore-*")) and "kept" in out


def test_a_truncated_backup_is_refused_with_a_clear_message_and_changes_nothing(central_db, tmp_path, monkeypatch,
                                                                              capsys, elsewhere):
    folder = tmp_path / "backups"
    assert run(monkeypatch, capsys, "backup", "central", database_url=central_db, backup_dir=folder)[0] == 0
    [made] = backups_in(folder, "central")
    data = made.path.read_bytes()
    made.path.write_bytes(data[: len(data) // 2])
    url = elsewhere.new(central_db)
    rc, out, err = run(monkeypatch, capsys, "restore", "central", str(made.path), database_url=url)
    assert rc == 1 and out == ""
    assert "does not match: the file is damaged or incomplete (truncated, for example)" in err
    rc, _, err = run(monkeypatch, capsys, "restore", "central", str(made.path), database_url=url, lang="zh_CN.UTF-8")
    assert rc == 1 and "校验和不符" in err and "被截断" in err
    assert table_rows(url) == {}
    # With its checksum file gone it is refused too; and so is a file with a right checksum but no database in it.
    made.checksum_file.unlink()
    rc, _, err = run(monkeypatch, capsys, "restore", "central", str(made.path), database_url=url)
    assert rc == 1 and "checksum file" in err and "missing" in err
    fake = folder / "central-20260101T000000Z.sqlite"
    fake.write_bytes(b"not a database at all" * 100)
    (folder / f"{fake.name}.sha256").write_text(f"{sha256_of(fake)}  {fake.name}\n")
    rc, _, err = run(monkeypatch, capsys, "restore", "central", str(fake), database_url=url)
    assert rc == 1 and "cannot be read as a database" in err and table_rows(url) == {}


def test_retention_keeps_the_newest_and_the_young(tmp_path):
    now = datetime(2026, 12, 1, 3, 15, tzinfo=UTC)
    made = []
    for days in (0, 1, 2, 5, 9, 20, 40):
        path = tmp_path / f"central-{(now - timedelta(days=days)).strftime('%Y%m%dT%H%M%SZ')}.sqlite"
        path.write_bytes(b"x")
        Path(f"{path}.sha256").write_text("x")
        made.append(path)
    other = tmp_path / "kiosk-xh-longhua-20200101T000000Z.sqlite"
    other.write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("kept")
    removed = apply_retention(tmp_path, "central", keep=2, keep_days=7, now=now)
    # The newest two are kept whatever their age, and everything younger than 7 days.
    assert sorted(removed) == sorted(made[4:])
    assert all(p.exists() for p in made[:4]) and not any(p.exists() for p in made[4:])
    assert not any(Path(f"{p}.sha256").exists() for p in made[4:])
    assert other.exists() and (tmp_path / "notes.txt").exists()
    assert apply_retention(tmp_path, "central", keep=0, keep_days=1, now=now) == made[2:4]


def test_a_kiosk_database_backs_up_and_restores(kiosk_settings, tmp_path, monkeypatch, capsys):
    from kiosk.models import database_path

    settings = kiosk_settings(migrated=True)
    path = Path(database_path(settings))
    monkeypatch.setenv("WAYSTATION_KIOSK_SECRET_KEY", SECRETS["kiosk"]["secret_key"])
    env = {"kiosk_database_path": str(tmp_path / "kiosk-{station}.db"), "backup_dir": tmp_path / "backups"}
    rc, out, err = run(monkeypatch, capsys, "backup", "kiosk", "--station", "xh-xujiahui", **env)
    assert rc == 0, err
    [made] = backups_in(tmp_path / "backups", "kiosk-xh-xujiahui")
    path.unlink()
    rc, _, err = run(monkeypatch, capsys, "restore", "kiosk", str(made.path), "--station", "xh-xujiahui", **env)
    assert rc == 0, err
    with sqlite3.connect(path) as restored:
        assert restored.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert restored.execute("SELECT count(*) FROM schema_version").fetchone()[0] >= 5


def test_the_shipped_backup_timer_and_service_pass_systemd_analyze_verify(tmp_path):
    service = (PROJECT_ROOT / "config/systemd/waystation-backup.service").read_text()
    timer = (PROJECT_ROOT / "config/systemd/waystation-backup.timer").read_text()
    assert "Type=oneshot" in service and "backup central" in service and "data_key" in service
    assert "OnCalendar=*-*-* 03:15:00" in timer and "Persistent=true" in timer
    # Verified as shipped, with the program's path pointed at this checkout's (so it exists here).
    (tmp_path / "waystation-backup.service").write_text(
        service.replace("/opt/waystation/.venv/bin/waystation", shutil.which("waystation") or "/bin/true"))
    (tmp_path / "waystation-backup.timer").write_text(timer)
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(tmp_path / "waystation-backup.service"),
                             str(tmp_path / "waystation-backup.timer")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    broken = timer.replace("OnCalendar=*-*-* 03:15:00", "OnCalendar=daily at 3")
    (tmp_path / "waystation-backup.timer").write_text(broken)
    complaint = subprocess.run([SYSTEMD_ANALYZE, "verify", str(tmp_path / "waystation-backup.timer")],
                               capture_output=True, text=True, timeout=60)
    assert complaint.returncode != 0 or complaint.stderr.strip()  # the check sees a broken timer
