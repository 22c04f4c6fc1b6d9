"""The idle reset in a real browser, on every screen and dialog of every kiosk flow.

Each screen is reached as a rider reaches it (taps, the keypad, a scanner's key burst), then left
alone: the warning counts down, the screen is wiped (server session, storage, page and history),
and Back afterwards shows nothing of the rider. The timings are short (config), so it runs fast.
"""

from __future__ import annotations

import contextlib
import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from devices.protocol import trust, utcnow
from tests.browser.conftest import (
    PORTRAIT,
    publish,
    publish_station,
    running_kiosk,
    scanner_types,
    session_of,
    wait_for_station,
)
from tests.conftest import wait_until
from waystation import cards

pytestmark = pytest.mark.browser
MEMBER = "W7K3M9Q2XZ"
PHONE = "13912345678"
# Idle time and warning: 2 s between a flow's taps before the warning covers the screen (a busy CI
# machine), short enough to run fast.
# Long enough that a loaded machine answers a tap or a scan well inside it (4 s was not, in one CI run).
IDLE_S, WARNING_S = 7.0, 2.0
NEUTRAL_SESSION = {"csrf"}


@pytest.fixture
def card():
    """A member card and the key that signed it."""
    key, public = cards.new_signing_key()
    now = utcnow()
    return cards.sign_card(key, "TSTK", MEMBER, now - timedelta(days=1), now + timedelta(days=300)), public


