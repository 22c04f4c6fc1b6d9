"""The kiosk's large mode and its language switch, as a rider uses them: on every screen, for one visit,
keeping what the rider has chosen or typed on the screen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LANDSCAPE, PORTRAIT

pytestmark = pytest.mark.browser
SCREENS = ["/", "/join/", "/service/", "/service/legal_aid", "/charging/", "/voucher/", "/feedback/"]


def font_size(page, selector: str) -> float:
    return page.evaluate("(s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize) * "
                         "(parseFloat(getComputedStyle(document.body).zoom) || 1)", selector)


def test_large_mode_is_on_every_screen_and_lasts_for_the_visit(kiosk, open_page):
    station = kiosk()
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    # The header's buttons grow with everything else (the home screen's biggest parts give some back to fit).
    normal = page.get_by_test_id("switch-size").bounding_box()
    page.get_by_test_id("switch-size").tap()
    expect(page.locator("html")).to_have_class("large")
    expect(page.get_by_test_id("switch-size")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("switch-size")).to_contain_text("标准字号")
    large = page.get_by_test_id("switch-size").bounding_box()
    assert large["height"] > normal["height"] * 1.2
    for path in SCREENS:
        page.goto(station.url + path)
        expect(page.locator("html")).to_have_class("large")
        expect(page.get_by_test_id("switch-size")).to_be_visible()
        expect(page.get_by_test_id("switch-language")).to_be_visible()
    # Back to normal size, on the screen where it was tapped.
    page.get_by_test_id("switch-size").tap()
    expect(page.locator("html")).not_to_have_class("large")
    assert page.url == station.url + SCREENS[-1]
    expect(page.get_by_test_id("switch-size")).to_contain_text("大字模式")


def test_the_idle_reset_ends_large_mode(kiosk, open_page):
    station = kiosk(idle_reset_seconds=4, idle_warning_seconds=1)
    page = open_page(LANDSCAPE)
    page.goto(station.url + "/service/")
    page.get_by_test_id("switch-size").tap()
    expect(page.locator("html")).to_have_class("large")
    page.evaluate("window.__sameDocument = true")
    page.wait_for_function("() => window.__sameDocument === undefined", timeout=15_000)
    expect(page.get_by_test_id("checkin")).to_be_visible()
    expect(page.locator("html")).not_to_have_class("large")
    page.goto(station.url + "/service/")
    expect(page.locator("html")).not_to_have_class("large")


def test_a_size_that_is_not_on_or_off_is_refused_and_changes_nothing(kiosk_app):
    from tests.conftest import csrf_of

    client = kiosk_app.test_client()
    client.get("/")
    response = client.post("/screen/size", data={"large": "2", "back": "/", "csrf_token": csrf_of(client)})
    assert response.status_code == 400
    assert 'class="large"' not in client.get("/").get_data(as_text=True)


def test_feedback_answers_survive_a_language_switch(kiosk, open_page):
    station = kiosk()
    page = open_page(LANDSCAPE)
    page.goto(station.url + "/feedback/")
    page.get_by_test_id("score-4").locator("xpath=..").tap()
    first = page.locator("[data-testid^=category-]").first
    first.locator("xpath=..").tap()
    page.get_by_test_id("switch-language").tap()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("score-4")).to_be_checked()
    expect(first).to_be_checked()


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("large", [False, True], ids=["normal", "large"])
def test_the_home_screens_seven_actions_fit_their_buttons_in_landscape(kiosk, open_page, language, large):
    """Every action's label inside its button, none under 60 px high (large mode: 52), and the whole home
    screen with its idle-reset line on the screen, with no scrolling."""
    station = kiosk()
    page = open_page(LANDSCAPE)
    page.goto(station.url + "/")
    if language == "en":
        page.get_by_test_id("switch-language").tap()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    if large:
        page.get_by_test_id("switch-size").tap()
        expect(page.locator("html")).to_have_class("large")
    actions = page.locator(".doors .actions > .btn")
    expect(actions).to_have_count(7)
    for n in range(7):
        fit = actions.nth(n).evaluate("""(b) => {
            const box = b.getBoundingClientRect();
            const inside = [...b.children].every((c) => {
                const r = c.getBoundingClientRect();
                return r.left >= box.left - 0.5 && r.right <= box.right + 0.5;
            });
            return {inside, wide: b.scrollWidth <= b.clientWidth + 1, height: box.height};
        }""")
        label = actions.nth(n).inner_text()
        assert fit["inside"] and fit["wide"], f"{label!r} does not fit its button"
        assert fit["height"] >= (52 if large else 60) - 0.5, label
    assert page.evaluate("document.documentElement.scrollHeight <= window.innerHeight + 1")
    foot = page.locator(".foot").bounding_box()
    assert foot["y"] + foot["height"] <= LANDSCAPE["height"] + 1
