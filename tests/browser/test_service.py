"""Asking for help on the kiosk in a real browser: taps and the keypad only, big targets, a receipt."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from devices.protocol import trust, utcnow
from tests.browser.conftest import LANDSCAPE, PORTRAIT, publish
from tests.conftest import wait_until
from waystation.sealing import b64

pytestmark = pytest.mark.browser


@pytest.fixture
def station(kiosk, shared_mosquitto, topic_root):
    """A kiosk that has central's sealing key and its station's districts."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    from waystation.sealing import public_key_text

    sealing = public_key_text(X25519PrivateKey.generate())
    publish(shared_mosquitto.port, topic_root, trust.TrustAnchors((("TSTK", b64(b"k" * 32)),), sealing, utcnow()))
    running = kiosk()
    from kiosk.models import StationInfo, TrustedKey, db

    wait_until(lambda: running.station_info().configured, message="station config")
    with db.connection_context():
        wait_until(lambda: TrustedKey.get_or_none(TrustedKey.kid == "sealing"), message="the sealing key")
        info = StationInfo.for_station("xh-xujiahui")
        info.district_code, info.public_url = "xuhui", "https://union.example"
        info.districts = json.dumps([["xuhui", "徐汇区总工会", "Xuhui"], ["minhang", "闵行区总工会", "Minhang"]])
        info.save()
    return running


