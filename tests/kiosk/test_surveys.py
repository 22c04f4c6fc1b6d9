"""Surveys at the kiosk: central's list replaces the offered surveys, an invitation follows the check-in
confirmation at most once a day, bad answers are refused with a message and queue nothing, an answer is
one outbox event, and an offline kiosk offers an invitation it received earlier."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from devices.protocol import events, surveys, utcnow
from kiosk.models import OpenSurvey, OutboxEvent, SurveyInvite, TrustedKey
from kiosk.survey import on_invitation, on_surveys
from tests.conftest import csrf_of
from tests.htmx import HX
from waystation import cards

MEMBER = "W7K3M9Q2XZ"
TEXT = {"zh": "问题", "en": "Question"}


def offered(survey_id: int = 7, version: int = 1, days: int = 10) -> surveys.StationSurveys:
    questions = (surveys.Question("q1", "single", TEXT, (surveys.Choice("c1", {"zh": "充电", "en": "Charging"}),
                                                          surveys.Choice("c2", {"zh": "饮水", "en": "Water"}))),
                 surveys.Question("q2", "multiple", TEXT, (surveys.Choice("c1", TEXT), surveys.Choice("c2", TEXT))),
                 surveys.Question("q3", "rating", TEXT),
                 surveys.Question("q4", "number", TEXT, (), 0, 24))
    return surveys.StationSurveys("xh-xujiahui", (surveys.OpenSurvey(
        survey_id, version, {"zh": "骑手需求调查", "en": "Riders' needs"}, utcnow() + timedelta(days=days), True,
        questions),), utcnow())


@pytest.fixture
def kiosk(kiosk_app):
    """The kiosk trusting a card key and offering one survey; `kiosk_app.card` is a valid member card."""
    signing, public = cards.new_signing_key()
    now = utcnow()
    with kiosk_app.app_context():
        TrustedKey.create(kid="TSTK", public_key=public, received_at=now)
        on_surveys(offered())
    kiosk_app.card = cards.sign_card(signing, "TSTK", MEMBER, now - timedelta(days=1), now + timedelta(days=30))
    return kiosk_app


def check_in(app, client) -> tuple[int, str]:
    client.get("/")
    html = client.post("/checkin/card", data={"code": app.card}, headers={**HX, "X-CSRF-Token": csrf_of(client)}
                       ).get_data(as_text=True)
    checkin_id = int(re.search(r"/checkin/dismiss\?checkin=(\d+)", html).group(1))
    with app.app_context():
        from kiosk.models import CheckIn

        return checkin_id, CheckIn.get_by_id(checkin_id).event_id


def invite(app, checkin_event: str, survey_id: int = 7, link: str | None = "https://c.example/m/survey/7/x/y"):
    with app.app_context():
        on_invitation(surveys.SurveyInvitation("xh-xujiahui", checkin_event, MEMBER,
                                               (surveys.Invitation(survey_id, 1, link),), utcnow()))


def responses_queued(app) -> list[dict]:
    with app.app_context():
        return [json.loads(e.data) for e in OutboxEvent.select().where(OutboxEvent.kind == "survey_response")]


def test_the_invitation_follows_the_confirmation_once_a_day_and_the_answer_is_one_event(kiosk):
    client = kiosk.test_client()
    checkin_id, event_id = check_in(kiosk, client)
    # Without central's invitation the confirmation just closes.
    assert client.get(f"/checkin/dismiss?checkin={checkin_id}", headers=HX).get_data(as_text=True).strip() == \
        '<div id="dialog"></div>'
    invite(kiosk, event_id)
    html = client.get(f"/checkin/dismiss?checkin={checkin_id}", headers=HX).get_data(as_text=True)
    assert 'data-testid="survey-invitation"' in html and "骑手需求调查" in html and "共 4 题" in html
    assert '<svg' in html and 'data-testid="survey-qr"' in html
    assert "survey-invitation" not in client.get(f"/checkin/dismiss?checkin={checkin_id}", headers=HX).get_data(
        as_text=True)  # shown once today
    start = re.search(r'href="(/survey/\d+)"', html).group(1)
    page = client.get(start).get_data(as_text=True)
    assert 'data-testid="q1-c1"' in page and 'data-testid="q3-5"' in page and 'inputmode="numeric"' in page
    assert "<textarea" not in page  # free text belongs on the phone
    for bad, message in (({}, "请至少回答一题"), ({"a_q1": "c9"}, "请在列出的选项中选择"),
                         ({"a_q4": "25"}, "请填 0 到 24 之间的整数"), ({"a_q3": "6"}, "请填 1 到 5 之间的整数"),
                         ({"a_q2": ["c1", "zz"]}, "请在列出的选项中选择")):
        refused = client.post(start, data={**bad, "csrf_token": csrf_of(client)})
        assert refused.status_code == 400 and message in refused.get_data(as_text=True), bad
    assert responses_queued(kiosk) == []
    sent = client.post(start, data={"a_q1": "c2", "a_q2": ["c2", "c1"], "a_q3": "4", "a_q4": "9",
                                    "csrf_token": csrf_of(client)})
    assert sent.status_code == 303
    assert 'data-testid="survey-thanks"' in client.get(sent.headers["Location"]).get_data(as_text=True)
    (queued,) = responses_queued(kiosk)
    assert queued["member_no"] == MEMBER and queued["survey"] == 7 and queued["version"] == 1
    assert queued["answers"] == {"q1": "c2", "q2": ["c1", "c2"], "q3": 4, "q4": 9}
    body = surveys.SurveyResponse.from_fields(queued)  # what goes on the wire parses back
    assert body == events.KINDS["survey_response"].from_fields(queued)
    # Answered: the page is gone for this screen, and sending again queues nothing more.
    again = client.post(start, data={"a_q1": "c1", "csrf_token": csrf_of(client)})
    assert again.status_code == 404 and len(responses_queued(kiosk)) == 1


def test_a_survey_page_belongs_to_the_screen_that_was_shown_the_invitation(kiosk):
    client = kiosk.test_client()
    checkin_id, event_id = check_in(kiosk, client)
    invite(kiosk, event_id)
    html = client.get(f"/checkin/dismiss?checkin={checkin_id}", headers=HX).get_data(as_text=True)
    start = re.search(r'href="(/survey/\d+)"', html).group(1)
    assert kiosk.test_client().get(start).status_code == 404  # another session (after an idle reset) sees nothing
    client.post("/screen/reset", headers={"X-CSRF-Token": csrf_of(client)})
    assert client.get(start).status_code == 404


def test_central_s_new_list_drops_a_closed_survey_and_offline_an_earlier_invitation_is_offered(kiosk):
    client = kiosk.test_client()
    _, first_event = check_in(kiosk, client)
    invite(kiosk, first_event)  # received, never shown (the rider walked off)
    # Offline (no node): a later check-in gets the earlier invitation, once.
    with kiosk.app_context():
        SurveyInvite.update(shown_on=None).execute()
        from kiosk.models import CheckIn

        later = CheckIn.create(event_id=events.new_event_id(), checked_in_at=utcnow(), method="card",
                               member_no=MEMBER)
    html = client.get(f"/checkin/dismiss?checkin={later.id}", headers=HX).get_data(as_text=True)
    assert 'data-testid="survey-invitation"' in html
    with kiosk.app_context():
        on_surveys(surveys.StationSurveys("xh-xujiahui", (), utcnow()))  # central closed it
        assert OpenSurvey.select().count() == 0
        SurveyInvite.update(shown_on=None).execute()
    assert "survey-invitation" not in client.get(f"/checkin/dismiss?checkin={later.id}", headers=HX).get_data(
        as_text=True)


def test_the_invitation_and_questions_in_english(kiosk):
    client = kiosk.test_client()
    checkin_id, event_id = check_in(kiosk, client)
    invite(kiosk, event_id, link=None)
    client.post("/screen/language", data={"lang": "en", "csrf_token": csrf_of(client)})
    html = client.get(f"/checkin/dismiss?checkin={checkin_id}", headers=HX).get_data(as_text=True)
    assert "Would you answer a short survey?" in html and "Riders&#39; needs" in html and "4 questions" in html
    assert 'data-testid="survey-qr"' not in html  # no phone link without central's public address
    start = re.search(r'href="(/survey/\d+)"', html).group(1)
    page = client.get(start).get_data(as_text=True)
    assert "Charging" in page and "A whole number from 0 to 24" in page
    refused = client.post(start, data={"csrf_token": csrf_of(client)})
    assert "Please answer at least one question" in refused.get_data(as_text=True)
