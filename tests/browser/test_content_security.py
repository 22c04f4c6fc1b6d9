"""The Content-Security-Policy in a real Chromium: every page each staff role and an anonymous visitor reaches on
central (the crawl's list), the phone pages and the kiosk's screens are opened and used, and not one
`securitypolicyviolation` event or console error is reported; a staff page framed by another site stays empty."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from station_admin.core import models
from tests.browser.conftest import DESKTOP, PORTRAIT, served
from tests.station_admin.crawl_world import build_world
from tests.station_admin.crawling import crawl

# Collects the page's CSP violations before any of its own script runs (an init script is not bound by the policy).
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} at ${where}`);
});
"""


def watched(page) -> list[str]:
    """Console errors and uncaught exceptions of this page from now on (CSP refusals are console errors too)."""
    errors: list[str] = []
    page.context.add_init_script(script=WATCH)
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    return errors


def violations(page) -> list[str]:
    return page.evaluate("() => window.__violations || []")


def pages_of(app, user, world) -> list[str]:
    """The HTML pages (answered 200) the crawl reached as `user`."""
    walker = crawl(app, user, world)
    return sorted({url for url, status, _, text in walker.bodies
                   if status == 200 and text.lstrip().lower().startswith("<!doctype html")})


@pytest.fixture
def world_app(central_settings, tmp_path, running):
    from station_admin import create_app
    from station_admin.core.jobs import JobRunner

    settings = central_settings(template="seeded", reports={"export_dir": str(tmp_path / "x")})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    running.start(JobRunner(settings))  # the crawl's exports run as `waystation central` runs them
    world = build_world(app, tmp_path)
    yield app, world
    models.db.close()


def sign_in(page, url: str, user: str) -> None:
    page.goto(f"{url}/auth/login")
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(f"{user}-demo")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("central_db_url", ["sqlite"], indirect=True)
# The admin reaches every staff page; the federation has pages of its own (counts only); anonymous the public ones.
@pytest.mark.parametrize("user", ["admin", "federation", None])
def test_no_page_of_central_reports_a_csp_violation(world_app, open_page, user):
    app, world = world_app
    paths = pages_of(app, user, world)
    assert len(paths) >= (15 if user else 3)
    with served(app) as url:
        page = open_page(DESKTOP)
        errors = watched(page)
        if user:
            sign_in(page, url, user)
        seen = {}
        for path in paths:
            if path.startswith("/auth/login"):
                continue
            page.goto(url + path)
            page.wait_for_load_state("load")
            found = violations(page)
            if found:
                seen[path] = found
        assert not seen, f"CSP violations: {seen}"
        assert not [e for e in errors if "Failed to load resource" not in e], errors


@pytest.mark.parametrize("central_db_url", ["sqlite"], indirect=True)
def test_the_moved_handlers_still_work_under_the_policy(world_app, open_page):
    app, _ = world_app
    with served(app) as url:
        # A refused tracking look-up (4xx) shows its message: static/js/htmx-errors.js swapped it in.
        phone = open_page(PORTRAIT)
        errors = watched(phone)
        phone.goto(f"{url}/m/track")
        phone.locator("input[name=code]").fill("ZZZZ2345")
        phone.locator("input[name=last4]").fill("0000")
        phone.locator("#track form button[type=submit]").click()
        expect(phone.get_by_test_id("error")).to_be_visible()
        assert phone.url == f"{url}/m/track"  # swapped by htmx, not a full page post
        assert not violations(phone) and not [e for e in errors if "Failed to load resource" not in e]
        # The dashboard polls its fragments, and the bars are SVG (no inline style).
        staff = open_page(DESKTOP)
        staff_errors = watched(staff)
        sign_in(staff, url, "admin")
        staff.goto(f"{url}/")
        expect(staff.locator("#stations")).to_be_visible()
        staff.wait_for_timeout(100)
        assert not violations(staff) and not [e for e in staff_errors if "Failed to load resource" not in e]


@pytest.mark.parametrize("central_db_url", ["sqlite"], indirect=True)
def test_a_staff_page_framed_by_another_site_stays_empty(world_app, open_page):
    from flask import Flask

    app, _ = world_app
    attacker = Flask("attacker")
    with served(app) as url:
        @attacker.get("/")
        def framing():
            return f'<!doctype html><iframe id="victim" src="{url}/auth/login" width="800" height="600"></iframe>'

        with served(attacker) as evil:
            page = open_page(DESKTOP)
            refused: list[str] = []
            page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
            page.goto(evil)
            page.wait_for_load_state("load")
            page.wait_for_function("() => document.getElementById('victim') !== null")
            frame = page.frame_locator("#victim")
            expect(frame.locator("input[name=password]")).to_have_count(0)
            assert any("frame-ancestors" in text or "X-Frame-Options" in text for text in refused), refused


def test_the_kiosk_screens_report_no_csp_violation(kiosk, open_page):
    station = kiosk()
    page = open_page(PORTRAIT)
    errors = watched(page)
    page.goto(station.url + "/")
    expect(page.get_by_test_id("checkin")).to_be_visible()
    for path in ("/join/", "/charging/", "/service/", "/feedback/", "/voucher/"):
        page.goto(station.url + path)
        page.wait_for_load_state("load")
    page.goto(station.url + "/")
    page.get_by_test_id("checkin").click()
    page.wait_for_load_state("load")
    assert not violations(page), violations(page)
    assert not [e for e in errors if "Failed to load resource" not in e], errors
