"""`waystation install-station` into a temporary root: the units and launcher it writes, checked by systemd itself."""

from __future__ import annotations

import shutil
import stat
import subprocess

from waystation import cli

SYSTEMD_ANALYZE = shutil.which("systemd-analyze") or "systemd-analyze"  # Debian: apt-get install systemd


def install(tmp_path, capsys, monkeypatch, *extra):
    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    monkeypatch.setenv("WAYSTATION_KIOSK_STATION_ID", "xh-longhua")
    monkeypatch.setenv("WAYSTATION_KIOSK_PORT", "8123")
    rc = cli.main(["install-station", "--root", str(tmp_path / "root"), "--user", "root", *extra])
    return rc, capsys.readouterr()


def test_install_writes_filled_units_and_an_executable_launcher(tmp_path, capsys, monkeypatch):
    rc, out = install(tmp_path, capsys, monkeypatch)
    assert rc == 0, out.err
    root = tmp_path / "root"
    kiosk = (root / "etc/systemd/system/waystation-kiosk.service").read_text()
    devices = (root / "etc/systemd/system/waystation-devices.service").read_text()
    browser = (root / "etc/systemd/user/waystation-kiosk-browser.service").read_text()
    launcher = root / "usr/local/bin/waystation-kiosk-browser"
    assert "@" not in kiosk + devices + browser
    assert "--config /etc/waystation/site.toml kiosk" in kiosk and "WorkingDirectory=/var/lib/waystation" in kiosk
    assert "simulate --station xh-longhua" in devices
    assert "ExecStart=/usr/local/bin/waystation-kiosk-browser http://127.0.0.1:8123/" in browser
    assert all("Restart=always" in unit for unit in (kiosk, devices, browser))
    assert stat.S_IMODE(launcher.stat().st_mode) == 0o755 and (root / "var/lib/waystation").is_dir()
    script = launcher.read_text()
    for flag in ("--kiosk", "--disable-pinch", "--noerrdialogs", "--overscroll-history-navigation=0"):
        assert flag in script
    subprocess.run(["sh", "-n", str(launcher)], check=True, timeout=10)
    assert "not enabled" in out.out  # a root that is not / is never enabled


def test_installed_units_pass_systemd_analyze_verify(tmp_path, capsys, monkeypatch):
    rc, out = install(tmp_path, capsys, monkeypatch)
    assert rc == 0, out.err
    root = tmp_path / "root"
    # Verify as installed, with the launcher's path seen under the temporary root (so it exists here).
    units = []
    for path in [*sorted((root / "etc/systemd/system").glob("*.service")),
                 root / "etc/systemd/user/waystation-kiosk-browser.service"]:
        copy = tmp_path / path.name
        copy.write_text(path.read_text().replace("/usr/local/bin/", f"{root}/usr/local/bin/"))
        units.append(str(copy))
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", *units], capture_output=True, text=True, timeout=60)
    # verify exits 0 even for a directive it ignores: any complaint at all fails the test.
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    broken = tmp_path / "broken.service"
    broken.write_text((tmp_path / "waystation-kiosk.service").read_text().replace("Restart=always", "Restart=often"))
    complaint = subprocess.run([SYSTEMD_ANALYZE, "verify", str(broken)], capture_output=True, text=True, timeout=60)
    assert "restart specifier" in complaint.stderr  # the check sees what it must


def test_install_needs_the_station_id(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    monkeypatch.delenv("WAYSTATION_KIOSK_STATION_ID", raising=False)
    rc = cli.main(["install-station", "--root", str(tmp_path / "root")])
    assert rc == 2 and "kiosk.station_id: must be set" in capsys.readouterr().err
    assert not (tmp_path / "root").exists()


def test_the_launcher_waits_for_the_kiosk_forgets_a_crash_and_opens_it_full_screen(tmp_path, capsys, monkeypatch):
    """The installed launcher run for real: Chromium (headless here, through CHROMIUM) on the kiosk's page."""
    import concurrent.futures
    import http.server
    import json
    import os
    import signal
    import threading
    import time

    from playwright.sync_api import sync_playwright

    from tests.brokers import free_port, port_open
    from tests.conftest import wait_until

    rc, out = install(tmp_path, capsys, monkeypatch)
    assert rc == 0, out.err
    launcher = tmp_path / "root/usr/local/bin/waystation-kiosk-browser"
    # Chromium's profile as a crash left it: without the launcher's fix it would offer to restore pages.
    profile = tmp_path / "home/.config/waystation-kiosk-browser/Default"
    profile.mkdir(parents=True)
    (profile / "Preferences").write_text(json.dumps({"profile": {"exited_cleanly": False, "exit_type": "Crashed"}},
                                                    separators=(",", ":")))
    debug_port, kiosk_port = free_port(), free_port()
    chromium = tmp_path / "chromium"
    chromium.write_text(f"""#!/bin/sh
cp "$HOME/.config/waystation-kiosk-browser/Default/Preferences" "{tmp_path}/preferences-at-start"
printf '%s\\n' "$@" > "{tmp_path}/chromium-args"
exec /usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking \\
    --disable-component-update --remote-debugging-port={debug_port} "$@"
""")
    chromium.chmod(0o755)
    env = {**os.environ, "HOME": str(tmp_path / "home"), "CHROMIUM": str(chromium)}
    env.pop("XDG_CONFIG_HOME", None)
    url = f"http://127.0.0.1:{kiosk_port}/"
    browser = subprocess.Popen([str(launcher), url], env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)

    class Kiosk(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = "<!doctype html><title>驿站</title><p>kiosk home</p>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    try:
        time.sleep(2)
        assert not port_open(debug_port), "the launcher started Chromium before the kiosk answered"
        server = http.server.ThreadingHTTPServer(("127.0.0.1", kiosk_port), Kiosk)  # the kiosk app comes up late
        threading.Thread(target=server.serve_forever, daemon=True).start()
        wait_until(lambda: port_open(debug_port), timeout=60, message="Chromium to start")
        started = json.loads((tmp_path / "preferences-at-start").read_text())["profile"]
        assert started == {"exited_cleanly": True, "exit_type": "Normal"}
        args = (tmp_path / "chromium-args").read_text().split()
        assert args[:2] == ["--kiosk", url] and "--disable-pinch" in args and "--no-first-run" in args

        def look() -> tuple[str, str]:
            with sync_playwright() as p:
                cdp = p.chromium.connect_over_cdp(f"http://127.0.0.1:{debug_port}")
                page = wait_until(lambda: next((pg for c in cdp.contexts for pg in c.pages if pg.url == url), None),
                                  timeout=30, message="the kiosk page open")
                page.wait_for_load_state()
                seen = page.title(), page.inner_text("body")
                cdp.close()
                return seen

        # In a thread of its own: a browser test's Playwright may already run an event loop in this one
        # (its session fixture, on the same test worker), and the sync API refuses to start inside it.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            title, body = pool.submit(look).result(timeout=90)
        assert title == "驿站" and "kiosk home" in body
        server.shutdown()
    finally:
        os.killpg(browser.pid, signal.SIGTERM)
        browser.wait(timeout=20)
