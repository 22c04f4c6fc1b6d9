"""Feedback at the kiosk: taps only, anonymous or with a scanned card, one outbox event, bad input refused."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from devices.protocol import ProtocolError, events, utcnow
from kiosk.models import OutboxEvent, TrustedKey
from tests.conftest import csrf_of
from tests.htmx import HX
from waystation import cards

MEMBER = "W7K3M9Q2XZ"


@pytest.fixture
def kiosk(kiosk_app):
    """The kiosk trusting central's card-signing key, and a valid member card."""
    signing, public = cards.new_signing_key()
    now = utcnow()
    with kiosk_app.app_context():
        TrustedKey.create(kid="TSTK", public_key=public, received_at=now)
    kiosk_app.card = cards.sign_card(signing, "TSTK", MEMBER, now - timedelta(days=1), now + timedelta(days=30))
    return kiosk_app


def post(client, url, data, headers=None):
    return client.post(url, data={"csrf_token": csrf_of(client), **data}, headers=headers or {})


def queued(app) -> list[dict]:
    with app.app_context():
        return [json.loads(e.data) for e in OutboxEvent.select().where(OutboxEvent.kind == "feedback")]


def test_home_has_the_feedback_button_and_the_screen_offers_scores_and_pain_points(kiosk):
    client = kiosk.test_client()
    assert 'data-testid="feedback"' in client.get("/").get_data(as_text=True)
    page = client.get("/feedback/").get_data(as_text=True)
    assert 'data-scan-url="/feedback/card"' in page
    assert all(f'data-testid="score-{n}"' in page for n in range(1, 6))
    assert 'value="chargers"' in page and "充电桩坏了或太少" in page


def test_an_anonymous_rider_rates_and_names_pain_points_in_one_event(kiosk):
    client = kiosk.test_client()
    client.get("/feedback/")
    answer = post(client, "/feedback/", {"score": "2", "category": ["chargers", "seats"]})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/feedback/thanks")
    assert queued(kiosk) == [{"score": 2, "categories": ["chargers", "seats"]}]
    thanks = client.get("/feedback/thanks").get_data(as_text=True)
    assert "谢谢您的反馈" in thanks and "已匿名提交" in thanks
    body = events.Feedback.from_fields(queued(kiosk)[0])
    assert body == events.Feedback(2, ("chargers", "seats"))


def test_a_score_alone_and_a_pain_point_alone_are_both_enough(kiosk):
    client = kiosk.test_client()
    client.get("/feedback/")
    assert post(client, "/feedback/", {"score": "5"}).status_code == 303
    assert post(client, "/feedback/", {"category": "safety"}).status_code == 303
    assert queued(kiosk) == [{"score": 5, "categories": []}, {"categories": ["safety"]}]


def test_a_scanned_card_attaches_the_member_number_once(kiosk):
    client = kiosk.test_client()
    client.get("/feedback/")
    dialog = post(client, "/feedback/card", {"code": kiosk.card}, HX).get_data(as_text=True)
    assert 'id="dialog"' in dialog and MEMBER in dialog
    assert MEMBER in client.get("/feedback/").get_data(as_text=True)
    post(client, "/feedback/", {"score": "4"})
    assert queued(kiosk) == [{"score": 4, "categories": [], "member_no": MEMBER}]
    assert MEMBER in client.get("/feedback/thanks").get_data(as_text=True)
    post(client, "/feedback/", {"score": "3"})  # the next feedback is anonymous again
    assert "member_no" not in queued(kiosk)[1]


def test_a_bad_card_is_refused_and_the_feedback_stays_anonymous(kiosk):
    client = kiosk.test_client()
    client.get("/feedback/")
    refused = post(client, "/feedback/card", {"code": "WS1.nonsense"}, HX).get_data(as_text=True)
    assert 'data-testid="card-refused"' in refused and "不扫卡也可以匿名提交" in refused
    post(client, "/feedback/", {"score": "4"})
    assert queued(kiosk) == [{"score": 4, "categories": []}]


@pytest.mark.parametrize(("form", "zh", "en"), [
    ({}, "请打个分", "Please give a score"),
    ({"score": "6"}, "评分只能是 1 到 5", "The score must be 1 to 5"),
    ({"score": "x"}, "评分只能是 1 到 5", "The score must be 1 to 5"),
    ({"category": "aliens"}, "无法识别", "is not known"),
    ({"score": "3", "category": ["seats", "Bad Id"]}, "无法识别", "is not known"),
])
def test_bad_input_gets_a_clear_message_in_both_languages_and_nothing_is_queued(kiosk, form, zh, en):
    client = kiosk.test_client()
    client.get("/feedback/")
    answer = post(client, "/feedback/", form)
    assert answer.status_code == 400 and zh in answer.get_data(as_text=True)
    post(client, "/screen/language", {"lang": "en"})
    assert en in post(client, "/feedback/", form).get_data(as_text=True)
    assert queued(kiosk) == []


def test_the_wire_checks_feedback_bodies():
    ok = events.Feedback.from_fields({"score": 1, "categories": ["seats"], "member_no": MEMBER})
    assert ok.to_fields() == {"score": 1, "categories": ["seats"], "member_no": MEMBER}
    for bad in ({}, {"categories": []}, {"score": 0}, {"score": 6}, {"score": True}, {"score": "3"},
                {"categories": ["a"] * 2}, {"categories": [f"c{n}" for n in range(9)]},
                {"categories": ["Bad"]}, {"categories": "seats"}, {"score": 3, "member_no": "x"}):
        with pytest.raises(ProtocolError):
            events.Feedback.from_fields(bad)
