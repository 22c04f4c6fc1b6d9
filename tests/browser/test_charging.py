"""Charging in a real browser: open the charging screen from home, scan the card, tap a free slot, see it start."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE, MEMBER, STATION, kiosk_with_keys, scanner_types
from tests.charging_helpers import DrivenCharger

pytestmark = pytest.mark.browser


def test_scan_tap_a_slot_and_see_it_charging(kiosk, open_page, card, kiosk_settings, shared_mosquitto):  # noqa: F811
    station = kiosk_with_keys(kiosk)
    charger = DrivenCharger(kiosk_settings(shared_mosquitto.url).broker, station=STATION)
    charger.start()
    try:
        page = open_page(LANDSCAPE)
        page.goto(station.url + "/")
        page.get_by_test_id("charging").click()
        expect(page.get_by_test_id("charging-scan-hint")).to_be_visible()
        scanner_types(page, card)  # the USB scanner's burst goes to this screen's data-scan-url
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("charging-member")).to_contain_text(f"会员 {MEMBER}")
        button = page.get_by_test_id("start-slot-1")
        assert button.bounding_box()["height"] >= 60
        button.click()
        expect(page.get_by_test_id("started")).to_have_text("已在 1 号口开始充电", timeout=10_000)
        assert charger.agent.sessions.keys() == {1}
    finally:
        charger.stop()
