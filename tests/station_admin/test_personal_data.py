"""Personal data at central (issue 12, part 6): consent records, a member's data exported and erased
by staff, and retention applied by central's node — all through the product's own pages and loop."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from devices.protocol import utcnow
from station_admin.core.audit import AuditEntry
from station_admin.core.models import CheckIn, StationEvent, db
from station_admin.members.models import ConsentText, Member
from station_admin.requests.models import ServiceRequest
from tests.conftest import csrf_of, wait_until
from tests.htmx import assert_fragment_and_page
from tests.station_admin.conftest import ingest, signed_in
from tests.station_admin.requests_helpers import file
from tests.station_admin.test_members import join_link, shown_consent, submit

PHONE = "13712345678"  # the number test_members.submit joins with


def joined(app, **overrides) -> Member:
    response = submit(app, join_link(app), **overrides)
    assert response.status_code == 303, response.get_data(as_text=True)
    with db.connection_context():
        return Member.select().order_by(Member.id.desc()).first()


def test_joining_records_the_consent_version_and_hash_and_the_members_pages_show_it(central_app):
    member = joined(central_app)
    with db.connection_context():
        first = ConsentText.get(ConsentText.version == 1)
    assert (member.consent_version, member.consent_hash) == (1, first.text_hash)
    assert first.text_hash == ConsentText.hash_of(first.text_zh, first.text_en)
    form = central_app.test_client().get(join_link(central_app)).get_data(as_text=True)
    assert first.text_zh in form and 'name="consent_version" value="1"' in form
    admin = signed_in(central_app, "admin")
    listing = admin.get(f"/members/?q={member.member_no}").get_data(as_text=True)
    assert re.search(r'data-testid="consent-version">第 1 版<', listing)
    page = admin.get(f"/members/{member.member_no}").get_data(as_text=True)
    assert "第 1 版" in page and first.text_hash[:12] in page


def test_an_admin_publishes_a_new_consent_text_and_later_joiners_agree_to_that_one(central_app):
    phone = central_app.test_client()
    stale_form = phone.get(join_link(central_app))  # opened while version 1 is current
    admin = signed_in(central_app, "admin")
    token = csrf_of(admin)
    # Bad input: a language missing, or the same text again: a message, nothing published.
    with db.connection_context():
        current = ConsentText.current()
    for texts, message in (({"text_zh": "新说明", "text_en": " "}, "请填写中文和英文两种说明"),
                           ({"text_zh": current.text_zh, "text_en": current.text_en}, "内容与当前版本相同")):
        refused = admin.post("/members/consent", data={"csrf_token": token, **texts})
        assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    assert signed_in(central_app, "manager").get("/members/consent").status_code == 403
    published = admin.post("/members/consent", data={
        "csrf_token": token, "text_zh": "第二版说明：我们收集姓名和手机号。",
        "text_en": "Second notice: we collect your name and number."})
    assert published.status_code == 200 and "第 2 版已发布" in published.get_data(as_text=True)
    with db.connection_context():
        second = ConsentText.current()
        assert second.version == 2 and second.published_by == "admin"
        assert [e.action for e in AuditEntry.for_subject("consent", 2)] == ["consent.publish"]
    assert "第二版说明" in central_app.test_client().get(join_link(central_app)).get_data(as_text=True)

    # The form read under version 1, sent now: refused in the joiner's language, no member made.
    data = {"name": "钱师傅", "phone": PHONE, "platform": "eleme", "district": "xuhui", "consent": "yes",
            "consent_version": shown_consent(stale_form), "csrf_token": csrf_of(phone),
            **dict(p.split("=") for p in join_link(central_app).partition("?")[2].split("&"))}
    with db.connection_context():
        before = Member.select().count()
    late = phone.post("/m/join", data=data)
    assert late.status_code == 400 and "个人信息说明刚刚更新" in late.get_data(as_text=True)
    with db.connection_context():
        assert Member.select().count() == before
    member = joined(central_app)
    assert (member.consent_version, member.consent_hash) == (2, second.text_hash)
    counts = assert_fragment_and_page(admin, "/members/consent", "consent")
    assert re.search(r'<tr data-version="2">.*?<td>1</td>\s*</tr>', counts, re.S)


def test_a_members_data_is_exported_as_a_file_by_staff_who_may_see_them(central_app):
    member = joined(central_app)
    ingest("xh-xujiahui", [utcnow() - timedelta(hours=2)], member_no=member.member_no)
    by_phone = file(central_app, station="xh-xujiahui", phone=PHONE)  # filed as a non-member, same number
    by_card = file(central_app, station="xh-xujiahui", member_no=member.member_no)
    url = f"/members/{member.member_no}/export"
    for who, status in ((None, 302), ("federation", 403), ("caseworker", 403), ("shop", 403)):
        client = signed_in(central_app, who)
        assert client.get(url).status_code == status
        assert client.post(url, data={"csrf_token": csrf_of(client)}).status_code == status
    admin = signed_in(central_app, "admin")
    assert "导出会员" in admin.get(url).get_data(as_text=True)
    assert admin.post(url).status_code == 400  # no anti-forgery token: nothing exported
    response = admin.post(url, data={"csrf_token": csrf_of(admin)})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert f"member-{member.member_no}-data.json" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["member"]["name"] == "钱师傅" and data["member"]["phone"] == PHONE
    assert data["consent"]["version"] == 1 and data["consent"]["text_zh"]
    assert [c["station"] for c in data["check_ins"]] == ["xh-xujiahui"]
    assert {r["tracking_code"] for r in data["service_requests"]} == {by_phone.tracking_code, by_card.tracking_code}
    assert {r["phone"] for r in data["service_requests"]} == {PHONE}
    with db.connection_context():
        assert [e.action for e in AuditEntry.for_subject("member", member.member_no)][-1] == "member.export"


def test_deleting_a_members_data_removes_identity_keeps_counts_and_is_audited(central_app):
    member = joined(central_app)
    ingest("xh-xujiahui", [utcnow() - timedelta(hours=2)], member_no=member.member_no)
    by_phone = file(central_app, station="xh-xujiahui", phone=PHONE)
    by_card = file(central_app, station="xh-xujiahui", member_no=member.member_no)
    other = file(central_app, station="xh-xujiahui", phone="13800001111")
    with db.connection_context():
        before = {"checkins": CheckIn.select().count(), "requests": ServiceRequest.select().count(),
                  "members": Member.select().count()}
    url = f"/members/{member.member_no}/erase"
    manager = signed_in(central_app, "manager")
    assert manager.get(url).status_code == 403
    assert manager.post(url, data={"csrf_token": csrf_of(manager), "confirm": member.member_no,
                                   "reason": "x"}).status_code == 403
    admin = signed_in(central_app, "admin")
    assert "无法恢复" in admin.get(url).get_data(as_text=True)
    token = csrf_of(admin)
    # Not confirmed, or no reason: a message, nothing erased.
    for form, message in (({"confirm": "M0000000", "reason": "本人申请"}, "会员号不一致"),
                          ({"confirm": member.member_no, "reason": " "}, "请填写删除原因")):
        refused = admin.post(url, data={"csrf_token": token, **form})
        assert refused.status_code == 400 and message in refused.get_data(as_text=True)
        with db.connection_context():
            assert Member.get_by_id(member.id).erased_at is None
    done = admin.post(url, data={"csrf_token": token, "confirm": member.member_no.lower(), "reason": "本人书面申请"})
    assert done.status_code == 200 and "2 条服务申请的联系方式已清除" in done.get_data(as_text=True)

    with db.connection_context():
        gone = Member.get_by_id(member.id)
        assert gone.erased_at and gone.status == "revoked" and gone.revocation_until == member.card_expires_at
        assert (gone.name, gone.phone_enc, gone.card_enc) == ("", "", None)
        assert gone.phone_hash != member.phone_hash and gone.page_token_hash != member.page_token_hash
        assert Member.by_phone(central_app.extensions["waystation.protector"], PHONE) is None
        for request in (by_phone, by_card):
            row = ServiceRequest.get_by_id(request.id)
            assert (row.phone_encrypted, row.phone_hash, row.phone_last4) == (None, None, None)
            assert row.contact_erased_at and row.service == "legal_aid" and row.status == request.status
        untouched = ServiceRequest.get_by_id(other.id)
        assert untouched.phone_encrypted and untouched.contact_erased_at is None
        # Counts stay: every row is still there, the check-in under the member number alone.
        assert {"checkins": CheckIn.select().count(), "requests": ServiceRequest.select().count(),
                "members": Member.select().count()} == before
        assert CheckIn.select().where(CheckIn.member_no == member.member_no).count() == 1
        entry = AuditEntry.for_subject("member", member.member_no).order_by(AuditEntry.id.desc()).first()
        assert (entry.action, entry.actor_name, entry.details) == ("member.erase", "admin",
                                                                   {"reason": "本人书面申请", "requests": 2})
        # The raw usage log never kept the rider's contact details or tracking code.
        raw = [json.loads(e.data) for e in StationEvent.select().where(StationEvent.kind == "service_request")]
        assert raw and not any({"contact_sealed", "phone_last4", "tracking_code"} & set(r) for r in raw)
    page = admin.get(f"/members/{member.member_no}").get_data(as_text=True)
    assert "钱师傅" not in page and 'data-testid="member-erased"' in page and 'data-testid="erase-link"' not in page
    again = admin.post(url, data={"csrf_token": token, "confirm": member.member_no, "reason": "again"})
    assert again.status_code == 400 and "已经删除" in again.get_data(as_text=True)
    # Exporting afterwards shows what is left: no name, no number.
    left = json.loads(admin.post(f"/members/{member.member_no}/export", data={"csrf_token": token}).get_data())
    assert left["member"]["name"] is None and left["member"]["phone"] is None
    assert {r["phone"] for r in left["service_requests"]} == {None}


def _close(staff, request_id: int) -> None:
    token = csrf_of(staff)
    assert staff.post(f"/requests/{request_id}/act/contact", data={"csrf_token": token}).status_code in (200, 303)
    closed = staff.post(f"/requests/{request_id}/act/close",
                        data={"csrf_token": token, "resolved": "yes", "mediated": "no", "amount": ""})
    assert closed.status_code in (200, 303)


def test_retention_erases_closed_cases_contacts_and_old_audit_rows_from_the_node(
        shared_mosquitto, running, central_settings, clock):
    from tests.charging_helpers import start_central

    start = utcnow()
    clock(start)
    from station_admin import create_app

    settings = central_settings(shared_mosquitto.url, template="seeded")
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    old = file(app, station="xh-xujiahui", phone="13800002222", at=start - timedelta(days=1))
    still_open = file(app, station="xh-xujiahui", phone="13800003333", at=start - timedelta(days=1))
    recent = file(app, station="xh-xujiahui", phone="13800004444", at=start - timedelta(days=1))
    worker = signed_in(app, "caseworker")
    _close(worker, old.id)
    # 181 days later the recent one is closed; then central's node starts and applies retention.
    clock(start + timedelta(days=181))
    _close(signed_in(app, "caseworker"), recent.id)  # a new sign-in: the old session is long gone
    with db.connection_context():
        audit_before = AuditEntry.select().where(AuditEntry.at < start + timedelta(days=150)).count()
    assert audit_before > 0 and settings.privacy.closed_case_contact_days == 180
    start_central(running, central_settings, shared_mosquitto.url,
                  privacy={"audit_days": 30, "retention_check_seconds": 3600.0})

    def erased():
        with db.connection_context():
            return ServiceRequest.get_by_id(old.id).contact_erased_at
    wait_until(erased, message="retention at central's node")
    with db.connection_context():
        gone = ServiceRequest.get_by_id(old.id)
        assert (gone.phone_encrypted, gone.phone_hash, gone.phone_last4) == (None, None, None)
        assert gone.status == "closed_resolved" and gone.closed_at
        for kept in (still_open, recent):
            assert ServiceRequest.get_by_id(kept.id).phone_encrypted is not None
        assert AuditEntry.select().where(AuditEntry.at < start + timedelta(days=150)).count() == 0
        run = AuditEntry.get(AuditEntry.action == "retention.apply")
        assert run.actor_name == "system" and run.details == {"request_contacts": 1, "audit_rows": audit_before}
        # Nothing is left to match a tracking look-up by code and last four digits.
        assert ServiceRequest.find_for_tracking(old.tracking_code, "2222") is None
        assert ServiceRequest.find_for_tracking(recent.tracking_code, "4444") is not None


def test_retention_settings_that_would_erase_at_once_stop_the_node(central_settings):
    import pytest

    from station_admin.personal import retention
    from waystation.settings import ConfigError

    for privacy, key in (({"audit_days": 0}, "privacy.audit_days"),
                         ({"closed_case_contact_days": -1}, "privacy.closed_case_contact_days"),
                         ({"retention_check_seconds": 0.0}, "privacy.retention_check_seconds")):
        with pytest.raises(ConfigError, match=key):
            retention.check(central_settings(privacy=privacy).privacy)