@pytest.fixture
def station(shared_mosquitto, topic_root, kiosk_settings, card):
    """A kiosk with central's card key and sealing key, its districts, and a care day today."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from kiosk.models import CarePolicy, StationInfo, TrustedKey, db
    from waystation.sealing import public_key_text

    publish_station(shared_mosquitto.port, topic_root)
    publish(shared_mosquitto.port, topic_root, trust.TrustAnchors(
        (("TSTK", card[1]),), public_key_text(X25519PrivateKey.generate()), utcnow()))
    settings = kiosk_settings(shared_mosquitto.url, community={"voucher_wait_seconds": 0.2},
                              kiosk={"idle_reset_seconds": IDLE_S, "idle_warning_seconds": WARNING_S})
    with contextlib.ExitStack() as stack:
        running = stack.enter_context(running_kiosk(settings))
        wait_for_station(running, inside=7, slots=8)
        with db.connection_context():
            wait_until(lambda: TrustedKey.select().count() == 2, message="the card and sealing keys")
            info = StationInfo.for_station("xh-xujiahui")
            info.district_code, info.public_url = "xuhui", "https://union.example"
            info.districts = json.dumps([["xuhui", "徐汇区总工会", "Xuhui"], ["minhang", "闵行区总工会", "Minhang"]])
            info.save()
            today = utcnow().astimezone(ZoneInfo(settings.kiosk.timezone)).day
            CarePolicy.create(station_id="xh-xujiahui", care_day=today, quota=100, received_at=utcnow())
        yield running


def scan(page, code: str) -> None:
    """A USB scanner's burst: the code's keys a few milliseconds apart, then Enter."""
    scanner_types(page, code)
    page.keyboard.press("Enter")


def wiped(page, station, secrets: list[str]) -> None:
    """Leave the screen alone: the warning counts down, then everything of the rider is gone, Back included."""
    page.evaluate("sessionStorage.setItem('left', 'by the last rider'); localStorage.setItem('left', 'too')")
    page.evaluate("window.__sameDocument = true")
    history_before = page.evaluate("history.length")
    expect(page.get_by_test_id("idle-warning")).to_be_visible(timeout=(IDLE_S + 2) * 1000)
    expect(page.get_by_test_id("idle-countdown")).to_have_text(re.compile(r"^[12]$"))
    page.wait_for_function("() => window.__sameDocument === undefined", timeout=8_000)
    expect(page.get_by_test_id("checkin")).to_be_visible()
    assert page.url == station.url + "/"
    assert page.evaluate("history.length") == history_before  # replaced, not pushed
    expect(page.locator("body")).to_have_attribute("data-pristine", "true")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    assert page.evaluate("localStorage.length") == 0
    assert page.evaluate("Object.keys(sessionStorage).filter(k => k !== 'htmx-current-path-for-history')") == []
    assert set(session_of(station, page.context)) <= NEUTRAL_SESSION
    for secret in secrets:
        assert secret not in page.content(), secret
    # Back goes to the screen before (when there was one) and it shows nothing of the rider either.
    page.go_back()
    page.wait_for_load_state()
    for secret in secrets:
        assert secret not in page.content(), secret
    assert set(session_of(station, page.context)) <= NEUTRAL_SESSION
    page.goto(station.url + "/")


def test_the_untouched_home_screen_is_never_reset(station, open_page):
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    page.evaluate("window.__sameDocument = true")
    page.wait_for_timeout(IDLE_S * 1000 + 1000)
    assert page.evaluate("window.__sameDocument") is True
    expect(page.get_by_test_id("idle-warning")).to_be_hidden()


def test_home_screens_and_dialogs_are_reset(station, open_page, card):
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    # The home screen in English.
    page.get_by_test_id("switch-language").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    wiped(page, station, ["Check in"])
    # A member's check-in result.
    scan(page, card[0])
    expect(page.get_by_test_id("welcome")).to_contain_text(MEMBER)
    wiped(page, station, [MEMBER])
    # An anonymous check-in result.
    page.get_by_test_id("checkin").tap()
    expect(page.get_by_test_id("checkin-done")).to_be_visible()
    wiped(page, station, [])
    # The camera view (headless Chromium has no camera: it says so).
    page.get_by_test_id("camera-open").tap()
    expect(page.locator("#camera")).to_be_visible()
    wiped(page, station, [])
    # The join screen.
    page.get_by_test_id("join").tap()
    expect(page.locator("h1")).to_have_text("扫码加入工会")
    wiped(page, station, [])


def to_help_step(page, station, step: int, phone: bool = True) -> None:
    """Walk the legal-aid request to `step` (1 to 6) as a rider does."""
    page.get_by_test_id("ask-help").tap()
    expect(page.get_by_test_id("step")).to_have_text("第 1/6 步")
    if step == 1:
        return
    page.get_by_test_id("service-legal_aid").tap()
    expect(page.get_by_test_id("step")).to_have_text("第 2/6 步")
    if step == 2:
        return
    page.locator("label.choice", has_text="拖欠工资").tap()
    page.locator("label.choice", has_text="外卖骑手").tap()
    page.get_by_test_id("next").tap()
    expect(page.get_by_test_id("step")).to_have_text("第 3/6 步")
    if step == 3:
        return
    for digit in PHONE:
        page.get_by_test_id(f"key-{digit}").tap()
    page.get_by_test_id("phone-next").tap()
    expect(page.get_by_test_id("step")).to_have_text("第 4/6 步")
    if step == 4:
        return
    page.locator("label.choice", has_text="晚上").tap()
    page.get_by_test_id("next").tap()
    expect(page.get_by_test_id("summary")).to_contain_text("尾号 5678")
    if step == 5:
        return
    page.get_by_test_id("submit").tap()
    expect(page.get_by_test_id("tracking-code")).to_be_visible()


def test_every_step_of_asking_for_help_and_the_receipt_are_reset(station, open_page):
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    for step in range(1, 6):
        to_help_step(page, station, step)
        wiped(page, station, ["5678"] if step == 5 else [])
    # Step 3 with digits typed on the keypad, not yet sent.
    to_help_step(page, station, 3)
    for digit in PHONE:
        page.get_by_test_id(f"key-{digit}").tap()
    expect(page.get_by_test_id("phone-display")).to_have_text("139 1234 5678")
    wiped(page, station, ["5678"])
    # The receipt: tracking code and the phone's last four digits.
    to_help_step(page, station, 6)
    code = page.get_by_test_id("tracking-code").inner_text()
    expect(page.get_by_test_id("receipt")).to_contain_text("5678")
    wiped(page, station, [code, "5678"])
    # A matter that is not a labour dispute ends with advice.
    to_help_step(page, station, 2)
    page.locator("label.choice", has_text="不是劳动问题").tap()
    page.locator("label.choice", has_text="外卖骑手").tap()
    page.get_by_test_id("next").tap()
    expect(page.get_by_test_id("diverted")).to_be_visible()
    wiped(page, station, [])


def test_continue_keeps_the_screen_and_the_reset_comes_later(station, open_page):
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    to_help_step(page, station, 5)
    page.evaluate("window.__sameDocument = true")
    expect(page.get_by_test_id("idle-warning")).to_be_visible(timeout=(IDLE_S + 2) * 1000)
    page.get_by_test_id("idle-continue").tap()
    expect(page.get_by_test_id("idle-warning")).to_be_hidden()
    expect(page.get_by_test_id("summary")).to_contain_text("尾号 5678")  # still the same screen
    assert page.evaluate("window.__sameDocument") is True
    assert "service_request" in session_of(station, page.context)
    wiped(page, station, ["5678"])


def test_charging_voucher_and_feedback_screens_and_dialogs_are_reset(station, open_page, card):
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    # Charging: the screen, then the member's slot choice after a scan.
    page.get_by_test_id("charging").tap()
    expect(page.get_by_test_id("charging-scan-hint")).to_be_visible()
    wiped(page, station, [])
    page.get_by_test_id("charging").tap()
    expect(page.get_by_test_id("charging-scan-hint")).to_be_visible()
    scan(page, card[0])
    expect(page.get_by_test_id("charging-member")).to_contain_text(MEMBER)
    wiped(page, station, [MEMBER])
    # Voucher: the screen, then the member's voucher after a scan.
    page.get_by_test_id("voucher-open").tap()
    expect(page.get_by_test_id("care-day-today")).to_be_visible()
    wiped(page, station, [])
    page.get_by_test_id("voucher-open").tap()
    expect(page.get_by_test_id("care-day-today")).to_be_visible()
    scan(page, card[0])
    expect(page.get_by_test_id("voucher")).to_be_visible()
    wiped(page, station, [MEMBER])
    # Feedback: the screen, the member dialog after a scan, the thank-you.
    page.get_by_test_id("feedback").tap()
    expect(page.get_by_test_id("feedback-form")).to_be_visible()
    wiped(page, station, [])
    page.get_by_test_id("feedback").tap()
    page.locator("label.choice.score").nth(3).tap()  # an answer chosen (focus on its radio), then the scan
    scan(page, card[0])
    expect(page.get_by_test_id("feedback-member")).to_contain_text(MEMBER)
    wiped(page, station, [MEMBER])
    page.get_by_test_id("feedback").tap()
    expect(page.get_by_test_id("feedback-form")).to_be_visible()
    scan(page, card[0])
    expect(page.get_by_test_id("feedback-member")).to_contain_text(MEMBER)
    page.get_by_test_id("feedback-member").tap()
    page.locator("label.choice.score").nth(4).tap()
    page.get_by_test_id("feedback-send").tap()
    expect(page.get_by_test_id("feedback-thanks")).to_contain_text(MEMBER)
    wiped(page, station, [MEMBER])
