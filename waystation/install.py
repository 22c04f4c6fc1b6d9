"""`waystation install-station`: put the station's systemd units and kiosk browser launcher in place.

Fills the shipped templates in config/systemd/ (the waystation command, the service user, the state
directory, the kiosk port, the station id from the site file) and writes them under a root ("/" on
the station PC, a temporary folder in tests); on "/" it also reloads systemd and enables them.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from waystation.paths import CONFIG_DIR

log = logging.getLogger(__name__)

UNITS_DIR = CONFIG_DIR / "systemd"
SYSTEM_UNITS = ("waystation-kiosk.service", "waystation-devices.service")
USER_UNITS = ("waystation-kiosk-browser.service",)
LAUNCHER = "waystation-kiosk-browser"
PLACEHOLDER = re.compile(r"@[A-Z_]+@")


@dataclass(frozen=True)
class Installed:
    """What install-station wrote, as paths under the root."""

    files: list[Path]
    enabled: bool


def fill(text: str, values: dict[str, str]) -> str:
    """A template with its @NAME@ placeholders replaced; ValueError names one left unfilled."""
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    left = PLACEHOLDER.search(text)
    if left:
        raise ValueError(f"unfilled placeholder in a unit template: {left.group(0)}")
    return text


def _write(path: Path, text: str, mode: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)


def install_station(settings, root: Path, *, user: str = "waystation", waystation: str | None = None,
                    state_dir: str = "/var/lib/waystation", bin_dir: str = "/usr/local/bin",
                    enable: bool | None = None) -> Installed:
    """Write the units and the launcher under `root`; on "/" reload systemd and enable them (unless enable=False)."""
    settings.require("kiosk.station_id")
    # The console script on PATH, else this very interpreter running the CLI module.
    command = waystation or shutil.which("waystation") or f"{sys.executable} -m waystation.cli"
    values = {"WAYSTATION": command, "USER": user, "STATE_DIR": state_dir, "BIN_DIR": bin_dir,
              "PORT": str(settings.kiosk.port), "STATION": settings.kiosk.station_id}
    root = Path(root)
    written = []
    for name in SYSTEM_UNITS:
        target = root / "etc/systemd/system" / name
        _write(target, fill((UNITS_DIR / name).read_text(), values), 0o644)
        written.append(target)
    for name in USER_UNITS:
        target = root / "etc/systemd/user" / name
        _write(target, fill((UNITS_DIR / name).read_text(), values), 0o644)
        written.append(target)
    launcher = root / bin_dir.lstrip("/") / LAUNCHER
    _write(launcher, (UNITS_DIR / LAUNCHER).read_text(), 0o755)
    written.append(launcher)
    state = root / state_dir.lstrip("/")
    state.mkdir(parents=True, exist_ok=True)
    on_system = root.resolve() == Path("/")
    if enable is None:
        enable = on_system
    if enable:
        if not on_system:
            raise ValueError("units are enabled only when installing on / (this machine)")
        subprocess.run(["id", user], check=True, capture_output=True)  # the service user must exist
        shutil.chown(state, user, user)
        subprocess.run(["systemctl", "daemon-reload"], check=True)
        subprocess.run(["systemctl", "enable", "--now", *SYSTEM_UNITS], check=True)
        subprocess.run(["systemctl", "--global", "enable", *USER_UNITS], check=True)
    log.info("installed %d files under %s", len(written), root)
    return Installed(written, enable)
