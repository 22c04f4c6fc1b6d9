"""Surveys in a real browser: the invitation takes the check-in confirmation's place on the kiosk and is
answered by taps; the results page shows suppressed cross-tabs and charts. Both are screenshotted
(docs/screenshots/kiosk-survey-invitation.png, admin-survey-results.png come from these runs)."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from devices.protocol import surveys, utcnow
from tests.browser.conftest import DESKTOP, PORTRAIT, STATION, publish, scanner_types
from tests.browser.test_dashboard import sign_in
from tests.browser.test_membership import MEMBER, kiosk_with_keys
from tests.conftest import wait_until

pytestmark = pytest.mark.browser
TEXT = {"zh": "您对驿站的满意度", "en": "How satisfied are you with the station?"}
# SURVEY_SCREENSHOTS_DIR=docs/screenshots keeps the pictures (they are written to the test's folder anyway).
KEEP = os.environ.get("SURVEY_SCREENSHOTS_DIR")


def keep(path: Path) -> None:
    if KEEP:
        shutil.copy(path, Path(KEEP) / path.name)


def shot(page, path: Path) -> Path:
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    keep(path)
    return path


def offered() -> surveys.StationSurveys:
    questions = (
        surveys.Question("q1", "single", {"zh": "您最需要驿站增加什么？", "en": "What should stations add first?"},
                         (surveys.Choice("c1", {"zh": "更多充电桩", "en": "More chargers"}),
                          surveys.Choice("c2", {"zh": "饮水和热饭", "en": "Water and hot meals"}),
                          surveys.Choice("c3", {"zh": "休息座位", "en": "Seats to rest"}))),
        surveys.Question("q2", "rating", TEXT))
    return surveys.StationSurveys(STATION, (surveys.OpenSurvey(
        5, 1, {"zh": "外卖骑手需求调查", "en": "Delivery riders' needs survey"}, utcnow() + timedelta(days=20), True,
        questions),), utcnow())


def test_the_invitation_follows_the_check_in_and_is_answered_by_taps(kiosk, open_page, card, shared_mosquitto,
                                                                     topic_root, tmp_path):
    from kiosk.models import CheckIn, OpenSurvey, OutboxEvent, db

    publish(shared_mosquitto.port, topic_root, offered())
    station = kiosk_with_keys(kiosk)

    def stored(query):
        with db.connection_context():
            return query()
    wait_until(lambda: stored(lambda: OpenSurvey.select().exists()), message="the survey at the kiosk")
    page = open_page(PORTRAIT)
    page.goto(station.url + "/")
    scanner_types(page, card + "\n")
    expect(page.get_by_test_id("welcome")).to_be_visible()
    checkin = wait_until(lambda: stored(lambda: CheckIn.get_or_none(CheckIn.member_no == MEMBER)))
    publish(shared_mosquitto.port, topic_root, surveys.SurveyInvitation(
        STATION, checkin.event_id, MEMBER, (surveys.Invitation(5, 1, f"https://union.example/m/survey/5/{MEMBER}/x"),),
        utcnow()))
    from kiosk.models import SurveyInvite
    wait_until(lambda: stored(lambda: SurveyInvite.select().exists()), message="central's invitation")
    page.get_by_test_id("checkin-done").click()  # the rider closes the confirmation (or it closes by itself)
    invitation = page.get_by_test_id("survey-invitation")
    expect(invitation).to_be_visible()
    expect(page.get_by_test_id("invite-survey-title")).to_have_text("外卖骑手需求调查")
    expect(page.get_by_test_id("survey-qr").locator("svg")).to_be_visible()
    shot(page, tmp_path / "kiosk-survey-invitation.png")
    start = page.get_by_test_id("survey-start")
    assert start.bounding_box()["height"] >= 60  # a big target
    start.click()
    page.get_by_test_id("q1-c1").click()
    page.get_by_test_id("q2-4").click()
    shot(page, tmp_path / "kiosk-survey-questions.png")
    page.get_by_test_id("survey-send").click()
    expect(page.get_by_test_id("survey-thanks")).to_be_visible()
    queued = stored(lambda: [e.kind for e in OutboxEvent.select()])
    assert queued.count("survey_response") == 1


def test_the_results_page_shows_suppressed_cross_tabs_and_a_chart(central, open_page, tmp_path):
    from station_admin.core import models
    from station_admin.members import models as membership
    from tests.station_admin.conftest import signed_in
    from tests.surveys_helpers import build_survey, phone_answer

    app = central.app
    staff = signed_in(app, "federation")
    survey_id = build_survey(staff)
    protector = app.extensions["waystation.protector"]
    plan = [("xuhui", "c1", "meituan")] * 6 + [("xuhui", "c2", "eleme")] * 5 + [("minhang", "c1", "meituan")] * 2
    for n, (district, choice, platform) in enumerate(plan):
        with models.db.connection_context(), models.db.atomic():
            member, _ = membership.join(protector, name="骑手", phone=f"1370000{n:04d}", platform=platform,
                                        district=models.District.get(models.District.code == district),
                                        station_code="xh-xujiahui", now=utcnow(), card_days=365,
                                        consent=membership.ConsentText.current())
        phone_answer(app, app.test_client(), survey_id, member, {"a_q1": choice, "a_q2": str(3 + n % 3),
                                                                 "a_q3": str(6 + n % 6)})
    page = open_page(DESKTOP)
    sign_in(page, central.url, "federation", "federation-demo")
    expect(page.get_by_test_id("nav-surveys")).to_be_visible()
    page.goto(f"{central.url}/surveys/{survey_id}/results")
    expect(page.get_by_test_id("respondents")).to_have_text("13")
    expect(page.get_by_test_id("chart-q1")).to_be_visible()
    by_district = page.get_by_test_id("by-district-q1")
    expect(by_district).to_contain_text("*")  # Minhang's two riders
    expect(page.get_by_test_id("result-q3").get_by_test_id("mean")).to_be_visible()
    shot(page, tmp_path / "admin-survey-results.png")
