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
from tests.brokers import SecureMosquitto
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
from tests.conftest import make_settings, wait_until

# What central calls itself in join and tracking QR codes here (the phone pages are opened on the
# served app's own address).
PUBLIC_URL = "https://union.example"

PHONE = {"width": 390, "height": 844}
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FILES = {  # name: viewport
    "kiosk-home-zh.png": PORTRAIT,
    "kiosk-home-zh-landscape.png": LANDSCAPE,
    "kiosk-checkin-done.png": PORTRAIT,
    "kiosk-home-en.png": PORTRAIT,
    "kiosk-home-en-landscape.png": LANDSCAPE,
    "kiosk-home-large.png": PORTRAIT,
    "kiosk-home-large-landscape.png": LANDSCAPE,
    "kiosk-help-questions-large-en-landscape.png": LANDSCAPE,
    "admin-dashboard.png": DESKTOP,
    "kiosk-join.png": PORTRAIT,
    "phone-join-form.png": PHONE,
    "phone-member-card.png": PHONE,
    "kiosk-help-questions.png": PORTRAIT,
    "kiosk-help-identify.png": LANDSCAPE,
    "kiosk-help-receipt.png": PORTRAIT,
    "admin-members.png": DESKTOP,
    "admin-charging.png": DESKTOP,
    "admin-reports-daily.png": DESKTOP,
    "admin-reports-heatmap.png": DESKTOP,
}
# The reports are shot on the history `waystation demo` seeds: every demo station, a month, 40 a day.
DEMO_PER_STATION_DAY = 40
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
        broker = SecureMosquitto(workdir=work / "mosquitto", test_account=True).start()
        stack.callback(broker.cleanup)
        broker_section = {"url": broker.url, "topic_root": topic_root, "reconnect_min_s": 1, "reconnect_max_s": 2}
        central = stack.enter_context(running_central(make_settings(
            database={"url": f"sqlite:///{work / 'central.db'}"}, broker=broker_section,
            central={"public_url": PUBLIC_URL, "trust_publish_seconds": 0.5},
            ingest={"client_id": "screens-ingest", "batch_wait_ms": 20})))
        kiosk = stack.enter_context(running_kiosk(make_settings(broker=broker_section, kiosk={
            "station_id": STATION, "database_path": str(work / "kiosk-{station}.db"), "heartbeat_seconds": 1})))
        if browser is None:
            browser = launch_chromium(stack.enter_context(sync_playwright()))
            stack.callback(browser.close)
        publish_demo_network(broker.port, topic_root)
        wait_for_station(kiosk, inside=7, slots=8)
        taken = [*kiosk_screenshots(browser, kiosk.url, out_dir), *admin_screenshots(browser, central.url, out_dir)]
        taken += member_screenshots(browser, kiosk, central.url, out_dir)
        # Last: the seeded month would change the dashboard's "check-ins today" the screenshots above show.
        return taken + report_screenshots(browser, central, out_dir)


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

    # English in landscape (the longest labels in the narrowest buttons), then large mode both ways.
    for viewport, name, switch in ((LANDSCAPE, "kiosk-home-en-landscape.png", "switch-language"),
                                   (PORTRAIT, "kiosk-home-large.png", "switch-size"),
                                   (LANDSCAPE, "kiosk-home-large-landscape.png", "switch-size")):
        page = new_page(browser, viewport)
        page.goto(url + "/")
        before = page.get_by_test_id(switch).inner_text()
        page.get_by_test_id(switch).tap()
        expect(page.get_by_test_id(switch)).not_to_have_text(before)  # the screen came back switched
        taken.append(shoot(page, out_dir / name))
        page.context.close()
    page = new_page(browser, LANDSCAPE)
    page.goto(url + "/")
    page.get_by_test_id("switch-language").tap()
    page.get_by_test_id("switch-size").tap()
    expect(page.locator("html")).to_have_class("large")
    page.goto(url + "/service/legal_aid")
    page.get_by_test_id("matter-wages").locator("xpath=..").tap()
    taken.append(shoot(page, out_dir / "kiosk-help-questions-large-en-landscape.png"))
    page.context.close()
    return taken


