"""The station map in a real Chromium: drawn with nothing from outside, no CSP violation or console error, and
the staff pages' accessibility checks (axe-core included) passed in Chinese and English."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import STAFF_TARGET, assert_accessible
from tests.browser.test_accessibility_central import LAPTOP, sign_in, switch_to_english
from tests.browser.test_content_security import violations, watched

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("central_db_url", ["sqlite"], indirect=True)
def test_the_map_loads_nothing_from_outside_and_passes_the_checks(central, open_page):
    page = open_page(LAPTOP)
    errors = watched(page)
    # Chromium asks every new site for /favicon.ico, which central does not serve (a 404 on the sign-in page).
    favicon: list[str] = []
    page.on("console", lambda m: favicon.append(m.text) if m.location.get("url", "").endswith("/favicon.ico") else None)
    outside: list[str] = []
    missing: list[str] = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(central.url) else None)
    sign_in(page, central.url, "federation")
    page.get_by_test_id("nav-map").click()
    expect(page.get_by_role("heading", name="驿站地图")).to_be_visible()
    expect(page.locator("svg[data-testid=map] circle[data-station]")).to_have_count(3)
    expect(page.locator("svg[data-testid=map] path.map-area")).to_have_count(1)
    expect(page.get_by_test_id("map-list").get_by_role("link", name="在高德地图中打开")).to_have_count(3)
    assert page.locator("svg[data-testid=map]").bounding_box()["width"] > 600
    assert_accessible(page, STAFF_TARGET, "federation /map/ zh")
    switch_to_english(page)
    expect(page.get_by_role("heading", name="Station map")).to_be_visible()
    assert_accessible(page, STAFF_TARGET, "federation /map/ en")
    page.locator("select[name=online]").select_option("yes")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("svg[data-testid=map] circle[data-station]")).to_have_count(0)
    assert violations(page) == [] and outside == [] and missing == [], missing
    assert len(errors) == len(favicon) and all("404" in e for e in favicon), errors
