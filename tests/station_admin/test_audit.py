"""The audit log and the phone pages' language switch."""

from __future__ import annotations

from station_admin.core.audit import AuditEntry, audit
from station_admin.core.models import StaffUser
from tests.station_admin.conftest import login


def test_audit_records_actor_subject_and_details(central_app):
    with central_app.test_request_context("/"), central_app.app_context():
        from station_admin.core.models import db

        with db.connection_context():
            manager = StaffUser.get(StaffUser.username == "manager")
            audit("member.approve", "member", "M1234567", actor=manager, note="准许")
            audit("request.view", "request", 7)
            first, = AuditEntry.for_subject("member", "M1234567")
            assert (first.actor_id, first.actor_name, first.action, first.details) == (
                manager.id, "manager", "member.approve", {"note": "准许"})
            system, = AuditEntry.for_subject("request", "7")
            assert system.actor is None and system.actor_name == "system"


def test_phone_language_switch_goes_back_only_to_this_site(central_app):
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    client.get("/")  # a page gives the session its CSRF token
    with client.session_transaction() as s:
        token = s["csrf"]
    back = client.post("/m/language", data={"lang": "en", "next": "/m/track?x=1", "csrf_token": token})
    assert back.status_code == 303 and back.headers["Location"] == "/m/track?x=1"
    away = client.post("/m/language", data={"lang": "zh", "next": "//evil.example/", "csrf_token": token})
    assert away.headers["Location"] == "/m/"
    assert client.post("/m/language", data={"lang": "fr", "next": "/m/", "csrf_token": token}).status_code == 400
