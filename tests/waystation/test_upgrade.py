"""Upgrading a station in place (`waystation upgrade-station`), with real releases built from this checkout.

Each release is a wheel installed by pip into a virtual environment of its own, from a wheelhouse
(as a station without internet gets it); the kiosk runs from the `current` link as systemd would
run it, and the upgrade's health check talks to it over HTTP. Releases that cannot serve, cannot
migrate or cannot be installed leave the old release running with the database and outbox as they were.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.brokers import free_port
from tests.conftest import tail, wait_until, waystation_env
from waystation.paths import PROJECT_ROOT
from waystation.upgrade import Releases, UpgradeError, kiosk_health, upgrade_station

STATION = "xh-upgrade"
SOURCE_FOLDERS = ("waystation", "kiosk", "station_admin", "devices", "templates", "static", "config")
SOURCE_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md")


def build_release(work: Path, version: str, out: Path, change=None) -> Path:
    """A wheel of this checkout at `version`, after `change(source)` edits a copy of it."""
    source = work / f"src-{version}"
    for name in SOURCE_FOLDERS:
        shutil.copytree(PROJECT_ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "_share"))
    for name in SOURCE_FILES:
        shutil.copy2(PROJECT_ROOT / name, source / name)
    for path, old in ((source / "pyproject.toml", 'version = "0.1.0"'),
                      (source / "waystation" / "__init__.py", '__version__ = "0.1.0"')):
        text = path.read_text()
        assert old in text, f"{path.name} no longer says {old}"
        path.write_text(text.replace(old, old.replace("0.1.0", version)))
    if change:
        change(source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w",
                    str(out), str(source)], check=True, timeout=300, cwd=source)
    (wheel,) = out.glob(f"waystation-{version}-*.whl")
    return wheel


def cannot_serve(source: Path) -> None:
    cli = source / "waystation" / "cli.py"
    text = cli.read_text()
    anchor = "    node = KioskNode(settings)\n"
    assert anchor in text
    cli.write_text(text.replace(anchor, '    raise SystemExit("this release cannot serve")\n' + anchor, 1))


def cannot_migrate(source: Path) -> None:
    with open(source / "kiosk" / "migrations.py", "a") as f:
        f.write('\nMIGRATIONS.append((999, "broken", _step("THIS IS NOT SQL;")))\n')


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory):
    """This checkout's dependencies as wheels (pip's cache makes it quick), and four releases of it."""
    work = tmp_path_factory.mktemp("releases-built")
    house = work / "wheelhouse"
    base = build_release(work, "0.1.0", house)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "-w", str(house), str(base)], check=True,
                   timeout=600)
    build_release(work, "0.1.1", house)
    build_release(work, "0.1.2", house, cannot_serve)
    build_release(work, "0.1.3", house, cannot_migrate)
    return house


class KioskService:
    """The station's kiosk service as its unit runs it: the `waystation` link (into `current`) with the site file."""

    def __init__(self, command: Path, site: Path, log: Path):
        self.command, self.site, self.log = command, site, log
        self.proc: subprocess.Popen | None = None
        self.starts = self.stops = 0

    def start(self) -> None:
        self.starts += 1
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen([str(self.command), "--config", str(self.site), "kiosk"], stdout=log,
                                         stderr=subprocess.STDOUT, env=waystation_env(), cwd=self.site.parent)

    def crashed(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def stop(self) -> None:
        self.stops += 1
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def station(tmp_path, shared_mosquitto, topic_root):
    """A station PC's folders: /opt/waystation, the link on PATH, the site file, the kiosk's state folder."""
    port = free_port()
    state = tmp_path / "var-lib-waystation"
    state.mkdir()
    site = tmp_path / "site.toml"
    site.write_text(f'''[broker]
url = "{shared_mosquitto.url}"
topic_root = "{topic_root}"
reconnect_min_s = 1
reconnect_max_s = 2

[kiosk]
station_id = "{STATION}"
port = {port}
database_path = "{state}/kiosk-{{station}}.db"
secret_key = "{"k" * 40}"
''')
    releases = Releases(tmp_path / "opt-waystation")
    link = tmp_path / "usr-local-bin" / "waystation"
    link.parent.mkdir()
    link.symlink_to(releases.current_link / "bin" / "waystation")
    service = KioskService(link, site, tmp_path / "kiosk.log")
    yield {"releases": releases, "site": site, "service": service, "port": port,
           "database": state / f"kiosk-{STATION}.db", "health": f"http://127.0.0.1:{port}/healthz"}
    service.stop()


def upgrade(station, wheelhouse, source: str):
    return upgrade_station(station["releases"], source, config=station["site"], database=station["database"],
                           health_url=station["health"], services=station["service"], wheelhouse=[str(wheelhouse)],
                           health_timeout=30, say=lambda line: None)


def checkin(port: int) -> None:
    """A rider's tap on 签到, as the kiosk page's htmx sends it."""
    import html
    import http.cookiejar
    import re

    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = html.unescape(browser.open(f"http://127.0.0.1:{port}/", timeout=10).read().decode())
    token = re.search(r'"X-CSRF-Token":\s*"([^"]+)"', page)
    assert token, "no anti-forgery token on the kiosk page"
    request = urllib.request.Request(f"http://127.0.0.1:{port}/checkin/", data=b"", method="POST",
                                     headers={"HX-Request": "true", "X-CSRF-Token": token.group(1)})
    with browser.open(request, timeout=10) as response:
        assert b'data-testid="checkin-done"' in response.read()


def outbox_and_schema(database: Path) -> tuple[list, list]:
    with sqlite3.connect(database) as conn:
        return (conn.execute("SELECT event_id, seq, kind FROM outboxevent ORDER BY seq").fetchall(),
                conn.execute("SELECT number FROM schema_version ORDER BY number").fetchall())


@pytest.mark.timeout(600)  # the first test with the wheelhouse builds it
def test_a_wheel_carries_the_templates_static_files_and_config(wheelhouse):
    (wheel,) = wheelhouse.glob("waystation-0.1.0-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shared in ("templates/kiosk/base.html", "static/js/kiosk.js", "config/defaults.toml",
                   "config/systemd/waystation-kiosk.service"):
        assert f"waystation/_share/{shared}" in names


@pytest.mark.timeout(900)  # five releases installed by pip, and two health checks that must run out
def test_upgrades_keep_the_outbox_and_a_release_that_fails_leaves_the_old_one_running(station, wheelhouse):
    service = station["service"]
    # The first release goes in the same way (nothing runs yet, so nothing to go back to).
    first = upgrade(station, wheelhouse, "waystation==0.1.0")
    assert first.previous is None and first.version == "0.1.0"
    wait_until(lambda: kiosk_health(station["health"], 1), timeout=30, message="the kiosk to answer")
    checkin(station["port"])
    checkin(station["port"])
    before = outbox_and_schema(station["database"])
    assert len(before[0]) == 2

    second = upgrade(station, wheelhouse, "waystation==0.1.1")
    assert (second.version, second.previous.name) == ("0.1.1", "0.1.0")
    assert kiosk_health(station["health"], 5)["version"] == "0.1.1"
    assert outbox_and_schema(station["database"]) == before, "the upgrade changed the outbox"
    checkin(station["port"])  # the new release serves riders
    before = outbox_and_schema(station["database"])

    # A release that migrates but cannot serve: the station goes back to 0.1.1.
    with pytest.raises(UpgradeError, match=r"0\.1\.2 did not come up \(its service exited\).*runs 0\.1\.1 again"):
        upgrade(station, wheelhouse, "waystation==0.1.2")
    assert station["releases"].current().name == "0.1.1"
    assert kiosk_health(station["health"], 30)["version"] == "0.1.1", tail(service.log)
    assert outbox_and_schema(station["database"]) == before

    # A release whose migration fails: nothing of it applied, 0.1.1 serves again.
    with pytest.raises(UpgradeError, match=r"migrating the kiosk database with 0\.1\.3 failed.*runs 0\.1\.1 again"):
        upgrade(station, wheelhouse, "waystation==0.1.3")
    assert kiosk_health(station["health"], 30)["version"] == "0.1.1", tail(service.log)
    assert outbox_and_schema(station["database"]) == before

    # A release that cannot even be installed: the services are never stopped.
    running, stops = service.proc.pid, service.stops
    with pytest.raises(UpgradeError, match="installing waystation==9.9.9 failed"):
        upgrade(station, wheelhouse, "waystation==9.9.9")
    assert (service.proc.pid, service.stops) == (running, stops)
    # The releases that failed are gone; the one before the running one stays for going back by hand.
    assert sorted(p.name for p in (station["releases"].root / "releases").iterdir()) == ["0.1.0", "0.1.1"]
    checkin(station["port"])
    assert len(outbox_and_schema(station["database"])[0]) == 4


def test_the_command_refuses_without_the_site_file(tmp_path, capsys, monkeypatch):
    from waystation import cli

    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    monkeypatch.setenv("WAYSTATION_KIOSK_STATION_ID", STATION)
    assert cli.main(["upgrade-station", "waystation==0.1.1", "--releases", str(tmp_path)]) == 2
    assert "--config" in capsys.readouterr().err
    assert not os.listdir(tmp_path)


def test_the_first_release_goes_in_as_docs_operations_says(wheelhouse, tmp_path):
    """The doc's first-release commands, run as written but under a temporary root instead of /."""
    import re

    section = (PROJECT_ROOT / "docs" / "operations.md").read_text().split("### Upgrading a station\n", 1)[1]
    section = section.split("\n## ", 1)[0].split("\n### ", 1)[0]
    script = re.findall(r"```sh\n(.*?)```", section, flags=re.S)[-1]
    assert "python3 -m venv /opt/waystation/releases/0.1.0" in script
    root = tmp_path / "root"
    (root / "usr/local/bin").mkdir(parents=True)
    (root / "opt/waystation").mkdir(parents=True)
    script = (script.replace("sudo ", "").replace("/media/usb/wheelhouse", str(wheelhouse))
              .replace("/opt/waystation", f"{root}/opt/waystation").replace("/usr/local/bin", f"{root}/usr/local/bin"))
    subprocess.run(["bash", "-e", "-c", script], check=True, timeout=300, capture_output=True, env=waystation_env())
    assert Releases(root / "opt/waystation").current().name == "0.1.0"
    shown = subprocess.run([str(root / "usr/local/bin/waystation"), "--version"], capture_output=True, text=True,
                           timeout=60)
    assert shown.stdout.strip() == "waystation 0.1.0"
