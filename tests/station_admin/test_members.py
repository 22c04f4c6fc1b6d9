"""Joining on the phone and staff work on members: every bad input refused in Chinese, roles, audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from devices.protocol import utcnow
from station_admin.core.audit import AuditEntry
from station_admin.core.models import CheckIn, Federation, StaffUser, db
from station_admin.members.models import CardKey, Member
from tests.conftest import csrf_of
from tests.htmx import HX, assert_fragment_and_page
from tests.station_admin.conftest import login
from waystation.cards import join_link_query


def join_link(app, station="xh-xujiahui", made=None) -> str:
    protector = app.extensions["waystation.protector"]
    return "/m/join?" + join_link_query(protector.join_key(station), station, made or utcnow())


def fields(link: str) -> dict:
    return dict(p.split("=") for p in link.partition("?")[2].split("&"))


def member_count() -> int:
    with db.connection_context():
        return Member.select().count()


def shown_consent(page) -> str:
    """The consent version a join form shows (sent back with the form, as a browser does)."""
    return re.search(r'name="consent_version" value="(\d+)"', page.get_data(as_text=True)).group(1)


def submit(app, link, **overrides):
    phone = app.test_client()
    form = phone.get(link)
    assert form.status_code == 200
    data = {"name": "钱师傅", "phone": "13712345678", "platform": "eleme", "district": "xuhui", "consent": "yes",
            "consent_version": shown_consent(form), **fields(link), "csrf_token": csrf_of(phone), **overrides}
    return phone.post("/m/join", data={k: v for k, v in data.items() if v is not None})


def test_join_makes_an_active_member_with_a_card(central_app):
    response = submit(central_app, join_link(central_app))
    assert response.status_code == 303
    token = re.search(r"/m/card/(.+)$", response.headers["Location"]).group(1)
    with db.connection_context():
        member = Member.by_page_token(token)
        assert member.status == "active" and member.join_station == "xh-xujiahui" and member.card_kid
        assert "13712345678" not in member.phone_enc and member.name == "钱师傅"
        assert [e.action for e in AuditEntry.for_subject("member", member.member_no)] == ["member.join",
                                                                                       "member.approve"]
    page = central_app.test_client().get(f"/m/card/{token}")
    assert member.member_no in page.get_data(as_text=True) and page.headers["Cache-Control"] == "no-store"
    assert central_app.test_client().get("/m/card/not-a-real-token").status_code == 404


def test_the_worker_group_is_asked_and_else_taken_from_the_platform(central_app):
    chosen = submit(central_app, join_link(central_app), worker_group="sanitation")
    derived = submit(central_app, join_link(central_app), phone="13712345679", platform="sf")
    assert chosen.status_code == derived.status_code == 303
    with db.connection_context():
        groups = {m.phone_hash: m.worker_group for m in Member.select()}
        protector = central_app.extensions["waystation.protector"]
        assert groups[protector.lookup_hash("13712345678")] == "sanitation"
        assert groups[protector.lookup_hash("13712345679")] == "courier"  # SF: a courier
    assert "外卖骑手" in central_app.test_client().get(join_link(central_app)).get_data(as_text=True)


@pytest.mark.parametrize("overrides, message", [
    ({"name": ""}, "请填写姓名"),
    ({"name": "a" * 10_000}, "姓名最多 20 个字"),
    ({"name": "张" * 10_000}, "提交的内容太长"),  # 90 KB of form: refused before it is read
    ({"name": "<script>x</script>"}, "姓名只能包含文字"),
    ({"name": "王<b>五</b>"}, "姓名只能包含文字"),
    ({"phone": ""}, "请填写手机号"),
    ({"phone": "12345678901"}, "11 位中国大陆手机号"),
    ({"phone": "010-12345678"}, "11 位中国大陆手机号"),
    ({"platform": "uber"}, "请选择您的工作平台"),
    ({"worker_group": "pilot"}, "请选择列表中的工作类型"),
    ({"district": "nowhere"}, "请选择所在区"),
    ({"consent": None}, "请阅读并同意个人信息说明"),
    ({"name": None, "phone": None, "platform": None, "consent": None}, "请填写姓名"),
])
def test_bad_join_input_is_refused_in_chinese_and_stores_nothing(central_app, overrides, message):
    before = member_count()
    response = submit(central_app, join_link(central_app), **overrides)
    body = response.get_data(as_text=True)
    assert response.status_code in (400, 413) and message in body
    assert "<script>x" not in body and "<b>五" not in body  # echoed input is escaped
    assert member_count() == before


def test_expired_or_forged_join_link_is_refused(central_app):
    before = member_count()
    old = join_link(central_app, made=utcnow() - timedelta(minutes=11))
    assert "二维码已过期" in central_app.test_client().get(old).get_data(as_text=True)
    forged = re.sub(r"h=[0-9a-f]+", "h=" + "0" * 20, join_link(central_app))
    assert central_app.test_client().get(forged).status_code == 400
    other_station = join_link(central_app).replace("s=xh-xujiahui", "s=xh-longhua")
    assert central_app.test_client().get(other_station).status_code == 400
    # A form opened in time may be sent later, but not an hour later.
    late = join_link(central_app, made=utcnow() - timedelta(minutes=61))
    phone = central_app.test_client()
    phone.get("/auth/login")
    response = phone.post("/m/join", data={"name": "钱师傅", "phone": "13712345678", "platform": "eleme",
                                           "district": "xuhui", "consent": "yes", "consent_version": "1",
                                           **fields(late),
                                           "csrf_token": csrf_of(phone)})
    assert response.status_code == 400 and member_count() == before


def test_a_number_joins_once(central_app):
    assert submit(central_app, join_link(central_app)).status_code == 303
    again = submit(central_app, join_link(central_app), phone="137 1234 5678", name="冒名")
    assert again.status_code == 400 and "已经是会员" in again.get_data(as_text=True)
    with db.connection_context():
        assert not Member.select().where(Member.name == "冒名").exists()


def test_federation_that_approves_first(central_app):
    with db.connection_context():
        Federation.update(members_need_approval=True).execute()
    token = submit(central_app, join_link(central_app)).headers["Location"].rsplit("/", 1)[1]
    page = central_app.test_client().get(f"/m/card/{token}").get_data(as_text=True)
    assert "等待站长审核" in page and 'class="qr"' not in page
    with db.connection_context():
        member = Member.by_page_token(token)
    staff = central_app.test_client()
    login(staff, "manager", "manager-demo")
    staff.get(f"/members/{member.member_no}")
    done = staff.post(f"/members/{member.member_no}/approve", headers={**HX, "X-CSRF-Token": csrf_of(staff)})
    assert "已审核通过" in done.get_data(as_text=True)
    assert 'class="qr"' in central_app.test_client().get(f"/m/card/{token}").get_data(as_text=True)
    with db.connection_context():
        approval = AuditEntry.for_subject("member", member.member_no).where(AuditEntry.action == "member.approve").get()
        assert approval.actor_name == "manager"


def visible_numbers(client) -> list[str]:
    return re.findall(r'data-member="(W[0-9A-Z]{9})"', client.get("/members/").get_data(as_text=True))


def test_who_sees_which_members(central_app):
    with db.connection_context():
        by_station = {m.join_station: m.member_no for m in Member.select()}
        caseworker = StaffUser(username="cw", display_name="个案", role="caseworker")
        caseworker.set_password("cw-pass")
        caseworker.save()
    admin = central_app.test_client()
    login(admin, "admin", "admin-demo")
    assert sorted(visible_numbers(admin)) == sorted(by_station.values())
    manager = central_app.test_client()
    login(manager, "manager", "manager-demo")  # runs xh-xujiahui and xh-caohejing, not xh-longhua
    assert sorted(visible_numbers(manager)) == sorted([by_station["xh-xujiahui"], by_station["xh-caohejing"]])
    assert manager.get(f"/members/{by_station['xh-longhua']}").status_code == 404
    # A member who joined elsewhere becomes visible once they visit one of the manager's stations.
    with db.connection_context():
        CheckIn.create(event_id="e" * 32, station_code="xh-caohejing", occurred_at=utcnow(), method="card",
                       member_no=by_station["xh-longhua"])
    assert by_station["xh-longhua"] in visible_numbers(manager)
    federation = central_app.test_client()
    login(federation, "federation", "federation-demo")
    page = federation.get("/members/").get_data(as_text=True)
    assert 'data-status="active">3<' in page
    assert not re.search(r"W[0-9A-Z]{9}", page) and "138****" not in page  # counts only: no member appears
    assert federation.get(f"/members/{by_station['xh-xujiahui']}").status_code == 403
    worker = central_app.test_client()
    login(worker, "cw", "cw-pass")
    assert worker.get("/members/").status_code == 403
    assert central_app.test_client().get("/members/").status_code == 302


def test_list_shows_masked_phones_and_finds_by_number(central_app):
    admin = central_app.test_client()
    login(admin, "admin", "admin-demo")
    page = admin.get("/members/").get_data(as_text=True)
    assert "138****0001" in page and "13800000001" not in page
    found = admin.get("/members/?q=138 0000 0002").get_data(as_text=True)
    assert len(re.findall(r"data-member=", found)) == 1 and "李大姐" in found
    assert_fragment_and_page(admin, "/members/?q=张", "members")


def test_revoke_and_reissue_are_audited_and_need_a_reason(central_app):
    admin = central_app.test_client()
    login(admin, "admin", "admin-demo")
    with db.connection_context():
        first, second = Member.select().order_by(Member.id).limit(2)
    admin.get(f"/members/{first.member_no}")
    headers = {**HX, "X-CSRF-Token": csrf_of(admin)}
    refused = admin.post(f"/members/{first.member_no}/revoke", data={"reason": "  "}, headers=headers)
    assert "请填写注销原因" in refused.get_data(as_text=True)
    with db.connection_context():
        assert Member.get_by_id(first.id).status == "active"
    admin.post(f"/members/{first.member_no}/revoke", data={"reason": "本人申请"}, headers=headers)
    reissued = admin.post(f"/members/{second.member_no}/reissue", headers=headers).get_data(as_text=True)
    assert 'data-testid="new-link"' in reissued
    new_token = re.search(r"/m/card/([A-Za-z0-9_-]+)<", reissued).group(1)
    with db.connection_context():
        assert Member.get_by_id(first.id).status == "revoked"
        assert Member.by_page_token(new_token).id == second.id
        actions = [(e.action, e.actor_name) for e in AuditEntry.select().where(AuditEntry.actor_name == "admin")]
    assert ("member.view", "admin") in actions and ("member.revoke", "admin") in actions
    assert ("member.reissue", "admin") in actions
    again = admin.post(f"/members/{first.member_no}/revoke", data={"reason": "x"}, headers=headers)
    assert "此会员已注销" in again.get_data(as_text=True)


def test_key_rotation_and_retirement(central_app):
    admin = central_app.test_client()
    login(admin, "admin", "admin-demo")
    admin.get("/members/keys")
    headers = {**HX, "X-CSRF-Token": csrf_of(admin)}
    with db.connection_context():
        (first,) = CardKey.active()
    last = admin.post("/members/keys/retire", data={"kid": first.kid}, headers=headers)
    assert "不能停用唯一有效的密钥" in last.get_data(as_text=True)
    admin.post("/members/keys/rotate", headers=headers)
    admin.post("/members/keys/retire", data={"kid": first.kid}, headers=headers)
    with db.connection_context():
        assert [k.kid for k in CardKey.active()] != [first.kid] and CardKey.signer().kid != first.kid
        assert CardKey.get(CardKey.kid == first.kid).retired_at is not None
    manager = central_app.test_client()
    login(manager, "manager", "manager-demo")
    assert manager.get("/members/keys").status_code == 403
