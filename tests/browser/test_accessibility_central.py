"""Every staff page (a 1366×768 laptop) and every phone page (/m/, 390×844 with a WeChat user agent)
passes the accessibility checks (tests/browser/accessibility.py), in Chinese and English.

One central for the module: the demo seed, three days of generated history (check-ins, charge sessions,
feedback, requests worked to their outcomes) so the reports and queues show real rows, and the
stations' live state from their devices.
"""

from __future__ import annotations

import contextlib
import random
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import PHONE_TARGET, STAFF_TARGET, assert_accessible
from tests.browser.conftest import TIMEOUT_MS, running_central
from tests.browser.screenshots import publish_demo_network
from tests.conftest import make_settings

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
WECHAT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN")
STATION = "xh-xujiahui"


@pytest.fixture(scope="module")
def central(shared_mosquitto, tmp_path_factory):
    """A served central: demo seed, three days of history, live state; the ids of a request and a hardship case."""
    from station_admin.core.models import db
    from station_admin.demo.activity import seed_activity
    from station_admin.demo.history import ensure_stations, seed_history
    from station_admin.hardship.models import HardshipCase
    from station_admin.requests.models import ServiceRequest
    from station_admin.rollups.hourly import utc_offset_hours
    from waystation.services import load_services

    topic_root = f"a11y-{uuid.uuid4().hex[:12]}/waystation/v1"
    work = tmp_path_factory.mktemp("a11y-central")
    settings = make_settings(
        database={"url": f"sqlite:///{work / 'central.db'}"},
        broker={"url": shared_mosquitto.url, "topic_root": topic_root, "reconnect_min_s": 1, "reconnect_max_s": 2},
        central={"public_url": "https://union.example"},
        ingest={"client_id": f"a11y-{uuid.uuid4().hex[:8]}", "batch_wait_ms": 20})
    with contextlib.ExitStack() as stack:
        running = stack.enter_context(running_central(settings))
        protector = running.app.extensions["waystation.protector"]
        timezone = settings.central.timezone
        rng = random.Random(17)
        with db.connection_context():
            stations = ensure_stations(3, rng)
            now = datetime.now(ZoneInfo(timezone))
            seed_history(stations, 3, 10, now.date(), utc_offset_hours(timezone), rng, until=now)
            seed_activity([s.code for s in stations], 3, now.date(), utc_offset_hours(timezone), rng, protector,
                          load_services(None), timezone, until=now)
            # A reopened case offers every action form the queue has (attempt, contact, accept, refer,
            # close, withdraw, route), so each of its controls is checked whatever state the seed left
            # (the seed's requests depend on the date and hour: at some hours none is open). The fields
            # are those casework.move sets when a case is reopened.
            case = ServiceRequest.select().order_by(ServiceRequest.id).first()
            (ServiceRequest.update(status="reopened", closed_at=None, rating_open=False)
             .where(ServiceRequest.id == case.id).execute())
            running.request_id = case.id
            running.hardship_id = HardshipCase.select().order_by(HardshipCase.id).first().id
        publish_demo_network(shared_mosquitto.port, topic_root)
        yield running


