"""The card scanner on a busy kiosk, in a real browser: a scanner's burst is read whatever the jitter,
stalls or a busy page do to its keys; a person typing the same text is not; a scan is a scan wherever
the focus is (feedback: a chosen answer's radio must not turn the scanner's Enter into a submit)."""

from __future__ import annotations

import json
import random
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from devices.protocol import trust, utcnow
from tests.browser.conftest import PORTRAIT, publish, scanner_types
from tests.browser.test_membership import MEMBER, card_checkins, kiosk_with_keys
from waystation import cards
from waystation.sealing import b64

pytestmark = pytest.mark.browser


@pytest.fixture
def card(shared_mosquitto, topic_root):
    """A member card signed by a key central has published (retained) to this test's kiosks."""
    key, public = cards.new_signing_key()
    publish(shared_mosquitto.port, topic_root, trust.TrustAnchors((("TSTK", public),), b64(b"s" * 32), utcnow()))
    now = utcnow()
    return cards.sign_card(key, "TSTK", MEMBER, now - timedelta(days=1), now + timedelta(days=300))


def type_with_gaps(page, text: str, gaps) -> None:
    """Type `text` key by key, waiting the given milliseconds between keys, then Enter."""
    for char, gap in zip(text, gaps, strict=True):
        page.keyboard.press(char)
        time.sleep(gap / 1000)
    page.keyboard.press("Enter")


def keys_on_schedule(page, text: str, gaps) -> None:
    """The page itself fires `text`'s keydowns `gaps` ms apart, then Enter, and waits until it has.

    Through the driver each key costs a round trip that a loaded test machine stretches by tens of
    milliseconds, beyond the gaps under test; in the page the schedule is the one asked for.
    """
    page.evaluate("""([keys, gaps]) => new Promise((done) => {
        let i = 0;
        const next = () => {
            const key = i < keys.length ? keys[i] : "Enter";
            document.body.dispatchEvent(new KeyboardEvent("keydown", {key: key, bubbles: true, cancelable: true}));
            if (i++ >= keys.length) { done(); return; }
            setTimeout(next, gaps[i - 1]);
        };
        next();
    })""", [list(text), list(gaps)])


def test_a_burst_with_random_gaps_of_up_to_60_ms_is_still_a_scan(kiosk, open_page, card):
    station = kiosk_with_keys(kiosk)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    jitter = random.Random(17)
    keys_on_schedule(page, card, [jitter.uniform(0, 60) for _ in card])
    expect(page.get_by_test_id("welcome")).to_have_text(f"欢迎您，会员 {MEMBER}")
    assert card_checkins(station) == [MEMBER]


def test_a_burst_stalled_by_a_busy_kiosk_is_still_a_scan(kiosk, open_page, card):
    station = kiosk_with_keys(kiosk)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    # Half the card, then the kiosk PC freezes for 0.7 s (the page's main thread busy), then the rest.
    half = len(card) // 2
    scanner_types(page, card[:half])
    page.evaluate("setTimeout(() => { const end = performance.now() + 700; while (performance.now() < end) {} }, 0)")
    time.sleep(0.05)
    scanner_types(page, card[half:])
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("welcome")).to_have_text(f"欢迎您，会员 {MEMBER}")
    expect(page.get_by_test_id("card-refused")).to_have_count(0)


def test_slow_human_typing_of_the_same_text_is_not_a_scan(kiosk, open_page, card):
    station = kiosk_with_keys(kiosk)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    pace = random.Random(5)
    # A fast typist: 90 to 250 ms a key, now and then a quicker pair.
    type_with_gaps(page, card[:60], [pace.choice([pace.uniform(90, 250), pace.uniform(40, 90)]) for _ in card[:60]])
    page.wait_for_timeout(800)
    expect(page.get_by_test_id("checkin-done")).to_have_count(0)
    expect(page.get_by_test_id("card-refused")).to_have_count(0)
    page.keyboard.type(card, delay=120)  # the whole card at a steady human pace
    page.keyboard.press("Enter")
    page.wait_for_timeout(1_000)
    expect(page.get_by_test_id("checkin-done")).to_have_count(0)
    expect(page.get_by_test_id("card-refused")).to_have_count(0)
    assert card_checkins(station) == []


def test_a_foreign_code_at_scanner_speed_says_it_is_not_a_member_card(kiosk, open_page, card):
    station = kiosk_with_keys(kiosk)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    page.keyboard.type("https://shop.example/item?id=12345", delay=4)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("card-refused")).to_contain_text("这不是驿站会员卡的二维码")
    assert card_checkins(station) == []


def test_feedback_a_scan_after_choosing_answers_attaches_the_member_and_submits_nothing(kiosk, open_page, card):
    from kiosk.models import OutboxEvent, db

    station = kiosk_with_keys(kiosk)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/feedback/")

    def feedback_events():
        with db.connection_context():
            return [json.loads(e.data) for e in OutboxEvent.select().where(OutboxEvent.kind == "feedback")]

    page.locator("label.choice.score").nth(3).tap()
    page.get_by_test_id("category-seats").check()
    assert page.evaluate("document.activeElement.type") in ("radio", "checkbox")  # focus on an answer
    scanner_types(page, card)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("feedback-member")).to_contain_text(MEMBER)
    page.wait_for_timeout(500)
    assert feedback_events() == []  # the scanner's Enter did not send the form
    expect(page.get_by_test_id("feedback-form")).to_be_visible()
    page.get_by_test_id("feedback-member").tap()
    expect(page.get_by_test_id("feedback-identity")).to_contain_text(MEMBER)
    expect(page.get_by_test_id("score-4")).to_be_checked()  # the answers are still chosen
    page.get_by_test_id("feedback-send").tap()
    expect(page.get_by_test_id("feedback-thanks")).to_contain_text(MEMBER)
    [sent] = feedback_events()
    assert sent["member_no"] == MEMBER and sent["score"] == 4 and sent["categories"] == ["seats"]


def test_the_page_reads_codes_by_the_very_forms_python_checks(kiosk, open_page, card):
    from waystation.vouchers import provisional_voucher

    station = kiosk()
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    shaped = "text => JSON.parse(document.body.dataset.codeForms).some(source => new RegExp(source).test(text))"
    assert page.evaluate(shaped, card)
    assert page.evaluate(shaped, provisional_voucher("0123456789", MEMBER, "202612"))
    for other in ("https://shop.example/item?id=12345", card[:-1], "WS2" + card[3:], card + "A"):
        assert not page.evaluate(shaped, other), other
