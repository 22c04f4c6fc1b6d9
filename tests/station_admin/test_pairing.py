"""Pairing at central: who may issue codes, and every bad claim refused with a clear message, nothing changed.

The successful claim, re-pairing and unpairing against a real broker are in tests/test_pairing.py.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from devices.protocol import utcnow
from station_admin.core.audit import AuditEntry
from station_admin.core.models import db
from station_admin.core.throttle import ThrottleEvent
from station_admin.pairing import views
from station_admin.pairing.models import PairedDevice, PairingCode, code_hash
from tests.conftest import csrf_of
from tests.station_admin.test_auth import login


def staff(app, username):
    client = app.test_client()
    login(client, username, f"{username}-demo")
    client.get("/auth/login")
    return client


def issue(client, station="xh-xujiahui"):
    client.get(f"/stations/{station}/pairing")
    return client.post(f"/stations/{station}/pairing/code", data={"csrf_token": csrf_of(client)})


def code_of(response) -> str:
    return re.search(r'data-testid="code">(\d{6})<', response.get_data(as_text=True)).group(1)


def claim(app, code, addr="203.0.113.7"):
    return app.test_client().post("/pair/claim", json={"code": code}, environ_base={"REMOTE_ADDR": addr})


def nothing_paired():
    with db.connection_context():
        return not PairedDevice.select().exists() and not PairingCode.select().where(
            PairingCode.used_at.is_null(False)).exists()


@pytest.mark.parametrize("username, station, status", [
    ("admin", "xh-longhua", 200), ("manager", "xh-xujiahui", 200), ("manager", "xh-longhua", 404),
    ("federation", "xh-xujiahui", 403), ("caseworker", "xh-xujiahui", 403)])
def test_only_admins_and_the_station_s_manager_issue_codes(central_app, username, station, status):
    client = staff(central_app, username)
    assert client.get(f"/stations/{station}/pairing").status_code == status
    assert client.post(f"/stations/{station}/pairing/code", data={"csrf_token": csrf_of(client)}).status_code == status
    with central_app.app_context(), db.connection_context():
        assert PairingCode.select().count() == (1 if status == 200 else 0)


def test_a_code_is_six_digits_stored_hashed_audited_and_the_page_is_in_both_languages(central_app):
    client = staff(central_app, "admin")
    page = issue(client)
    code = code_of(page)
    text = page.get_data(as_text=True)
    assert "配对码" in text and "pair " + code in text and "<svg" in text
    with central_app.app_context(), db.connection_context():
        row = PairingCode.get()
        assert row.code_hash == code_hash(code, central_app.secret_key) and code not in row.code_hash
        assert timedelta(minutes=14) < row.expires_at - row.issued_at <= timedelta(minutes=15)
        assert AuditEntry.get(AuditEntry.action == "station.pairing_code").subject_id == "xh-xujiahui"
    client.post("/auth/language", data={"lang": "en", "csrf_token": csrf_of(client)})
    assert "Pairing code" in issue(client).get_data(as_text=True)


def test_a_new_code_ends_the_station_s_earlier_one(central_app):
    client = staff(central_app, "admin")
    first, second = code_of(issue(client)), code_of(issue(client))
    with central_app.app_context(), db.connection_context():
        assert PairingCode.live(first, central_app.secret_key, utcnow()) is None or first == second
        assert PairingCode.live(second, central_app.secret_key, utcnow()) is not None


@pytest.mark.parametrize("sent, reason, en, zh", [
    ("12345", "malformed", "six digits", "六位数字"),
    ("abcdef", "malformed", "six digits", "六位数字"),
    (None, "malformed", "six digits", "六位数字"),
    ("000000", "wrong", "not known", "不存在")])
def test_a_malformed_or_unknown_code_is_refused_with_a_message(central_app, sent, reason, en, zh):
    issue(staff(central_app, "admin"))
    answer = claim(central_app, sent if sent != "000000" else _other_than_live(central_app))
    assert answer.status_code == 400
    body = answer.get_json()
    assert body["error"] == f"refused_{reason}" and en in body["message"] and zh in body["message_zh"]
    assert nothing_paired()
    with central_app.app_context(), db.connection_context():
        assert ThrottleEvent.select().where(ThrottleEvent.action == "pair").count() == 1


def _other_than_live(app) -> str:
    with app.app_context(), db.connection_context():
        for n in range(1000000):
            candidate = f"{n:06d}"
            if PairingCode.newest(candidate, app.secret_key) is None:
                return candidate
    raise AssertionError("every code taken")


def test_an_expired_code_is_refused_and_stays_unused(central_app, monkeypatch):
    code = code_of(issue(staff(central_app, "admin")))
    later = utcnow() + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(views, "utcnow", lambda: later)
    answer = claim(central_app, code)
    assert answer.status_code == 400 and answer.get_json()["error"] == "refused_expired"
    assert "expired" in answer.get_json()["message"] and "过期" in answer.get_json()["message_zh"]
    assert nothing_paired()


def test_a_claim_the_broker_cannot_carry_out_leaves_the_code_usable(central_app):
    # The test settings have no broker.admin_url: central cannot make accounts, so nothing may change.
    code = code_of(issue(staff(central_app, "admin")))
    answer = claim(central_app, code)
    assert answer.status_code == 503 and answer.get_json()["error"] == "broker_failed"
    assert nothing_paired()
    with central_app.app_context(), db.connection_context():
        assert PairingCode.live(code, central_app.secret_key, utcnow()) is not None
        assert not AuditEntry.select().where(AuditEntry.action == "station.paired").exists()


def test_too_many_wrong_codes_from_one_address_are_refused_even_a_right_one(central_app):
    code = code_of(issue(staff(central_app, "admin")))
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    for _ in range(5):
        assert claim(central_app, wrong).status_code == 400
    answer = claim(central_app, code)
    assert answer.status_code == 429 and answer.get_json()["error"] == "too_many"
    assert "太多" in answer.get_json()["message_zh"] or "过多" in answer.get_json()["message_zh"]
    with central_app.app_context(), db.connection_context():
        assert PairingCode.live(code, central_app.secret_key, utcnow()) is not None  # not used up
        assert ThrottleEvent.select().where(ThrottleEvent.action == "pair").count() == 5  # the sixth is not counted
    assert claim(central_app, code, addr="198.51.100.9").status_code == 503  # another address gets through


def test_unpair_when_the_broker_is_unreachable_changes_nothing(central_app):
    with central_app.app_context(), db.connection_context():
        PairedDevice.create(station_code="xh-xujiahui", device="kiosk", kind="kiosk", paired_at=utcnow())
    client = staff(central_app, "admin")
    client.get("/stations/xh-xujiahui/pairing")
    page = client.post("/stations/xh-xujiahui/pairing/unpair", data={"csrf_token": csrf_of(client)})
    assert page.status_code == 502 and "消息服务器未执行此更改" in page.get_data(as_text=True)
    removed = client.post("/stations/xh-xujiahui/pairing/devices/nope/remove", data={"csrf_token": csrf_of(client)})
    assert removed.status_code == 404
    with central_app.app_context(), db.connection_context():
        assert PairedDevice.select().count() == 1
        assert not AuditEntry.select().where(AuditEntry.action == "station.unpair").exists()
