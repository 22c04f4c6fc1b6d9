"""Asking for help at the kiosk: six screens, taps and a keypad, a card or a sealed phone number, the outbox."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from devices.protocol import events, utcnow
from kiosk.models import OutboxEvent, StationInfo, TrustedKey, db
from tests.conftest import csrf_of
from tests.htmx import HX
from waystation import cards
from waystation.sealing import open_sealed, public_key_text

MEMBER = "W7K3M9Q2XZ"


@pytest.fixture
def kiosk(kiosk_app):
    """The kiosk with central's keys and its station's districts, as central's retained messages leave them."""
    sealing = X25519PrivateKey.generate()
    signing, public = cards.new_signing_key()
    now = utcnow()
    with kiosk_app.app_context():
        TrustedKey.insert_many([
            {"kid": "TSTK", "public_key": public, "received_at": now},
            {"kid": "sealing", "public_key": public_key_text(sealing), "received_at": now}]).execute()
        info = StationInfo.for_station("xh-xujiahui")
        info.district_code, info.public_url = "xuhui", "https://union.example"
        info.districts = json.dumps([["xuhui", "徐汇区总工会", "Xuhui"], ["minhang", "闵行区总工会", "Minhang"]])
        info.save()
    kiosk_app.card = cards.sign_card(signing, "TSTK", MEMBER, now - timedelta(days=1), now + timedelta(days=30))
    kiosk_app.sealing = sealing
    return kiosk_app


def post(client, url, **form):
    return client.post(url, data={"csrf_token": csrf_of(client), **form})


def queued(app) -> list[dict]:
    with app.app_context():
        return [json.loads(e.data) for e in OutboxEvent.select().where(OutboxEvent.kind == "service_request")]


def start(client, service="legal_aid", **answers):
    client.get("/service/")
    return post(client, f"/service/{service}", **(answers or {"matter": "wages", "work": "delivery"}))


def test_a_member_asks_for_legal_aid_in_six_screens(kiosk):
    client = kiosk.test_client()
    assert "法律援助" in client.get("/service/").get_data(as_text=True)
    assert start(client).headers["Location"].endswith("/service/identify")
    page = client.get("/service/identify").get_data(as_text=True)
    assert 'data-scan-url="/service/identify/card"' in page
    scanned = client.post("/service/identify/card", data={"code": kiosk.card},
                          headers={**HX, "X-CSRF-Token": csrf_of(client)})
    assert scanned.headers["HX-Redirect"] == "/service/details"
    details = client.get("/service/details").get_data(as_text=True)
    assert 'value="xuhui" checked' in details  # the station's district is the default
    assert post(client, "/service/details", district="minhang", best_time="evening").status_code == 303
    summary = client.get("/service/confirm").get_data(as_text=True)
    assert "拖欠工资" in summary and f"会员 {MEMBER}" in summary and "闵行区总工会" in summary
    assert post(client, "/service/confirm").headers["Location"].endswith("/service/receipt")
    receipt = client.get("/service/receipt").get_data(as_text=True)
    (request,) = queued(kiosk)
    assert request["tracking_code"] in receipt
    assert f"https://union.example/m/track?code={request['tracking_code']}" in receipt
    body = events.ServiceRequest.from_fields(request)
    assert (body.service, body.answer_map, body.district, body.best_time, body.member_no, body.contact_sealed) == (
        "legal_aid", {"matter": "wages", "work": "delivery"}, "minhang", "evening", MEMBER, None)
    # The flow is over: going back to confirm does not file it again.
    assert post(client, "/service/confirm").headers["Location"].endswith("/service/")
    assert len(queued(kiosk)) == 1


def test_a_non_member_gives_a_number_that_only_central_can_read(kiosk, tmp_path):
    client = kiosk.test_client()
    start(client, "counselling", **{q: c for q, c in _first_answers(kiosk, "counselling").items()})
    assert post(client, "/service/identify/phone", phone="13912345678").status_code == 303
    with client.session_transaction() as s:
        assert "13912345678" not in json.dumps(s) and s["service_request"]["last4"] == "5678"
    post(client, "/service/details", district="xuhui", best_time="any")
    post(client, "/service/confirm")
    (request,) = queued(kiosk)
    assert request["phone_last4"] == "5678" and "member_no" not in request
    assert open_sealed(kiosk.sealing, request["contact_sealed"]) == "13912345678"
    for db_file in tmp_path.glob("kiosk-*.db*"):
        assert b"13912345678" not in db_file.read_bytes()


