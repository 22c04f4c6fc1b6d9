"""The central dashboard in a real browser: sign in, see your stations, watch them change live."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from devices.protocol.availability import Availability, DeviceKind
from devices.protocol.charger import SlotStatus
from tests.browser.conftest import DESKTOP, charger_online, count_swaps, occupancy, publish, slot, wait_for_swaps

pytestmark = pytest.mark.browser

ALL_STATIONS = ["xh-xujiahui", "xh-caohejing", "xh-longhua"]


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url + "/auth/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()


def station_codes(page) -> list[str]:
    """The stations on the dashboard, in the order of their cards."""
    return page.locator("article.station").evaluate_all("els => els.map(e => e.dataset.station)")


def test_dashboard_needs_a_login(central, open_page):
    page = open_page(DESKTOP)
    page.goto(central.url + "/")
    assert page.url.startswith(central.url + "/auth/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.get_by_label("用户名")).to_be_visible()
    expect(page.get_by_label("密码")).to_have_attribute("type", "password")


def test_wrong_password_shows_the_error_in_chinese(central, open_page):
    page = open_page(DESKTOP)
    sign_in(page, central.url, "admin", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确。")
    assert "/auth/login" in page.url
    expect(page.locator("article.station")).to_have_count(0)


def test_admin_sees_all_three_demo_stations(central, open_page):
    page = open_page(DESKTOP)
    sign_in(page, central.url, "admin", "admin-demo")
    expect(page.get_by_role("heading", name="驿站实时看板")).to_be_visible()
    assert page.url == central.url + "/"
    expect(page.locator("header.top")).to_contain_text("系统管理员")
    expect(page.locator("article.station")).to_have_count(3)
    assert station_codes(page) == sorted(ALL_STATIONS)
    expect(page.locator("#stations .meta")).to_contain_text("共 3 个驿站")
    card = page.locator('article[data-station="xh-xujiahui"]')
    expect(card.locator("h2")).to_have_text("徐家汇爱心驿站")
    expect(card.get_by_test_id("online")).to_have_text("从未连接")
    expect(card.get_by_test_id("people")).to_have_text("— / 20")


def test_manager_sees_only_their_two_stations(central, open_page):
    page = open_page(DESKTOP)
    sign_in(page, central.url, "manager", "manager-demo")
    expect(page.locator("article.station")).to_have_count(2)
    assert station_codes(page) == sorted(ALL_STATIONS[:2])
    expect(page.locator('article[data-station="xh-longhua"]')).to_have_count(0)
    # The live refresh keeps to the manager's scope too.
    count_swaps(page, "stations")
    wait_for_swaps(page, "stations", 2)
    expect(page.locator("article.station")).to_have_count(2)


def test_a_card_changes_live_when_the_station_reports(central, open_page, shared_mosquitto, topic_root):
    page = open_page(DESKTOP)
    sign_in(page, central.url, "admin", "admin-demo")
    card = page.locator('article[data-station="xh-longhua"]')
    expect(card.get_by_test_id("people")).to_have_text("— / 12")
    expect(card.locator(".slot")).to_have_count(4)
    expect(card.locator(".slot.s-unknown")).to_have_count(4)  # nothing reported yet: unknown, not offline
    page.evaluate("window.__sameDocument = true")
    history_before = page.evaluate("history.length")

    port = shared_mosquitto.port
    publish(port, topic_root, Availability("xh-longhua", "kiosk", DeviceKind.KIOSK, True))
    publish(port, topic_root, occupancy(inside=11, station="xh-longhua"))
    expect(card.get_by_test_id("people")).to_have_text("11 / 12", timeout=2_000)
    expect(card.get_by_test_id("online")).to_have_text("在线", timeout=2_000)
    expect(card.locator(".meter .meter-fill.hot")).to_have_count(1)  # 92 % full

    publish(port, topic_root, charger_online("xh-longhua"))
    publish(port, topic_root, slot(1, SlotStatus.CHARGING, station="xh-longhua"))
    publish(port, topic_root, slot(2, SlotStatus.AVAILABLE, station="xh-longhua"))
    publish(port, topic_root, slot(3, SlotStatus.FAULTED, station="xh-longhua"))
    expect(card.locator('.slot[data-status="charging"]')).to_have_count(1, timeout=2_000)
    expect(card.locator(".slot").nth(0)).to_have_attribute("data-status", "charging")
    expect(card.locator(".slot").nth(1)).to_have_attribute("data-status", "available")
    expect(card.locator(".slot").nth(2)).to_have_attribute("data-status", "faulted")
    expect(card.locator(".slot").nth(3)).to_have_attribute("data-status", "unknown")  # never reported
    expect(card.locator(".legend")).to_contain_text("故障 1")

    publish(port, topic_root, occupancy(inside=4, station="xh-longhua"))
    expect(card.get_by_test_id("people")).to_have_text("4 / 12", timeout=2_000)
    # The other stations did not move.
    expect(page.locator('article[data-station="xh-xujiahui"]').get_by_test_id("people")).to_have_text("— / 20")

    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("history.length") == history_before


CONTRAST = """el => {
  const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = c => {
    const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const style = getComputedStyle(el);
  const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


def test_the_online_badge_is_white_on_green(central, open_page, shared_mosquitto, topic_root):
    """The 在线 badge was green text on the same green; its text must stand out from its own background."""
    page = open_page(DESKTOP)
    sign_in(page, central.url, "admin", "admin-demo")
    publish(shared_mosquitto.port, topic_root, Availability("xh-longhua", "kiosk", DeviceKind.KIOSK, True))
    badge = page.locator('article[data-station="xh-longhua"]').get_by_test_id("online")
    expect(badge).to_have_text("在线", timeout=3_000)
    assert badge.evaluate(CONTRAST) >= 4.5
    offline = page.locator('article[data-station="xh-xujiahui"]').get_by_test_id("online")
    assert offline.evaluate(CONTRAST) >= 4.5


def test_the_alarm_strip_is_one_line_above_the_stations_and_stays_as_the_user_left_it(central, open_page):
    """Stations come first on the screen: alarms are a strip of counts that unfolds, and a poll does not fold it."""
    page = open_page(DESKTOP)
    sign_in(page, central.url, "admin", "admin-demo")
    strip = page.get_by_test_id("alarms")
    expect(strip).to_have_js_property("tagName", "DETAILS")
    assert strip.bounding_box()["height"] < 60
    assert page.locator("article.station").first.bounding_box()["y"] < 300  # the first cards are above the fold
    page.evaluate("""() => { window.__stripSwaps = 0;
        document.addEventListener('htmx:afterSettle', e => { if (e.detail.target.id === 'alarms'
            || (e.detail.elt && e.detail.elt.id === 'alarms')) window.__stripSwaps += 1; }); }""")
    strip.locator("summary").click()
    expect(strip).to_have_js_property("open", True)
    page.wait_for_function("() => window.__stripSwaps >= 1", timeout=15_000)  # the strip polled and was swapped
    expect(page.get_by_test_id("alarms")).to_have_js_property("open", True)


@pytest.fixture
def paged_central(shared_mosquitto, central_settings):
    """The demo central with pages of 2 stations (the 3 demo stations make two pages)."""
    from tests.browser.conftest import running_central

    settings = central_settings(shared_mosquitto.url, template="seeded", central={"page_size": 2, "summary_seconds": 0,
                                                                                           "page_share_seconds": 0})
    with running_central(settings, seeded=True) as running:
        yield running


def test_the_board_pages_filters_and_changes_live_on_the_visible_page(paged_central, open_page, shared_mosquitto,
                                                                      topic_root):
    page = open_page(DESKTOP)
    sign_in(page, paged_central.url, "admin", "admin-demo")
    expect(page.locator("article.station")).to_have_count(2)
    assert station_codes(page) == ["xh-caohejing", "xh-longhua"]
    expect(page.get_by_test_id("page-of").first).to_have_text("第 1 / 2 页")
    expect(page.get_by_test_id("summary")).to_contain_text("在线 0 / 3 个驿站")

    page.get_by_test_id("page-next").first.click()
    expect(page.get_by_test_id("page-of").first).to_have_text("第 2 / 2 页")
    assert station_codes(page) == ["xh-xujiahui"]
    assert page.url == paged_central.url + "/?page=2"  # a page of the board is a link

    # A search swaps the stations, not the form, and the URL says what is shown.
    page.get_by_label("搜索").fill("龙华")
    expect(page.locator('article[data-station="xh-longhua"]')).to_have_count(1)
    expect(page.locator("article.station")).to_have_count(1)
    assert station_codes(page) == ["xh-longhua"]
    page.wait_for_url(paged_central.url + "/?q=" + quote("龙华"))  # the view's own URL: no empty fields, no page
    expect(page.locator(".pager")).to_have_count(0)  # one station: no pager

    # The live poll asks for the same view: the card changes, and the view stays filtered.
    count_swaps(page, "stations")
    port = shared_mosquitto.port
    publish(port, topic_root, Availability("xh-longhua", "kiosk", DeviceKind.KIOSK, True))
    publish(port, topic_root, occupancy(inside=5, station="xh-longhua"))
    card = page.locator('article[data-station="xh-longhua"]')
    expect(card.get_by_test_id("people")).to_have_text("5 / 12", timeout=2_000)
    expect(card.get_by_test_id("online")).to_have_text("在线", timeout=2_000)
    wait_for_swaps(page, "stations", 2)
    assert station_codes(page) == ["xh-longhua"]
    expect(page.get_by_test_id("summary")).to_contain_text("在线 1 / 3 个驿站")

    # A filter on live state: only the online one, then only the offline ones.
    page.get_by_label("搜索").fill("")
    page.get_by_label("在线状态").select_option("no")
    page.wait_for_url("**/?online=no")
    expect(page.locator('article[data-station="xh-longhua"]')).to_have_count(0)
    expect(page.locator("article.station")).to_have_count(2)
    assert station_codes(page) == ["xh-caohejing", "xh-xujiahui"]
    page.reload()  # the shared URL opens the same view
    assert station_codes(page) == ["xh-caohejing", "xh-xujiahui"]
    expect(page.get_by_label("在线状态")).to_have_value("no")