def admin_screenshots(browser, url: str, out_dir: Path) -> list[Path]:
    """The admin's live dashboard once the kiosk's check-in and every station's state have arrived, and one
    station's charging & commands page."""
    page = new_page(browser, DESKTOP)
    page.goto(url + "/auth/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("admin-demo")
    page.get_by_role("button", name="登录").click()
    card = page.locator(f'article[data-station="{STATION}"]')
    expect(card.get_by_test_id("online")).to_have_text("在线")
    expect(card.get_by_test_id("checkins-today")).to_have_text("1")
    expect(page.locator('article[data-station="xh-caohejing"]').get_by_test_id("people")).to_have_text("27 / 30")
    paths = [shoot(page, out_dir / "admin-dashboard.png")]
    page.goto(f"{url}/commands/station/{STATION}")
    expect(page.get_by_test_id("ops-slots").locator("tr[data-slot]")).to_have_count(8)
    paths.append(shoot(page, out_dir / "admin-charging.png"))
    page.context.close()
    return paths


def member_screenshots(browser, kiosk, central_url: str, out_dir: Path) -> list[Path]:
    """Joining (kiosk QR, the phone's form, the card), asking for help at the kiosk, the members page."""
    from kiosk.models import TrustedKey, db

    def kiosk_has_trust():
        with db.connection_context():
            return kiosk.station_info().join_key and TrustedKey.get_or_none(TrustedKey.kid == "sealing")
    wait_until(kiosk_has_trust, message="the join key and the sealing key at the kiosk")
    taken = []
    page = new_page(browser, PORTRAIT)
    page.goto(kiosk.url + "/join/")
    join_url = page.get_by_test_id("join-qr").get_attribute("data-url")
    taken.append(shoot(page, out_dir / "kiosk-join.png"))
    page.context.close()

    phone = new_page(browser, PHONE)
    phone.goto(join_url.replace(PUBLIC_URL, central_url))
    phone.get_by_label("姓名").fill("赵师傅")
    phone.get_by_label("手机号").fill("13912345678")
    phone.get_by_label("工作平台").select_option("meituan")
    taken.append(shoot(phone, out_dir / "phone-join-form.png"))
    phone.get_by_role("checkbox").check()
    phone.get_by_test_id("join-submit").click()
    expect(phone.get_by_test_id("member-no")).to_be_visible()
    taken.append(shoot(phone, out_dir / "phone-member-card.png"))
    phone.context.close()

    def legal_aid_for_wages(viewport, digits: str = ""):
        """A rider who chose legal aid for unpaid wages, at the identify screen, having keyed `digits`."""
        page = new_page(browser, viewport)
        page.goto(kiosk.url + "/service/legal_aid")
        page.locator("label.choice", has_text="拖欠工资").tap()
        page.locator("label.choice", has_text="外卖骑手").tap()
        shot = shoot(page, out_dir / "kiosk-help-questions.png") if viewport is PORTRAIT and not digits else None
        page.get_by_test_id("next").tap()
        for digit in digits:
            page.get_by_test_id(f"key-{digit}").tap()
        return page, shot

    page, shot = legal_aid_for_wages(PORTRAIT)
    taken.append(shot)
    page.context.close()
    page, _ = legal_aid_for_wages(LANDSCAPE, "1391234")
    taken.append(shoot(page, out_dir / "kiosk-help-identify.png"))
    page.context.close()
    page, _ = legal_aid_for_wages(PORTRAIT, "13912345678")
    page.get_by_test_id("phone-next").tap()
    page.locator("label.choice", has_text="晚上").tap()
    page.get_by_test_id("next").tap()
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("tracking-code")).to_be_visible()
    taken.append(shoot(page, out_dir / "kiosk-help-receipt.png"))
    page.context.close()

    page = new_page(browser, DESKTOP)
    page.goto(central_url + "/auth/login")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill("admin-demo")
    page.get_by_role("button", name="登录").click()
    page.goto(central_url + "/members/")
    expect(page.get_by_test_id("member-list")).to_be_visible()
    taken.append(shoot(page, out_dir / "admin-members.png"))
    page.context.close()
    return taken


def seed_demo_history(central) -> None:
    """The month of history `waystation demo` seeds (check-ins, charging, feedback, requests), repeatably."""
    import random
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from station_admin.core.models import db
    from station_admin.demo.activity import seed_activity
    from station_admin.demo.history import ensure_stations, seed_history
    from station_admin.demo.seed import DEMO_STATIONS
    from station_admin.rollups.hourly import utc_offset_hours
    from waystation.demo import DEMO_HISTORY_DAYS
    from waystation.services import load_services

    timezone = central.settings.central.timezone
    rng = random.Random(17)
    with db.connection_context():
        stations = ensure_stations(len(DEMO_STATIONS), rng)
        now = datetime.now(ZoneInfo(timezone))
        seed_history(stations, DEMO_HISTORY_DAYS, DEMO_PER_STATION_DAY, now.date(), utc_offset_hours(timezone), rng,
                     until=now)
        seed_activity([s.code for s in stations], DEMO_HISTORY_DAYS, now.date(), utc_offset_hours(timezone), rng,
                      central.app.extensions["waystation.protector"], load_services(None), timezone, until=now)


def report_screenshots(browser, central, out_dir: Path) -> list[Path]:
    """The federation's reports on the demo's month of history: check-ins per day, and the peak hours.

    The range is the seeded days before today: today is only as far as the clock, and its small counts
    (hidden, with the cells that would give them away) would make the pictures depend on the hour they were taken.
    """
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from waystation.demo import DEMO_HISTORY_DAYS

    seed_demo_history(central)
    today = datetime.now(ZoneInfo(central.settings.central.timezone)).date()
    days = f"from={today - timedelta(days=DEMO_HISTORY_DAYS - 1)}&to={today - timedelta(days=1)}"
    page = new_page(browser, DESKTOP)
    page.goto(central.url + "/auth/login")
    page.get_by_label("用户名").fill("federation")
    page.get_by_label("密码").fill("federation-demo")
    page.get_by_role("button", name="登录").click()
    page.goto(f"{central.url}/reports/?{days}")
    expect(page.locator("#report table.counts tbody tr")).to_have_count(DEMO_HISTORY_DAYS - 1)
    paths = [shoot(page, out_dir / "admin-reports-daily.png")]
    page.goto(f"{central.url}/reports/heatmap?{days}")
    expect(page.get_by_test_id("peaks")).to_be_visible()
    paths.append(shoot(page, out_dir / "admin-reports-heatmap.png"))
    page.context.close()
    return paths


if __name__ == "__main__":
    for path in take_screenshots(Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS_SCREENSHOTS):
        print(path)
