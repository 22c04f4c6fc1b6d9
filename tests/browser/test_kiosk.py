"""The kiosk screen in a real browser: what a rider sees and taps, fed by a real broker."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from devices.protocol.charger import SlotStatus
from tests.browser.conftest import (
    LANDSCAPE,
    PORTRAIT,
    count_swaps,
    occupancy,
    publish,
    session_of,
    slot,
    unreachable_broker_url,
    wait_for_swaps,
)

pytestmark = pytest.mark.browser

ONE_LINE_INSIDE_ITS_TILE = """e => e.getBoundingClientRect().height <= 1.6 * parseFloat(getComputedStyle(e).fontSize)
                                 && e.scrollWidth <= e.parentElement.clientWidth"""


def test_home_in_chinese_shows_the_station_seats_and_chargers(kiosk, open_page):
    station = kiosk()
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")

    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("徐家汇爱心驿站")
    expect(page.locator(".district")).to_have_text("徐汇区总工会")
    expect(page.get_by_test_id("free-seats")).to_have_text("13")  # 20 seats, 7 inside
    expect(page.get_by_test_id("seats")).to_contain_text("共 20 座")
    expect(page.get_by_test_id("seats")).to_contain_text("站内 7 人")
    expect(page.get_by_test_id("slots-free")).to_have_text("5")
    expect(page.get_by_test_id("slots-charging")).to_have_text("2")
    expect(page.get_by_test_id("slots-faulted")).to_have_text("1")
    expect(page.get_by_test_id("checkin")).to_contain_text("签到")
    expect(page.get_by_test_id("sync-badge")).to_have_count(0)


def test_the_screen_fits_portrait_and_landscape_panels_with_big_controls(
        kiosk, open_page, shared_mosquitto, topic_root):
    station = kiosk()
    # The tallest home screen: a slot out of service adds a row to the charger card.
    publish(shared_mosquitto.port, topic_root, slot(3, SlotStatus.UNAVAILABLE))
    for viewport in (PORTRAIT, LANDSCAPE):
        for lang_switches in (0, 1):
            page = open_page(viewport)
            page.goto(station.url + "/")
            if lang_switches:
                page.get_by_test_id("switch-language").tap()
                expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.locator(".slots .other")).to_be_visible(timeout=3_000)
            for test_id in ("checkin", "switch-language"):
                box = page.get_by_test_id(test_id).bounding_box()
                assert box["height"] >= 60 and box["width"] >= 60, (test_id, viewport, box)
            # Nothing to scroll: the whole screen, the idle hint at the bottom included, is in view.
            assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), viewport
            assert page.evaluate("document.documentElement.scrollHeight <= innerHeight"), viewport
            expect(page.locator(".foot")).to_be_in_viewport(ratio=1)
            # Each charger label stays on one line inside its tile.
            for label in page.locator(".slots li > span:not(.n)").all():
                assert label.evaluate(ONE_LINE_INSIDE_ITS_TILE), (viewport, label.inner_text())


def test_tapping_checkin_confirms_and_the_confirmation_closes_by_itself(central, kiosk, open_page):
    station = kiosk()
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    page.evaluate("window.__sameDocument = true")

    page.get_by_test_id("checkin").tap()

    done = page.get_by_test_id("checkin-done")
    expect(done).to_be_visible()
    expect(done).to_contain_text("签到成功")
    expect(done).to_contain_text(re.compile(r"签到时间 \d\d:\d\d"))
    expect(done).not_to_contain_text("网络暂时中断")  # the broker is up
    # It closes itself after a few seconds, without a tap.
    expect(done).to_have_count(0, timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True
    assert page.url == station.url + "/"
    # Central stored the check-in and sent its receipt: nothing left to sync, no badge.
    expect(page.get_by_test_id("sync-badge")).to_have_count(0)
    assert station.pending() == 0


def test_the_confirmation_closes_when_tapped(kiosk, open_page):
    station = kiosk()
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    page.get_by_test_id("checkin").tap()
    done = page.get_by_test_id("checkin-done")
    expect(done).to_be_visible()
    done.get_by_role("button", name="关闭").tap()
    expect(done).to_have_count(0, timeout=3_000)


def test_unsynced_badge_counts_checkins_while_the_broker_is_unreachable(kiosk, open_page):
    # The kiosk heard its station once, then restarted with no network: it still knows its station.
    station = kiosk(broker_url=unreachable_broker_url(), prime=True)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    expect(page.locator("h1")).to_have_text("徐家汇爱心驿站")
    expect(page.get_by_test_id("sync-badge")).to_have_count(0)

    for n in range(1, 4):
        page.get_by_test_id("checkin").tap()
        done = page.get_by_test_id("checkin-done")
        expect(done).to_contain_text("签到成功")
        expect(done).to_contain_text("网络暂时中断，签到已保存在本机")
        done.get_by_role("button", name="关闭").tap()
        expect(done).to_have_count(0, timeout=3_000)
        expect(page.get_by_test_id("sync-badge")).to_have_text(f"未同步：{n}", timeout=3_000)
    assert station.pending() == 3
    expect(page.get_by_test_id("sync-badge")).to_be_visible()


def test_seats_and_chargers_change_live_without_reloading(kiosk, open_page, shared_mosquitto, topic_root):
    station = kiosk()
    page = open_page(LANDSCAPE)
    page.goto(station.url + "/")
    expect(page.get_by_test_id("free-seats")).to_have_text("13")
    expect(page.get_by_test_id("slots-free")).to_have_text("5")
    page.evaluate("window.__sameDocument = true")
    history_before = page.evaluate("history.length")

    publish(shared_mosquitto.port, topic_root, occupancy(inside=18))
    published = time.monotonic()
    expect(page.get_by_test_id("free-seats")).to_have_text("2", timeout=2_000)
    expect(page.get_by_test_id("seats")).to_contain_text("站内 18 人", timeout=500)
    assert time.monotonic() - published < 2.5

    publish(shared_mosquitto.port, topic_root, slot(1, SlotStatus.CHARGING))
    publish(shared_mosquitto.port, topic_root, slot(2, SlotStatus.FAULTED))
    expect(page.get_by_test_id("slots-free")).to_have_text("3", timeout=2_000)
    expect(page.get_by_test_id("slots-charging")).to_have_text("3", timeout=2_000)
    expect(page.get_by_test_id("slots-faulted")).to_have_text("2", timeout=2_000)

    # A full station says so: no free seat, never a negative number.
    publish(shared_mosquitto.port, topic_root, occupancy(inside=25))
    expect(page.get_by_test_id("free-seats")).to_have_text("0", timeout=2_000)

    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("history.length") == history_before


def test_language_switches_to_english_and_back(kiosk, open_page):
    station = kiosk()
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")

    page.get_by_test_id("switch-language").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Xujiahui Rest Station")
    expect(page.locator(".district")).to_have_text("Xuhui District Federation")
    expect(page.get_by_test_id("checkin")).not_to_contain_text("签到")
    expect(page.get_by_test_id("switch-language")).to_contain_text("中文")
    expect(page.get_by_test_id("free-seats")).to_have_text("13")
    # The live refresh keeps the chosen language.
    count_swaps(page, "live")
    wait_for_swaps(page, "live")
    expect(page.get_by_test_id("seats")).not_to_contain_text("座")

    page.get_by_test_id("switch-language").tap()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("徐家汇爱心驿站")
    expect(page.get_by_test_id("switch-language")).to_contain_text("English")


def test_idle_reset_wipes_the_screen_the_session_and_the_storage(kiosk, open_page):
    station = kiosk(idle_reset_seconds=2, idle_warning_seconds=1)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    # An untouched screen is never reset: it stays as it is well past the idle time.
    page.evaluate("window.__sameDocument = true")
    page.wait_for_timeout(3_000)
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_test_id("switch-language").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert session_of(station, page.context).get("lang") == "en"
    csrf_before = session_of(station, page.context)["csrf"]
    page.evaluate("sessionStorage.setItem('left', 'by the last rider'); localStorage.setItem('left', 'too')")
    page.evaluate("window.__sameDocument = true")
    history_before = page.evaluate("history.length")

    # Back to Chinese by itself after 2 s without a touch: a new document, not a pushed page.
    page.wait_for_function("() => window.__sameDocument === undefined", timeout=6_000)
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_have_text("徐家汇爱心驿站")
    assert page.url == station.url + "/"
    assert page.evaluate("history.length") == history_before
    # Nothing of the last rider is left in the browser. The one key htmx itself writes on every page
    # load (the path it is on, "/") is all sessionStorage may hold.
    assert page.evaluate("Object.entries(sessionStorage)") in ([], [["htmx-current-path-for-history", "/"]])
    assert page.evaluate("localStorage.length") == 0
    session = session_of(station, page.context)
    assert "lang" not in session
    assert session.get("csrf") != csrf_before  # a new session, not the old one minus a key
    assert page.locator("body").get_attribute("data-pristine") == "true"