def sign_in(page, url: str, username: str) -> None:
    page.goto(url + "/auth/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(f"{username}-demo")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(lambda u: "/auth/login" not in u, timeout=TIMEOUT_MS)


def switch_to_english(page) -> None:
    page.locator("form[action$='/language'] button").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


STAFF_PAGES = [  # (who, path)
    ("admin", "/"),
    ("admin", "/alarms/"),
    ("admin", "/members/"),
    ("admin", "/members/keys"),
    ("admin", f"/commands/station/{STATION}"),
    ("admin", "/reports/"),
    ("admin", "/reports/heatmap"),
    ("admin", "/reports/usage"),
    ("admin", "/reports/chargers"),
    ("admin", "/reports/requests"),
    ("admin", "/reports/deadlines"),
    ("admin", "/reports/outcomes"),
    ("admin", "/reports/feedback"),
    ("admin", "/schedule/"),
    ("admin", "/schedule/new"),
    ("admin", "/vouchers/"),
    ("admin", "/calendar/"),
    ("admin", "/dead-letters/"),
    ("admin", "/admin/stations"),
    ("admin", f"/admin/stations/{STATION}"),
    ("admin", "/admin/stations/new"),
    ("admin", "/admin/stations/import"),
    ("admin", "/admin/organisation"),
    ("admin", "/admin/staff"),
    ("admin", "/admin/tokens"),
    ("admin", f"/stations/{STATION}/pairing"),
    ("manager", "/"),
    ("federation", "/reports/"),
    ("federation", "/map/"),
    ("caseworker", "/requests/"),
    ("caseworker", "/requests/{request}"),
    ("caseworker", "/requests/follow-ups"),
    ("caseworker", "/requests/summary"),
    ("caseworker", "/hardship/"),
    ("caseworker", "/hardship/{hardship}"),
    ("caseworker", "/hardship/new"),
    (None, "/auth/login"),
]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("who", "path"), STAFF_PAGES, ids=[f"{w}:{p}" for w, p in STAFF_PAGES])
def test_every_staff_page_passes_the_checks(central, open_page, who, path, language):
    page = open_page(LAPTOP)
    if who:
        sign_in(page, central.url, who)
    url = central.url + path.format(request=central.request_id, hardship=central.hardship_id)
    refused = page.goto(url).status >= 400
    if language == "en":
        switch_to_english(page)  # the switch comes back to this page (from a refused one, to the start page)
        if refused:
            page.goto(url)
        assert page.url == url
    assert_accessible(page, STAFF_TARGET, f"{who} {path} {language}")


def _join_link(central) -> str:
    from devices.protocol import utcnow
    from station_admin.core.models import db
    from waystation.cards import join_link_query

    with central.app.app_context(), db.connection_context():
        key = central.app.extensions["waystation.protector"].join_key(STATION)
    return f"/m/join?{join_link_query(key, STATION, utcnow())}"


def _card_link(central) -> str:
    from devices.protocol import utcnow
    from station_admin.core.models import db
    from station_admin.members.models import Member, reissue

    with central.app.app_context(), db.connection_context():
        member = Member.select().where(Member.status == "active").order_by(Member.member_no).first()
        token = reissue(central.app.extensions["waystation.protector"], member, utcnow(), 300)
    return f"/m/card/{token}"


PHONE_PAGES = {
    "stations": lambda central: "/m/stations/",
    "track": lambda central: "/m/track",
    "join": _join_link,
    "recover": lambda central: "/m/recover",
    "card": _card_link,
    "redeem": lambda central: "/m/redeem/",
}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("screen", list(PHONE_PAGES))
def test_every_phone_page_passes_the_checks(central, browser, screen, language):
    context = browser.new_context(viewport=PHONE, user_agent=WECHAT, locale="zh-CN", has_touch=True,
                                  is_mobile=True, device_scale_factor=3)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        if screen == "redeem":
            sign_in(page, central.url, "shop")
        page.goto(central.url + PHONE_PAGES[screen](central))
        if language == "en":
            switch_to_english(page)
        assert_accessible(page, PHONE_TARGET, f"{screen} {language}")
    finally:
        context.close()


def test_switching_language_on_the_phone_keeps_the_join_form(central, browser):
    context = browser.new_context(viewport=PHONE, user_agent=WECHAT, locale="zh-CN", has_touch=True, is_mobile=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        page.goto(central.url + _join_link(central))
        page.locator("input[name=name]").fill("赵师傅")
        page.locator("input[name=phone]").fill("13912345678")
        page.locator("select[name=platform]").select_option("meituan")
        switch_to_english(page)
        expect(page.locator("input[name=name]")).to_have_value("赵师傅")
        expect(page.locator("input[name=phone]")).to_have_value("13912345678")
        expect(page.locator("select[name=platform]")).to_have_value("meituan")
        assert page.evaluate("sessionStorage.getItem('waystation-kept-form')") is None
    finally:
        context.close()
