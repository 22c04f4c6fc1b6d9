"""`waystation demo` (what `make demo` runs): ready, three live stations, a check-in reaches central, clean stop."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
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
def demo(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAYSTATION_")}
    proc = subprocess.Popen([sys.executable, "-m", "waystation.cli", "demo"], cwd=PROJECT_ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def test_demo_runs_the_whole_system(demo):
    output = read_until_ready(demo)
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

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{kiosk}/", timeout=5).read().decode()
    assert "徐家汇爱心驿站" in page
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page).group(1)
    opener.open(urllib.request.Request(f"{kiosk}/checkin/", data=b"", method="POST",
                                       headers={"HX-Request": "true", "X-CSRF-Token": csrf}), timeout=5)

    def checked_in():
        stations = {s["code"]: s for s in api(f"{central}/api/v1/stations", token)["stations"]}
        return stations["xh-xujiahui"]["check_ins_today"] == 1

    wait_until(checked_in, timeout=15, interval=0.3, message="the check-in on central")

    children = subprocess.run(["pgrep", "-P", str(demo.pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 6  # broker, central, three kiosks, devices
    demo.send_signal(signal.SIGTERM)
    assert demo.wait(30) == 0
    for pid in children:
        wait_until(lambda pid=pid: not os.path.exists(f"/proc/{pid}") or
                   open(f"/proc/{pid}/stat").read().split()[2] == "Z", timeout=15, message=f"child {pid} gone")
