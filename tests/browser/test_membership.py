"""Member cards in a real browser: a USB scanner's key burst checks a member in, a person typing does
not; the idle reset leaves nothing of the member; the join screen's QR; the card page's QR holds the card."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (  # noqa: F401 - MEMBER, kiosk_with_keys and read_qr are also imported from here
    MEMBER,
    PORTRAIT,
    kiosk_with_keys,
    publish,
    read_qr,
    scanner_types,
    session_of,
)
from tests.conftest import wait_until

pytestmark = pytest.mark.browser
def card_checkins(station) -> list[str]:
    from kiosk.models import CheckIn, db

    with db.connection_context():
        return [c.member_no for c in CheckIn.select().where(CheckIn.method == "card")]


def test_a_scanner_burst_with_no_field_focused_checks_the_member_in(kiosk, open_page, card):
    station = kiosk_with_keys(kiosk)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    assert page.evaluate("document.activeElement === document.body")
    scanner_types(page, card)  # a USB scanner: the whole code in a fast burst, then Enter
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("welcome")).to_have_text(f"欢迎您，会员 {MEMBER}")
    assert card_checkins(station) == [MEMBER]

    # The same card again at once (a double scan) is one check-in.
    scanner_types(page, card)
    page.keyboard.press("Enter")
    page.wait_for_timeout(1_000)
    assert card_checkins(station) == [MEMBER]


def test_human_speed_typing_of_the_same_text_does_nothing(kiosk, open_page, card):
    station = kiosk_with_keys(kiosk)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    page.keyboard.type(card, delay=120)  # a person at a keyboard, far slower than a scanner
    page.keyboard.press("Enter")
    page.wait_for_timeout(1_500)
    expect(page.get_by_test_id("checkin-done")).to_have_count(0)
    expect(page.get_by_test_id("card-refused")).to_have_count(0)
    assert card_checkins(station) == []


def test_a_refused_card_says_why_and_checks_nobody_in(kiosk, open_page, card):
    station = kiosk_with_keys(kiosk)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    tampered = card[:20] + ("A" if card[20] != "A" else "B") + card[21:]
    scanner_types(page, tampered)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("card-refused")).to_contain_text("会员卡校验失败")
    assert card_checkins(station) == []


def test_after_the_idle_reset_nothing_of_the_member_is_left(kiosk, open_page, card):
    # Long enough that a busy CI machine shows the welcome before the reset comes.
    station = kiosk_with_keys(kiosk, idle_reset_seconds=8, idle_warning_seconds=2)
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    scanner_types(page, card)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("welcome")).to_contain_text(MEMBER, timeout=7_000)
    page.evaluate("window.__sameDocument = true")
    history_before = page.evaluate("history.length")

    page.wait_for_function("() => window.__sameDocument === undefined", timeout=15_000)
    expect(page.get_by_test_id("checkin")).to_be_visible()
    assert MEMBER not in page.content()
    assert page.evaluate("history.length") == history_before  # replaced, not pushed: "back" shows nothing new
    assert MEMBER not in str(page.evaluate("[Object.entries(sessionStorage), Object.entries(localStorage)]"))
    assert MEMBER not in str(session_of(station, page.context))
    assert card not in page.content()


def test_join_screen_shows_a_fresh_signed_qr(kiosk, open_page, shared_mosquitto, topic_root):
    from devices.protocol.station_config import StationConfig
    from tests.browser.conftest import STATION_CONFIG

    config = StationConfig(**{**STATION_CONFIG.__dict__, "join_url": "https://union.example/m/join",
                              "join_key": "k" * 64})
    publish(shared_mosquitto.port, topic_root, config)
    station = kiosk(publish_state=False)
    wait_until(lambda: station.station_info().join_key, message="the join key at the kiosk")
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    page.get_by_test_id("join").tap()
    qr = page.get_by_test_id("join-qr")
    expect(qr).to_be_visible()
    url = qr.get_attribute("data-url")
    assert re.fullmatch(r"https://union\.example/m/join\?s=xh-xujiahui&t=[0-9a-z]+&h=[0-9a-f]{20}", url)
    box = qr.locator("svg").bounding_box()
    assert box["width"] >= 300  # big enough to scan from a phone held at arm's length
    # The QR itself holds that address: read back with the same QR reader the kiosk's camera uses.
    assert read_qr(page, "[data-testid=join-qr] svg") == url


def test_the_card_page_qr_holds_the_signed_card(central, open_page):
    from station_admin.core.models import db
    from station_admin.demo.seed import DEMO_MEMBERS
    from station_admin.members.models import Member

    protector = central.app.extensions["waystation.protector"]
    with db.connection_context():
        member = Member.by_phone(protector, DEMO_MEMBERS[0][1])
        text = member.card_text(protector)
        token = "browser-test-token"
        member.page_token_hash = Member.token_hash(token)
        member.save()
    page = open_page(PORTRAIT)
    page.goto(f"{central.url}/m/card/{token}")
    expect(page.get_by_test_id("member-no")).to_have_text(member.member_no)
    assert read_qr(page, ".card-qr svg") == text
    assert "张师傅" not in page.content() and "13800000001" not in page.content()


def y4m_of(png: bytes, path, width: int = 640, height: int = 480, frames: int = 10):
    """A short Y4M video (what Chromium's fake camera plays) of a picture centred on white."""
    import io

    from PIL import Image

    picture = Image.open(io.BytesIO(png)).convert("RGB")
    picture.thumbnail((height - 40, height - 40))
    frame = Image.new("RGB", (width, height), "white")
    frame.paste(picture, ((width - picture.width) // 2, (height - picture.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (width // 2, height // 2)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + planes)
    return path


def test_the_camera_reads_a_card_held_up_to_it(kiosk, card, tmp_path, browser):
    """The camera path: Chromium's fake camera plays a video of the card's QR; jsQR reads it."""
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, new_page
    from waystation.qr import qr_png

    station = kiosk_with_keys(kiosk)
    video = y4m_of(qr_png(card), tmp_path / "card.y4m")
    # A Chromium of its own: the fake camera is chosen when the browser starts.
    with_camera = browser.browser_type.launch(executable_path=CHROMIUM, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    try:
        page = new_page(with_camera, PORTRAIT)
        page.context.grant_permissions(["camera"], origin=station.url)
        page.goto(station.url + "/")
        page.get_by_test_id("camera-open").tap()
        expect(page.get_by_test_id("welcome")).to_have_text(f"欢迎您，会员 {MEMBER}")
        expect(page.locator("#camera")).to_be_hidden()  # the camera is stopped once a code is read
    finally:
        with_camera.close()
    assert card_checkins(station) == [MEMBER]


def test_the_join_screen_points_where_the_qr_is_in_each_orientation(kiosk, open_page):
    from tests.browser.conftest import LANDSCAPE

    station = kiosk()
    cases = ((PORTRAIT, "用手机扫描上方二维码", "左侧"), (LANDSCAPE, "用手机扫描左侧二维码", "上方"))
    for viewport, where, elsewhere in cases:
        page = open_page(viewport)
        page.goto(station.url + "/join/")
        steps = page.locator(".steps")
        expect(steps).to_contain_text(where)
        assert elsewhere not in steps.inner_text(), viewport


def test_a_rider_who_lost_the_card_link_gets_it_back_on_the_phone(central, browser):
    """From the join page (the kiosk's join QR) to the card again, on a 390×844 phone: wrong digits first."""
    from devices.protocol import utcnow
    from station_admin.core.models import db
    from station_admin.demo.seed import DEMO_MEMBERS
    from station_admin.members.models import Member
    from tests.browser.conftest import TIMEOUT_MS
    from waystation.cards import join_link_query

    protector = central.app.extensions["waystation.protector"]
    with db.connection_context():
        member = Member.by_phone(protector, DEMO_MEMBERS[0][1])
        old_token = "the-link-the-rider-lost"
        member.page_token_hash = Member.token_hash(old_token)
        member.save()
        link = join_link_query(protector.join_key("xh-xujiahui"), "xh-xujiahui", utcnow())
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", has_touch=True,
                                  is_mobile=True, timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(f"{central.url}/m/join?{link}")
        page.get_by_test_id("recover-link").tap()
        expect(page.locator("h1")).to_have_text("找回会员卡")
        page.get_by_label("会员号").fill(member.member_no.lower())
        page.get_by_label("入会手机号的后四位").fill("0002")
        page.get_by_test_id("recover-submit").tap()
        expect(page.get_by_test_id("recover-error")).to_have_text("会员号与手机号后四位不匹配，未找回会员卡。请核对后再试。")
        expect(page.get_by_label("会员号")).to_have_value(member.member_no)  # kept, to correct the digits
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.get_by_label("入会手机号的后四位").fill("0001")
        page.get_by_test_id("recover-submit").tap()
        expect(page.get_by_test_id("member-no")).to_have_text(member.member_no)
        expect(page.get_by_test_id("new-link")).to_be_visible()
        with db.connection_context():
            assert read_qr(page, ".card-qr svg") == member.card_text(protector)  # the same card as before
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.goto(f"{central.url}/m/card/{old_token}").status == 404  # the lost link opens nothing now
        expect(page.get_by_test_id("member-no")).to_have_count(0)
    finally:
        context.close()
