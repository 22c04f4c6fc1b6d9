"""Staff pages for requests: who may see and do what, the queue, case actions, audit of every view."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from station_admin.core.audit import AuditEntry
from station_admin.core.models import StaffUser, db
from station_admin.members.models import Member
from station_admin.requests.models import CentreMember, FollowUp, LegalAidCentre, ServiceRequest, StatusChange
from tests.conftest import csrf_of
from tests.htmx import HX, assert_fragment_and_page, element, normalise
from tests.station_admin.conftest import login, signed_in  # noqa: F401 - signed_in is also imported from here
from tests.station_admin.requests_helpers import SHANGHAI, file, local


def add_minhang_caseworker(app):
    with app.app_context(), db.connection_context():
        user = StaffUser(username="mh-worker", display_name="闵行法援", role="caseworker")
        user.set_password("mh-worker-demo")
        user.save()
        CentreMember.create(user=user, centre=LegalAidCentre.get(LegalAidCentre.name_en.contains("Minhang")))


# route, method, roles that may use it
ROUTES = [
    ("/requests/", "GET", {"admin", "caseworker"}),
    ("/requests/{rid}", "GET", {"admin", "caseworker"}),
    ("/requests/{rid}/phone", "POST", {"admin", "caseworker"}),
    ("/requests/{rid}/act/attempt", "POST", {"admin", "caseworker"}),
    ("/requests/{rid}/route", "POST", {"admin", "caseworker"}),
    ("/requests/follow-ups", "GET", {"admin", "caseworker"}),
    ("/requests/follow-ups/999999/done", "POST", {"admin", "caseworker"}),
    ("/requests/stations", "GET", {"admin", "manager"}),
    ("/requests/summary", "GET", {"admin", "federation"}),
    ("/calendar/", "GET", {"admin", "federation"}),
    ("/calendar/", "POST", {"admin", "federation"}),
]


@pytest.mark.parametrize("role", ["admin", "federation", "manager", "caseworker", None])
def test_every_staff_route_refuses_the_wrong_role(central_app, role):
    req = file(central_app)
    client = signed_in(central_app, role)
    token = csrf_of(client)
    for route, method, roles in ROUTES:
        url = route.format(rid=req.id)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, "outcome": "busy", "centre": req.centre_id})
        if role is None:
            assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
        elif role in roles:
            assert response.status_code not in (302, 401, 403), (role, url, response.status_code)
        else:
            assert response.status_code == 403, (role, url, response.status_code)


def test_a_caseworker_sees_only_its_centres_cases(central_app):
    add_minhang_caseworker(central_app)
    xuhui = file(central_app, district="xuhui")
    minhang = file(central_app, district="minhang")
    client = signed_in(central_app, "caseworker")
    page = client.get("/requests/").get_data(as_text=True)
    assert xuhui.tracking_code in page and minhang.tracking_code not in page
    assert client.get(f"/requests/{minhang.id}").status_code == 403
    assert client.post(f"/requests/{minhang.id}/act/attempt", data={"csrf_token": csrf_of(client),
                                                                     "outcome": "busy"}).status_code == 403
    other = signed_in(central_app, "mh-worker")
    page = other.get("/requests/").get_data(as_text=True)
    assert minhang.tracking_code in page and xuhui.tracking_code not in page
    with db.connection_context():
        assert ServiceRequest.get_by_id(minhang.id).status == "assigned"


def test_queue_is_sorted_by_due_time_with_overdue_highlighted(central_app):
    late = file(central_app, at=local(2026, 3, 2, 10))
    later = file(central_app, at=local(2026, 3, 4, 10))
    soon = file(central_app, at=datetime.now(UTC))
    client = signed_in(central_app, "caseworker")
    html = assert_fragment_and_page(client, "/requests/?state=open", "queue")
    order = [late.tracking_code, later.tracking_code, soon.tracking_code]
    assert sorted(order, key=html.index) == order
    assert f'class="overdue" data-request="{late.tracking_code}"' in html
    assert f'class="" data-request="{soon.tracking_code}"' in html
    assert soon.tracking_code not in client.get("/requests/?state=closed").get_data(as_text=True)


def test_every_view_of_a_case_is_audited_and_the_phone_is_masked_until_asked(central_app):
    req = file(central_app, phone="13612349876")
    client = signed_in(central_app, "caseworker")
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "136****9876" in page and "13612349876" not in page
    assert "拖欠工资" in page and "外卖骑手" in page  # answers labelled from the catalogue
    client.get(f"/requests/{req.id}")
    shown = client.post(f"/requests/{req.id}/phone", data={"csrf_token": csrf_of(client)}, headers=HX)
    assert "13612349876" in shown.get_data(as_text=True)
    with db.connection_context():
        actions = [(e.action, e.actor_name) for e in AuditEntry.for_subject("request", req.id)]
    assert actions == [("request.file", "system"), ("request.view", "caseworker"), ("request.view", "caseworker"),
                       ("request.phone", "caseworker")]


def test_the_case_history_reads_in_plain_words_in_time_order(central_app):
    """No raw codes ("— → 待联系 · centre 1", "no_answer"): who did what, oldest first, calls among the moves;
    a request filed without a card names the member with the same phone; withdraw and close ask first."""
    req = file(central_app, phone="13800000001")  # 张师傅's phone, filed without his card
    client = signed_in(central_app, "caseworker")
    token = csrf_of(client)
    for action, form in (("attempt", {"outcome": "no_answer"}), ("attempt", {"outcome": "reached"}),
                         ("accept", {})):
        client.post(f"/requests/{req.id}/act/{action}", data={"csrf_token": token, **form}, headers=HX)
    html = element(client.get(f"/requests/{req.id}").get_data(as_text=True), "case")
    history = [normalise(li) for li in html.split('data-testid="history">')[1].split("</ol>")[0].split("<li>")[1:]]
    steps = [line.split(" · ", 2)[1:] for line in history]
    assert steps == [["系统", "申请已提交，分派给徐汇区职工法律援助中心</li>"],
                     ["caseworker", "联系骑手：无人接听</li>"],
                     ["caseworker", "状态：联系未果 → 已联系</li>"],
                     ["caseworker", "联系骑手：已接通</li>"],
                     ["caseworker", "状态：已联系 → 已受理</li>"]]
    assert "centre " not in html and "no_answer" not in html
    times = [line.split(" · ")[0] for line in history]
    assert times == sorted(times)
    with db.connection_context():
        member_no = Member.get(Member.phone_hash == ServiceRequest.get_by_id(req.id).phone_hash).member_no
    member = html.split('data-testid="member">')[1].split("</dd>")[0]
    assert member_no in member and "按手机号对应的会员" in member
    assert 'hx-confirm="确定撤回这个申请吗' in html and 'hx-confirm="确定结案吗' in html


def test_case_actions_as_htmx_fragments(central_app):
    req = file(central_app, service="hardship_aid")
    client = signed_in(central_app, "caseworker")
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    token = csrf_of(client)

    def act(action, **form):
        response = client.post(f"/requests/{req.id}/act/{action}", data={"csrf_token": token, **form}, headers=HX)
        html = response.get_data(as_text=True)
        assert "<html" not in html and 'id="case"' in html
        return response.status_code, html

    assert act("attempt", outcome="no_answer")[0] == 200
    assert act("contact")[0] == 200
    status, html = act("accept")
    assert status == 200 and "季度走访" in html
    full = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert normalise(element(full, "case")) == normalise(html)
    status, html = act("close", resolved="yes", mediated="yes", amount="12,345.67")
    assert status == 200 and "¥12345.67" in html and "已解决结案" in html
    with db.connection_context():
        stored = ServiceRequest.get_by_id(req.id)
        assert (stored.amount_recovered_fen, stored.mediated, stored.status) == (1234567, True, "closed_resolved")
        assert stored.first_contact_at is not None
        assert [c.actor_name for c in StatusChange.history(stored)] == ["system"] + ["caseworker"] * 4
    assert page  # the page loaded before the actions


@pytest.mark.parametrize("contacted, action, form, message", [
    (True, "close", {"resolved": "yes", "amount": "-5"}, "金额格式不正确"),
    (True, "close", {"resolved": "yes", "amount": "10000000.01"}, "金额格式不正确"),
    (True, "close", {"resolved": "yes", "amount": "1.234"}, "金额格式不正确"),
    (False, "close", {"resolved": "yes", "amount": "5"}, "当前状态下不能进行该操作"),
    (False, "accept", {}, "当前状态下不能进行该操作"),
    (True, "reopen", {}, "当前状态下不能进行该操作"),
    (True, "refer", {"referred_to": "moon"}, "请选择转介去向"),
    (False, "attempt", {"outcome": "teleported"}, "请选择联系结果"),
])
def test_bad_actions_say_why_and_change_nothing(central_app, contacted, action, form, message):
    req = file(central_app)
    client = signed_in(central_app, "caseworker")
    if contacted:
        client.post(f"/requests/{req.id}/act/contact", data={"csrf_token": csrf_of(client)})
    with db.connection_context():
        before = (ServiceRequest.get_by_id(req.id).status, StatusChange.select().count())
    response = client.post(f"/requests/{req.id}/act/{action}", data={"csrf_token": csrf_of(client), **form},
                           headers=HX)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with db.connection_context():
        after = ServiceRequest.get_by_id(req.id)
        assert (after.status, StatusChange.select().count()) == before and after.amount_recovered_fen is None


def test_rerouting_is_logged_and_recounts_the_deadline(central_app):
    req = file(central_app, at=local(2026, 9, 30, 16, 0))
    with db.connection_context():
        ServiceRequest.update(due_at=datetime(2000, 1, 1, tzinfo=UTC)).where(ServiceRequest.id == req.id).execute()
        minhang = LegalAidCentre.get(LegalAidCentre.name_en.contains("Minhang"))
    client = signed_in(central_app, "caseworker")
    response = client.post(f"/requests/{req.id}/route", data={"csrf_token": csrf_of(client), "centre": minhang.id})
    assert response.status_code == 303 and response.headers["Location"] == "/requests/"  # no longer theirs
    with db.connection_context():
        moved = ServiceRequest.get_by_id(req.id)
        assert moved.centre_id == minhang.id
        assert moved.due_at.astimezone(SHANGHAI).date().isoformat() == "2026-10-09"
        assert StatusChange.history(moved)[-1].note.endswith(f"-> {minhang.id}")
        assert AuditEntry.get(AuditEntry.action == "request.route").details["centre_to"] == minhang.id


def test_admin_routes_the_unrouted_queue(central_app):
    stray = file(central_app, district="pudong")
    client = signed_in(central_app, "admin")
    page = client.get("/requests/").get_data(as_text=True)
    assert "有 1 个请求无法自动分派" in page
    assert stray.tracking_code in client.get("/requests/?centre=unrouted").get_data(as_text=True)
    with db.connection_context():
        xuhui = LegalAidCentre.get(LegalAidCentre.name_en.contains("Xuhui"))
    client.post(f"/requests/{stray.id}/route", data={"csrf_token": csrf_of(client), "centre": xuhui.id})
    with db.connection_context():
        assert ServiceRequest.get_by_id(stray.id).status == "assigned"
    assert "无法自动分派" not in client.get("/requests/").get_data(as_text=True)


def test_a_station_manager_sees_its_stations_requests_without_details(central_app):
    mine = file(central_app, station="xh-xujiahui", phone="13512345678")
    theirs = file(central_app, station="xh-longhua")
    client = signed_in(central_app, "manager")
    page = client.get("/requests/stations").get_data(as_text=True)
    assert mine.tracking_code in page and theirs.tracking_code not in page
    assert "法律援助" in page and "待联系" in page
    for secret in ("5678", "拖欠工资", "外卖骑手", "****"):
        assert secret not in page
    assert client.get(f"/requests/{mine.id}").status_code == 403
    assert client.post(f"/requests/{mine.id}/phone", data={"csrf_token": csrf_of(client)}).status_code == 403


def test_a_federation_sees_aggregates_only(central_app):
    file(central_app, district="xuhui", phone="13512345678")
    file(central_app, district="minhang", member_no="M20260077")
    file(central_app, service="counselling")
    client = signed_in(central_app, "federation")
    page = client.get("/requests/summary").get_data(as_text=True)
    legal = element(page, "by-service")
    assert 'data-service="legal_aid"' in legal and '<td data-status="assigned">2</td>' in legal
    assert element(page, "by-centre").count("<tr data-centre=") == 2
    with db.connection_context():
        codes = [r.tracking_code for r in ServiceRequest.select()]
    assert not any(code in page for code in codes) and "M20260077" not in page and "5678" not in page
    assert client.get("/requests/").status_code == 403


def test_calendar_warning_when_this_year_has_no_calendar(central_app, monkeypatch):
    import station_admin.requests.queue as queue

    client = signed_in(central_app, "admin")
    monkeypatch.setattr(queue, "utcnow", lambda: datetime(2026, 6, 1, tzinfo=UTC))
    assert 'data-testid="calendar-warning"' not in client.get("/requests/").get_data(as_text=True)
    monkeypatch.setattr(queue, "utcnow", lambda: datetime(2026, 12, 5, tzinfo=UTC))
    assert "尚未导入 2027 年的工作日历" in client.get("/requests/").get_data(as_text=True)
    monkeypatch.setattr(queue, "utcnow", lambda: datetime(2027, 3, 1, tzinfo=UTC))
    page = client.get("/requests/").get_data(as_text=True)
    assert "尚未导入 2027 年的工作日历：期限按法定节假日和周末估算" in page
    assert '<a href="/calendar/" data-testid="calendar-import-link">导入工作日历</a>' in page
    federation = signed_in(central_app, "federation")  # federations import calendars too
    assert 'data-testid="calendar-import-link"' in federation.get("/requests/summary").get_data(as_text=True)
    assert 'data-testid="calendar-warning"' in federation.get("/calendar/").get_data(as_text=True)
    english = signed_in(central_app, "admin")
    english.post("/auth/language", data={"lang": "en", "csrf_token": csrf_of(english)})
    assert "No working-day calendar loaded for 2027: deadlines are estimated from the statutory holidays" in \
        english.get("/requests/").get_data(as_text=True)
    # case workers cannot import a calendar: no banner for them (each estimated deadline keeps its ≈ mark)
    caseworker = signed_in(central_app, "caseworker")
    req = file(central_app, at=datetime(2027, 3, 1, 2, tzinfo=UTC))
    queue_page = caseworker.get("/requests/").get_data(as_text=True)
    assert 'data-testid="calendar-warning"' not in queue_page and "≈" in queue_page
    assert 'data-testid="calendar-warning"' not in caseworker.get(f"/requests/{req.id}").get_data(as_text=True)


def test_hardship_follow_ups_due_this_week(central_app, monkeypatch):
    import station_admin.requests.queue as queue

    req = file(central_app, service="hardship_aid")
    accepted = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)
    monkeypatch.setattr(queue, "utcnow", lambda: accepted)
    client = signed_in(central_app, "caseworker")
    client.post(f"/requests/{req.id}/act/contact", data={"csrf_token": csrf_of(client)})
    client.post(f"/requests/{req.id}/act/accept", data={"csrf_token": csrf_of(client)})
    assert "没有到期的回访" in client.get("/requests/follow-ups").get_data(as_text=True)
    monkeypatch.setattr(queue, "utcnow", lambda: datetime(2027, 3, 1, 2, 0, tzinfo=UTC))  # week of 03-02 visit
    html = assert_fragment_and_page(client, "/requests/follow-ups", "follow-ups")
    assert "2027-03-02" in html and "季度走访" in html and req.tracking_code in html
    with db.connection_context():
        follow_up = FollowUp.select().order_by(FollowUp.due_on).first()
    done = client.post(f"/requests/follow-ups/{follow_up.id}/done", data={"csrf_token": csrf_of(client)}, headers=HX)
    assert "没有到期的回访" in done.get_data(as_text=True)
    with db.connection_context():
        assert AuditEntry.get(AuditEntry.action == "request.follow_up").details["kind"] == "visit"