def big_enough(page, selector: str):
    # Measured once the page's stylesheets have loaded: a layout asked for before then is the unstyled one
    # (a loaded machine showed a 24 px label the stylesheet makes 80 px).
    page.wait_for_load_state("load")
    for box in [e.bounding_box() for e in page.locator(selector).all()]:
        assert box["height"] >= 60 and box["width"] >= 60, (selector, box)


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE])
def test_a_rider_asks_for_legal_aid_with_taps_and_the_keypad(station, open_page, viewport):
    page = open_page(viewport)
    page.goto(station.url + "/")
    page.get_by_test_id("ask-help").tap()
    big_enough(page, ".tile")
    page.get_by_test_id("service-legal_aid").tap()
    expect(page.get_by_test_id("step")).to_have_text("第 2/6 步")
    big_enough(page, ".choice")
    page.locator("label.choice", has_text="拖欠工资").tap()
    page.locator("label.choice", has_text="外卖骑手").tap()
    page.get_by_test_id("next").tap()
    big_enough(page, ".key")
    for digit in "13912345678":
        page.get_by_test_id(f"key-{digit}").tap()
    expect(page.get_by_test_id("phone-display")).to_have_text("139 1234 5678")
    page.get_by_test_id("phone-next").tap()
    expect(page.get_by_test_id("district-xuhui")).to_be_checked()  # the station's district by default
    page.locator("label.choice", has_text="晚上").tap()
    page.get_by_test_id("next").tap()
    expect(page.get_by_test_id("summary")).to_contain_text("尾号 5678 的手机")
    page.get_by_test_id("submit").tap()
    code = page.get_by_test_id("tracking-code")
    expect(code).to_have_text(__import__("re").compile(r"^[A-Z2-9]{8}$"))
    expect(page.get_by_test_id("track-qr")).to_be_visible()
    # The network is fine: no "network down" note for the request just filed.
    expect(page.get_by_test_id("receipt-offline")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert station.pending() == 1  # in the outbox, on its way to central


def test_the_receipt_says_the_network_is_down_only_when_the_outbox_is_stuck(station):
    """Connected to the broker, the request just filed is no reason for the note; an event central
    should long have confirmed is."""
    from datetime import timedelta

    from devices.protocol import events
    from kiosk.models import OutboxEvent, db
    from tests.conftest import csrf_of

    client = station.app.test_client()
    client.get("/service/")
    form = {"csrf_token": csrf_of(client)}
    client.post("/service/legal_aid", data={**form, "matter": "wages", "work": "delivery"})
    client.post("/service/identify/phone", data={**form, "phone": "13912345678"})
    client.post("/service/details", data={**form, "district": "xuhui", "best_time": "evening"})
    client.post("/service/confirm", data=form)
    receipt = client.get("/service/receipt").get_data(as_text=True)
    assert 'data-testid="tracking-code"' in receipt and 'data-testid="receipt-offline"' not in receipt
    with db.connection_context():
        OutboxEvent.add(events.CheckIn("anonymous", None), utcnow() - timedelta(minutes=10))
    receipt = client.get("/service/receipt").get_data(as_text=True)
    assert 'data-testid="receipt-offline"' in receipt and "网络暂时中断" in receipt


def test_the_language_switch_is_on_every_screen_and_keeps_the_request(station, open_page):
    page = open_page(PORTRAIT)
    for path in ("/join/", "/charging/", "/voucher/", "/feedback/", "/service/", "/service/legal_aid"):
        page.goto(station.url + path)
        page.get_by_test_id("switch-language").tap()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.url == station.url + path, path  # the same screen, in English
        big_enough(page, "[data-testid=switch-language]")
        page.get_by_test_id("switch-language").tap()
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    # In the middle of a request: the answers so far survive the switch.
    page.goto(station.url + "/service/legal_aid")
    page.locator("label.choice", has_text="拖欠工资").tap()
    page.locator("label.choice", has_text="外卖骑手").tap()
    page.get_by_test_id("next").tap()
    for digit in "13912345678":
        page.get_by_test_id(f"key-{digit}").tap()
    page.get_by_test_id("phone-next").tap()
    page.get_by_test_id("switch-language").tap()
    expect(page.get_by_test_id("step")).to_have_text("Step 4 of 6")
    expect(page.get_by_test_id("district-xuhui")).to_be_checked()
    page.locator("label.choice", has_text="Evening").tap()
    page.get_by_test_id("next").tap()
    expect(page.get_by_test_id("summary")).to_contain_text("Wages withheld")


def test_the_keypad_keeps_the_digits_after_a_refusal_and_drops_the_refusal_once_corrected(station, open_page):
    page = open_page(PORTRAIT)
    page.goto(station.url + "/service/legal_aid")
    page.locator("label.choice", has_text="拖欠工资").tap()
    page.locator("label.choice", has_text="外卖骑手").tap()
    page.get_by_test_id("next").tap()
    for digit in "2391234567":  # ten digits, and no mobile number starts with 2
        page.get_by_test_id(f"key-{digit}").tap()
    page.get_by_test_id("phone-next").tap()
    expect(page.get_by_test_id("phone-error")).to_be_visible()
    expect(page.get_by_test_id("phone-display")).to_have_text("239 1234 567")  # still there to correct
    for _ in range(10):
        page.get_by_test_id("key-back").tap()
    expect(page.get_by_test_id("phone-error")).to_be_hidden()  # the number changed: the refusal is old news
    for digit in "13912345678":
        page.get_by_test_id(f"key-{digit}").tap()
    expect(page.get_by_test_id("phone-display")).to_have_text("139 1234 5678")
    page.get_by_test_id("phone-next").tap()
    expect(page.get_by_test_id("step")).to_have_text("第 4/6 步")


@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE])
def test_next_and_submit_sit_on_the_same_side(station, open_page, viewport):
    page = open_page(viewport)
    page.goto(station.url + "/service/legal_aid")
    page.locator("label.choice", has_text="拖欠工资").tap()
    page.locator("label.choice", has_text="外卖骑手").tap()
    next_box = page.get_by_test_id("next").bounding_box()
    page.get_by_test_id("next").tap()
    for digit in "13912345678":
        page.get_by_test_id(f"key-{digit}").tap()
    page.get_by_test_id("phone-next").tap()
    page.locator("label.choice", has_text="晚上").tap()
    page.get_by_test_id("next").tap()
    submit_box = page.get_by_test_id("submit").bounding_box()
    assert next_box["x"] > viewport["width"] / 2 and submit_box["x"] > viewport["width"] / 2, (next_box, submit_box)
    assert abs((next_box["x"] + next_box["width"]) - (submit_box["x"] + submit_box["width"])) <= 2


def test_a_key_tapped_while_the_keypad_script_loads_is_not_lost(station, open_page):
    """The keys stay disabled until kiosk.js has wired them: a tap in between waits rather than vanishing."""
    page = open_page(PORTRAIT)

    def slow_script(route):  # the page is up and tappable 1.5 s before its script has wired the keypad
        original = route.fetch().text()
        route.fulfill(body="setTimeout(function () {\n" + original + "\n}, 1500);", content_type="text/javascript")

    page.goto(station.url + "/service/legal_aid")
    page.locator("label.choice", has_text="拖欠工资").tap()
    page.locator("label.choice", has_text="外卖骑手").tap()
    page.route("**/js/kiosk.js*", slow_script)
    page.get_by_test_id("next").tap()
    page.get_by_test_id("key-1").tap()
    expect(page.get_by_test_id("phone-display")).to_have_text("1")
