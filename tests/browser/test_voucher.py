"""The care-day voucher screen in a real browser: a scanner's key burst claims the voucher, central
confirms it over MQTT, and the QR on screen holds the signed voucher."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE, PORTRAIT, read_qr, scanner_types
from tests.conftest import care_moment, wait_until

pytestmark = pytest.mark.browser


def test_scanning_a_card_on_the_voucher_screen_shows_the_confirmed_voucher(central, kiosk, open_page, clock):
    from kiosk.models import CarePolicy, TrustedKey, db
    from station_admin.core.models import db as central_db
    from station_admin.members.models import Member

    # Kiosk and central both at the care day: central decides the claim by its own clock (a claim dated days
    # ahead of central's clock would be stored with its receive time and refused as not the care day).
    clock(care_moment())
    protector = central.app.extensions["waystation.protector"]
    with central_db.connection_context():
        member = Member.select().order_by(Member.id).first()
        card = member.card_text(protector)
    station = kiosk()

    def ready():
        with db.connection_context():
            return TrustedKey.select().where(TrustedKey.kid != "sealing").exists() and CarePolicy.select().exists()
    wait_until(ready, timeout=15, message="card keys and the voucher policy at the kiosk")

    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    page.get_by_test_id("voucher-open").tap()
    expect(page.get_by_test_id("care-day-today")).to_contain_text("今天是关爱日")
    scanner_types(page, card)  # a USB scanner's burst, then Enter: it goes to the voucher claim
    page.keyboard.press("Enter")
    voucher = page.get_by_test_id("voucher")
    expect(voucher).to_have_attribute("data-status", "confirmed")
    expect(page.get_by_test_id("voucher-confirmed")).to_be_visible()
    text = page.locator(".voucher-qr").get_attribute("data-text")
    assert text.startswith("WV1.") and member.member_no in text
    assert read_qr(page, ".voucher-qr svg") == text
    box = page.locator(".voucher-qr svg").bounding_box()
    assert box["width"] >= 300

    # The home screen with its new button still fits a landscape panel without scrolling.
    landscape = open_page(LANDSCAPE)
    landscape.goto(station.url + "/")
    assert landscape.evaluate("document.documentElement.scrollHeight <= window.innerHeight")
