"""`waystation upgrade-station`: a new release beside the running one, switched to only once it works.

A station PC keeps each release in a virtual environment of its own and runs the one `current`
points at (docs/operations.md, "Upgrading a station"):

    /opt/waystation/releases/0.1.0/            one virtual environment per release
    /opt/waystation/releases/0.2.0/
    /opt/waystation/current -> releases/0.2.0  what the services run
    /usr/local/bin/waystation -> /opt/waystation/current/bin/waystation

An upgrade installs the new release into its own folder (a failed install ends there, the running
release untouched), stops the station's services, copies the kiosk database aside with SQLite's
backup API, migrates the database with the new release, points `current` at it, starts the
services and waits for the kiosk to answer `/healthz` with the new version. If the migration, the
start or the health check fails, it stops the services, points `current` back, puts the database
copy back, starts the old release again and removes the failed one: the station runs what it ran before, with the
database (and the outbox in it) as it was. The copy is taken with the services stopped and put
back only when the new release never answered, so no rider's action can fall in between.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

STATION_UNITS = ("waystation-kiosk.service", "waystation-devices.service")
KEEP_RELEASES = 3
_VERSION = re.compile(r"^waystation (\S+)$")


class UpgradeError(Exception):
    """An upgrade that did not happen; the message says what failed and what the station runs now."""


@dataclass(frozen=True)
class Releases:
    """The releases folder of a station PC: releases/<version>/ and the `current` link."""

    root: Path

    @property
    def current_link(self) -> Path:
        return self.root / "current"

    def current(self) -> Path | None:
        """The release `current` points at, or None before the first one."""
        return self.current_link.resolve() if self.current_link.is_symlink() else None

    def install(self, source: str, wheelhouse: Sequence[str] = (), python: str | None = None,
                run: Callable = subprocess.run) -> tuple[Path, str]:
        """A new release folder with `source` (a requirement or a wheel) installed, and the version it
        reports; nothing else changes.

        `wheelhouse` folders make pip install from them only (`--no-index`), for a station without
        internet. Raises UpgradeError (and removes the half-made folder) when it cannot.
        """
        releases = self.root / "releases"
        releases.mkdir(parents=True, exist_ok=True)
        pending = releases / f".pending-{os.getpid()}-{time.time_ns()}"
        interpreter = python or getattr(sys, "_base_executable", None) or sys.executable
        try:
            _checked(run, [interpreter, "-m", "venv", str(pending)], "creating the release's virtual environment")
            index = [arg for folder in wheelhouse for arg in ("--find-links", str(folder))]
            _checked(run, [str(pending / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", *(["--no-index"] if wheelhouse else []), *index, source],
                     f"installing {source}")
            version = release_version(pending, run)
        except BaseException:
            shutil.rmtree(pending, ignore_errors=True)
            raise
        target = releases / version
        if target.exists() and target.resolve() == self.current():
            target = releases / f"{version}-{time.strftime('%Y%m%d%H%M%S')}"
        elif target.exists():
            shutil.rmtree(target)
        # A virtual environment records its own path: made at `pending`, it is renamed by making the
        # links point at the final folder (pip's scripts name their interpreter by absolute path).
        pending.rename(target)
        _relocate(pending, target)
        return target, version

    def switch(self, release: Path) -> None:
        """Point `current` at `release` in one step (a link made beside it, then renamed over it)."""
        link = self.root / f".current-{os.getpid()}"
        link.unlink(missing_ok=True)
        link.symlink_to(release.relative_to(self.root))
        os.replace(link, self.current_link)

    def prune(self, keep: int = KEEP_RELEASES) -> list[Path]:
        """Remove the oldest releases beyond `keep`, never the current one; what was removed."""
        current = self.current()
        folders = sorted((p for p in (self.root / "releases").iterdir() if p.is_dir() and not p.name.startswith(".")),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        removed = [p for p in folders[keep:] if p.resolve() != current]
        for folder in removed:
            shutil.rmtree(folder)
        return removed


def _relocate(old: Path, new: Path) -> None:
    """Rewrite a renamed virtual environment's own paths (pyvenv.cfg's command, the scripts' #! lines)."""
    old_text, new_text = str(old), str(new)
    for path in [new / "pyvenv.cfg", *(new / "bin").iterdir()]:
        if path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if old_text.encode() in data[:4096] or path.name == "pyvenv.cfg":
            path.write_bytes(data.replace(old_text.encode(), new_text.encode()))


