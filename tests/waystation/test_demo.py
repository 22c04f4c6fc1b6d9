"""`waystation demo` (what `make demo` runs): ready, three live stations, a check-in reaches central, clean stop."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import wait_until
from waystation.paths import PROJECT_ROOT


def read_until_ready(proc, timeout=90) -> str:
    """The demo's output up to its `ready` line."""
    out, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        out.append(line)
        if line.strip() == "ready":
            return "".join(out)
    raise AssertionError("the demo did not say ready:\n" + "".join(out))


def api(url, token):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)


@pytest.fixture
def demo_dir(tmp_path):
    """The demo's folder for this test: never the checkout's var/demo/."""
    return tmp_path / "demo"


@pytest.fixture
def demo(demo_dir):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAYSTATION_")}
    env["WAYSTATION_DEMO_DIR"] = str(demo_dir)
    proc = subprocess.Popen([sys.executable, "-m", "waystation.cli", "demo"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_demo_runs_the_whole_system(demo, demo_dir):
    output = read_until_ready(demo)
    assert f"Logs:               {demo_dir}/" in output and (demo_dir / "central.db").exists()
    central = re.search(r"Central dashboard:\s+(http://\S+)/", output).group(1)
    kiosk = re.search(r"Kiosk 徐家汇爱心驿站 \(Xujiahui Rest Station\):\s+(http://\S+)/", output).group(1)
    token = re.search(r"Bearer (\S+)'", output).group(1)
    assert "admin / admin-demo" in output and "mqtt://127.0.0.1:" in output

    def live_stations():
        stations = api(f"{central}/api/v1/stations", token)["stations"]
        return len(stations) == 3 and all(
            s["online"] and s["people_inside"] is not None and not {"offline", "unknown"} & set(s["charger_slots"])
            for s in stations) and stations

    wait_until(live_stations, timeout=30, interval=0.5, message="three live stations")

    def today_at_xujiahui():
        return {s["code"]: s for s in api(f"{central}/api/v1/stations", token)["stations"]}[
            "xh-xujiahui"]["check_ins_today"]

    before = today_at_xujiahui()  # the demo's seeded history includes today up to now
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{kiosk}/", timeout=5).read().decode()
    assert "徐家汇爱心驿站" in page
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page).group(1)
    opener.open(urllib.request.Request(f"{kiosk}/checkin/", data=b"", method="POST",
                                       headers={"HX-Request": "true", "X-CSRF-Token": csrf}), timeout=5)

    def checked_in():
        return today_at_xujiahui() == before + 1

    wait_until(checked_in, timeout=15, interval=0.3, message="the check-in on central")

    # The demo's example survey is offered at the kiosk (central's retained list, stored in the kiosk's database).
    def offered():
        (path,) = [p for p in demo_dir.rglob("*.db") if "xujiahui" in p.name]
        with sqlite3.connect(path) as kiosk_db:
            return [t for (t,) in kiosk_db.execute("SELECT title_zh FROM open_survey")]
    wait_until(lambda: offered() == ["外卖骑手需求调查"], timeout=20, interval=0.5,
               message="the demo survey at a kiosk")

    # Whatever today's date, the demo's care day is today: the voucher screen offers this month's voucher.
    assert re.search(r"Care day:\s+day (\d+) of the month", output)
    wait_until(lambda: "今天是关爱日" in opener.open(f"{kiosk}/voucher/", timeout=5).read().decode(), timeout=20,
               interval=0.5, message="the voucher screen on the care day")

    # The demo's classroom video (made with ffmpeg at the start) reaches the kiosk and is listed there.
    assert "Classroom:          demo video made with ffmpeg" in output
    wait_until(lambda: "电动车充电安全" in opener.open(f"{kiosk}/classroom/", timeout=5).read().decode(), timeout=40,
               interval=0.5, message="the demo's classroom video downloaded by the kiosk")

    children = subprocess.run(["pgrep", "-P", str(demo.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 6  # broker, central, three kiosks, devices
    demo.send_signal(signal.SIGTERM)
    assert demo.wait(30) == 0
    for pid in children:
        wait_until(lambda pid=pid: not os.path.exists(f"/proc/{pid}") or
                   open(f"/proc/{pid}/stat").read().split()[2] == "Z", timeout=15, message=f"child {pid} gone")


def test_a_new_run_removes_only_what_the_demo_made_in_its_folder(tmp_path):
    from waystation.demo import fresh_demo_dir

    folder = tmp_path / "demo"
    folder.mkdir()
    for name in ("central.db", "central.db-wal", "kiosk-xh-longhua.db", "central.log", "notes.txt"):
        (folder / name).write_text("x")
    for name in ("classroom", "classroom-xh-longhua", "photos"):
        (folder / name).mkdir()
        (folder / name / ("a" * 64)).write_text("x")
    fresh_demo_dir(folder)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "photos"]
    fresh_demo_dir(tmp_path / "new" / "demo")
    assert (tmp_path / "new" / "demo").is_dir()


def test_the_demo_folder_is_a_setting(monkeypatch, tmp_path):
    from waystation.demo import DEFAULT_DEMO_DIR, demo_dir

    monkeypatch.delenv("WAYSTATION_DEMO_DIR", raising=False)
    assert demo_dir() == DEFAULT_DEMO_DIR
    monkeypatch.setenv("WAYSTATION_DEMO_DIR", str(tmp_path / "elsewhere"))
    assert demo_dir() == tmp_path / "elsewhere"