def _first_answers(app, code):
    from waystation.services import load_services

    return {q.id: next(c.id for c in q.choices if not c.divert) for q in load_services().get(code).questions}


def test_not_a_labour_matter_is_diverted_with_advice_and_nothing_is_filed(kiosk):
    client = kiosk.test_client()
    diverted = start(client, matter="not_labour", work="delivery")
    html = diverted.get_data(as_text=True)
    assert diverted.status_code == 200 and "12348" in html and "没有提交申请" in html
    assert queued(kiosk) == []
    assert client.get("/service/identify").headers["Location"].endswith("/service/")


@pytest.mark.parametrize("step, form, message", [
    ("questions", {"matter": "wages"}, "请回答每个问题"),
    ("questions", {"matter": "astronaut", "work": "delivery"}, "请回答每个问题"),
    ("phone", {"phone": "12345"}, "请输入 11 位手机号"),
    ("phone", {"phone": "1391234567x"}, "请输入 11 位手机号"),
    ("phone", {"phone": "9" * 5000}, "请输入 11 位手机号"),
    ("details", {"district": "atlantis", "best_time": "any"}, "请回答每个问题"),
    ("details", {"district": "xuhui", "best_time": "midnight"}, "请回答每个问题"),
])
def test_bad_input_is_refused_in_chinese_and_queues_nothing(kiosk, step, form, message):
    client = kiosk.test_client()
    if step == "questions":
        client.get("/service/")
        response = post(client, "/service/legal_aid", **form)
    else:
        start(client)
        if step == "details":
            post(client, "/service/identify/phone", phone="13912345678")
        response = post(client, f"/service/{'identify/phone' if step == 'phone' else 'details'}", **form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert queued(kiosk) == []


def test_a_refused_card_says_why_and_the_flow_stays(kiosk):
    client = kiosk.test_client()
    start(client)
    client.get("/service/identify")
    refused = client.post("/service/identify/card", data={"code": kiosk.card[:-3] + "AAA"},
                          headers={**HX, "X-CSRF-Token": csrf_of(client)})
    html = refused.get_data(as_text=True)
    assert 'data-status="tampered"' in html and "输入手机号继续" in html and "HX-Redirect" not in refused.headers
    with client.session_transaction() as s:
        assert "member_no" not in s["service_request"]


def test_unknown_service_and_skipped_steps(kiosk):
    client = kiosk.test_client()
    assert client.get("/service/astrology").status_code == 404
    for url in ("/service/identify", "/service/details", "/service/confirm"):
        assert client.get(url).headers["Location"].endswith("/service/"), url
    assert client.get("/service/receipt").headers["Location"].endswith("/")
    assert queued(kiosk) == []


def test_without_central_sealing_key_the_phone_path_says_so(kiosk):
    with kiosk.app_context():
        TrustedKey.delete().where(TrustedKey.kid == "sealing").execute()
    client = kiosk.test_client()
    start(client)
    assert "暂时无法用手机号申请" in client.get("/service/identify").get_data(as_text=True)
    refused = post(client, "/service/identify/phone", phone="13912345678")
    assert refused.status_code == 400 and queued(kiosk) == []


def test_the_idle_reset_forgets_a_request_in_progress(kiosk):
    client = kiosk.test_client()
    start(client)
    post(client, "/service/identify/phone", phone="13912345678")
    assert post(client, "/screen/reset").status_code == 204
    with client.session_transaction() as s:
        assert "service_request" not in s
    assert client.get("/service/details").headers["Location"].endswith("/service/")
    assert re.search(r"5678", client.get("/").get_data(as_text=True)) is None
    with kiosk.app_context(), db.connection_context():
        assert OutboxEvent.select().count() == 0