def _checked(run: Callable, command: list[str], what: str) -> subprocess.CompletedProcess:
    result = run(command, capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip().splitlines()[-3:]
        raise UpgradeError(f"{what} failed: {' / '.join(detail) or f'exit status {result.returncode}'}")
    return result


def release_version(release: Path, run: Callable = subprocess.run) -> str:
    """The version a release's own `waystation --version` reports."""
    result = _checked(run, [str(release / "bin" / "waystation"), "--version"], "asking the new release its version")
    match = _VERSION.match(result.stdout.strip())
    if not match:
        raise UpgradeError(f"the new release's `waystation --version` said {result.stdout.strip()!r}")
    return match.group(1)


class SystemdUnits:
    """The station's services as systemd runs them (waystation install-station wrote the units).

    `crashed()`: a unit restarted since `start()` (its process exited; Restart=always brings it
    back, so a release that cannot run would otherwise look like one still starting).
    """

    def __init__(self, units: Sequence[str] = STATION_UNITS):
        self.units = list(units)
        self._restarts: dict[str, int] = {}

    def stop(self) -> None:
        subprocess.run(["systemctl", "stop", *self.units], check=True)

    def start(self) -> None:
        subprocess.run(["systemctl", "start", *self.units], check=True)
        self._restarts = {unit: self._restart_count(unit) for unit in self.units}

    def crashed(self) -> bool:
        return any(self._restart_count(unit) > count for unit, count in self._restarts.items())

    @staticmethod
    def _restart_count(unit: str) -> int:
        shown = subprocess.run(["systemctl", "show", "-p", "NRestarts", "--value", unit], capture_output=True,
                               text=True)
        return int(shown.stdout.strip() or 0) if shown.stdout.strip().isdigit() else 0


def copy_database(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database (its WAL included) by SQLite's backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


def restore_database(copy: Path, path: Path) -> None:
    """Put a copy back as the database (with the services stopped): its WAL and shared-memory files go."""
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    copy_database(copy, path)


def kiosk_health(url: str, timeout: float, gave_up: Callable[[], bool] = lambda: False) -> dict | None:
    """The kiosk's /healthz answer once it gives one within `timeout` seconds, else None (sooner if `gave_up()`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not gave_up():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return json.loads(response.read())
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.5)
    return None


@dataclass
class Upgraded:
    """What an upgrade did: the release now running and the one before it."""

    version: str
    release: Path
    previous: Path | None
    backup: Path | None


def upgrade_station(releases: Releases, source: str, *, config: Path, database: Path, health_url: str,
                    services, wheelhouse: Sequence[str] = (), health_timeout: float = 90.0,
                    say: Callable[[str], None] = print) -> Upgraded:
    """Install `source` as a new release and switch the station to it, or leave it on the old one.

    Raises UpgradeError saying what failed; the station then runs the release it ran before.
    """
    previous = releases.current()
    say(f"installing {source} beside {previous.name if previous else 'no release yet'}")
    release, version = releases.install(source, wheelhouse)
    say(f"installed waystation {version} in {release}")
    services.stop()
    backup = None
    if database.exists():
        backup = database.with_name(f"{database.name}.before-{version}")
        copy_database(database, backup)
        say(f"copied the kiosk database to {backup}")

    def fall_back(reason: str) -> UpgradeError:
        with _quiet_failure():
            services.stop()
        if previous is not None:
            releases.switch(previous)
        if backup is not None:
            restore_database(backup, database)
        if previous is not None:
            services.start()
        shutil.rmtree(release, ignore_errors=True)  # a release that failed is not one to go back to
        running = f"the station runs {previous.name} again" if previous else "nothing was running before"
        return UpgradeError(f"{reason}; {running}, with its database as it was")

    migrated = subprocess.run([str(release / "bin" / "waystation"), "--config", str(config), "migrate", "kiosk"],
                              capture_output=True, text=True)
    if migrated.returncode != 0:
        detail = " / ".join((migrated.stderr or migrated.stdout).strip().splitlines()[-2:])
        raise fall_back(f"migrating the kiosk database with {version} failed ({detail})")
    releases.switch(release)
    services.start()
    health = kiosk_health(health_url, health_timeout, services.crashed)
    if not health or health.get("version") != version:
        seen = (f"it answered {health}" if health else "its service exited" if services.crashed()
                else f"no answer from {health_url} in {health_timeout:g} s")
        raise fall_back(f"waystation {version} did not come up ({seen})")
    say(f"the station runs waystation {version}; {previous.name if previous else 'no release'} is kept")
    releases.prune()
    return Upgraded(version, release, previous, backup)


class _quiet_failure:
    """Keep going when stopping an already failed service fails too (the fallback must run on)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if error is not None:
            log.warning("while falling back: %s", error)
        return isinstance(error, Exception)
