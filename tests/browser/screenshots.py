"""Take the screenshots in docs/screenshots/ from the real apps, a real Mosquitto and headless Chromium.

Run by hand from the repository root:  .venv/bin/python -m tests.browser.screenshots [OUTPUT_DIR]
(CJK text needs a Chinese font on the machine: Debian's fonts-noto-cjk.)
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
import uuid
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from devices.protocol.availability import Availability, DeviceKind
from devices.protocol.charger import SlotStatus
from tests.brokers import MosquittoProcess
from tests.browser.conftest import (
    DESKTOP,
    LANDSCAPE,
    PORTRAIT,
    STATION,
    launch_chromium,
    new_page,
    publish,
    publish_station,
    running_central,
    running_kiosk,
    wait_for_station,
)
from tests.conftest import make_settings

DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FILES = {  # name: viewport
    "kiosk-home-zh.png": PORTRAIT,
    "kiosk-home-zh-landscape.png": LANDSCAPE,
    "kiosk-checkin-done.png": PORTRAIT,
    "kiosk-home-en.png": PORTRAIT,
    "admin-dashboard.png": DESKTOP,
}
A, C, F, D = SlotStatus.AVAILABLE, SlotStatus.CHARGING, SlotStatus.FAULTED, SlotStatus.FINISHED


def publish_demo_network(port: int, topic_root: str) -> None:
    """A plausible afternoon: three stations' counters and chargers (the configuration comes from central)."""
    publish_station(port, topic_root, STATION, inside=7, statuses=[A, A, C, C, A, D, A, F], config=None)
    publish_station(port, topic_root, "xh-caohejing", inside=27, statuses=[C, C, C, A, C, C, C, C], config=None)
    publish(port, topic_root, Availability("xh-caohejing", "kiosk", DeviceKind.KIOSK, True))
    publish_station(port, topic_root, "xh-longhua", inside=3, statuses=[A, A, A, A], config=None)
    publish(port, topic_root, Availability("xh-longhua", "kiosk", DeviceKind.KIOSK, False))


def shoot(page, path: Path) -> Path:
    """A screenshot of the viewport once fonts are loaded."""
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(path), full_page=False, animations="disabled", caret="hide")
    return path


def take_screenshots(out_dir: Path = DOCS_SCREENSHOTS, browser=None) -> list[Path]:
    """Run central, its ingest, a kiosk and a broker; take every screenshot in FILES into `out_dir`.

    Pass a running `browser` when Playwright is already started in this process (as under pytest).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="waystation-screens-"))
    topic_root = f"screens-{uuid.uuid4().hex[:8]}/waystation/v1"
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        broker = MosquittoProcess(workdir=work / "mosquitto").start()
        stack.callback(broker.cleanup)
        broker_section = {"url": broker.url, "topic_root": topic_root, "reconnect_min_s": 1, "reconnect_max_s": 2}
        central = stack.enter_context(running_central(make_settings(
            database={"url": f"sqlite:///{work / 'central.db'}"}, broker=broker_section,
            ingest={"client_id": "screens-ingest", "batch_wait_ms": 20})))
        kiosk = stack.enter_context(running_kiosk(make_settings(broker=broker_section, kiosk={
            "station_id": STATION, "database_path": str(work / "kiosk-{station}.db"), "heartbeat_seconds": 1})))
        if browser is None:
            browser = launch_chromium(stack.enter_context(sync_playwright()))
            stack.callback(browser.close)
        publish_demo_network(broker.port, topic_root)
        wait_for_station(kiosk, inside=7, slots=8)
        return [*kiosk_screenshots(browser, kiosk.url, out_dir), admin_screenshot(browser, central.url, out_dir)]


def kiosk_screenshots(browser, url: str, out_dir: Path) -> list[Path]:
    """The home screen in both orientations, the check-in confirmation, the home screen in English."""
    taken = []
    for viewport, name in ((PORTRAIT, "kiosk-home-zh.png"), (LANDSCAPE, "kiosk-home-zh-landscape.png")):
        page = new_page(browser, viewport)
        page.goto(url + "/")
        expect(page.get_by_test_id("free-seats")).to_have_text("13")
        taken.append(shoot(page, out_dir / name))
        page.context.close()

    page = new_page(browser, PORTRAIT)
    page.goto(url + "/")
    page.get_by_test_id("checkin").tap()
    expect(page.get_by_test_id("checkin-done")).to_be_visible()
    taken.append(shoot(page, out_dir / "kiosk-checkin-done.png"))
    page.get_by_test_id("checkin-done").get_by_role("button").tap()
    expect(page.get_by_test_id("checkin-done")).to_have_count(0)
    page.get_by_test_id("switch-language").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    taken.append(shoot(page, out_dir / "kiosk-home-en.png"))
    page.context.close()
    return taken


def admin_screenshot(browser, url: str, out_dir: Path) -> Path:
    """The admin's live dashboard once the kiosk's check-in and every station's state have arrived."""
    page = new_page(browser, DESKTOP)
    page.goto(url + "/auth/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("admin-demo")
    page.get_by_role("button", name="登录").click()
    card = page.locator(f'article[data-station="{STATION}"]')
    expect(card.get_by_test_id("online")).to_have_text("在线")
    expect(card.get_by_test_id("checkins-today")).to_have_text("1")
    expect(page.locator('article[data-station="xh-caohejing"]').get_by_test_id("people")).to_have_text("27 / 30")
    path = shoot(page, out_dir / "admin-dashboard.png")
    page.context.close()
    return path


if __name__ == "__main__":
    for path in take_screenshots(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS_SCREENSHOTS):
        print(path)
