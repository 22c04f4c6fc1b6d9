"""Administration pages against the real app and database: only admins reach them, every change is
audited with before and after, and every bad input is refused in the user's language with nothing written."""

from __future__ import annotations

import json

import pytest

from devices.protocol import charger, events, occupancy, utcnow
from station_admin.community.opening import OpeningInterval
from station_admin.core.audit import AuditEntry
from station_admin.core.models import ApiToken, CheckIn, District, StaffUser, Station, StationLive, db
from station_admin.core.unknown import UnknownStation
from station_admin.demo.seed import DEMO_TOKEN
from station_admin.node.ingest import on_events, on_occupancy
from station_admin.requests.models import CentreDistrict, LegalAidCentre
from tests.conftest import csrf_of

PAGES = ["/admin/stations", "/admin/stations/new", "/admin/stations/import", "/admin/stations/xh-xujiahui",
         "/admin/organisation", "/admin/staff", "/admin/staff/manager", "/admin/tokens"]
POSTS = ["/admin/stations/new", "/admin/stations/import", "/admin/stations/import/confirm",
         "/admin/stations/xh-xujiahui", "/admin/stations/xh-xujiahui/close", "/admin/federations", "/admin/districts",
         "/admin/centres", "/admin/staff", "/admin/staff/manager/password", "/admin/staff/manager/active",
         "/admin/staff/manager/sign-out", "/admin/tokens", "/admin/tokens/demo-api/revoke"]
DEMO_PASSWORDS = {"admin": "admin-demo", "federation": "federation-demo", "manager": "manager-demo",
                  "caseworker": "caseworker-demo", "shop": "shop-demo"}


def signed_in(app, username="admin", password=None):
    client = app.test_client()
    client.get("/auth/login")
    response = client.post("/auth/login", data={"username": username, "password": password or DEMO_PASSWORDS[username],
                                                "csrf_token": csrf_of(client)})
    assert response.status_code == 303, response.get_data(as_text=True)
    client.get("/auth/login")  # a fresh anti-forgery token for the new session
    return client


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": csrf_of(client)})


def audit_count(app) -> int:
    with app.app_context(), db.connection_context():
        return AuditEntry.select().count()


STATION_FORM = {"code": "xh-tianlin", "district": "xuhui", "name_zh": "田林爱心驿站", "name_en": "Tianlin Rest Station",
                "address": "徐汇区田林路200号", "latitude": "31.1702", "longitude": "121.4236", "capacity": "16",
                "charger_slots": "4", "services": ["seat", "water", "charging"], "mobile": "",
                **{f"hours_{d}": "07:00-14:00, 16:00-22:00" for d in range(5)}, "hours_5": "20:00-02:00",
                "hours_6": ""}


@pytest.mark.parametrize("role", ["federation", "manager", "caseworker", "shop"])
def test_only_admins_reach_the_admin_pages(central_app, role):
    client = signed_in(central_app, role)
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    for url in POSTS:
        assert post(client, url, **STATION_FORM).status_code == 403, url
    assert 'data-testid="nav-admin"' not in client.get("/auth/login").get_data(as_text=True)
    with central_app.app_context(), db.connection_context():
        assert not Station.select().where(Station.code == "xh-tianlin").exists()
        assert ApiToken.get(ApiToken.name == "demo-api").revoked_at is None


def test_strangers_are_sent_to_sign_in_and_admins_see_every_page(central_app):
    stranger = central_app.test_client()
    for url in PAGES:
        assert stranger.get(url).status_code == 302, url
    admin = signed_in(central_app)
    for url in PAGES:
        assert admin.get(url).status_code == 200, url
    assert 'data-testid="nav-admin"' in admin.get("/admin/stations").get_data(as_text=True)


def test_a_station_with_every_field_is_created_and_audited(central_app):
    client = signed_in(central_app)
    searched = "/dashboard/stations?q=%E7%94%B0%E6%9E%97"  # 田林: the dashboard's views share what they found
    assert 'data-station="xh-tianlin"' not in client.get(searched, headers={"HX-Request": "true"}).get_data(True)
    response = post(client, "/admin/stations/new", **STATION_FORM)
    assert response.status_code == 303
    assert 'data-station="xh-tianlin"' in client.get(searched, headers={"HX-Request": "true"}).get_data(True)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "xh-tianlin" in page and "田林爱心驿站" in page
    with central_app.app_context(), db.connection_context():
        station = Station.get(Station.code == "xh-tianlin")
        assert (station.capacity, station.charger_slots, station.services, station.mobile, station.closed) == (
            16, 4, "seat,water,charging", False, False)
        assert (station.latitude, station.longitude, station.district.code) == (31.1702, 121.4236, "xuhui")
        hours = [(i.weekday, i.opens, i.closes) for i in OpeningInterval.by_station([station.id])[station.id]]
        assert (0, "07:00", "14:00") in hours and (0, "16:00", "22:00") in hours and (5, "20:00", "02:00") in hours
        assert not [h for h in hours if h[0] == 6]
        entry = AuditEntry.get(AuditEntry.action == "station.add", AuditEntry.subject_id == "xh-tianlin")
        assert entry.actor_name == "admin" and entry.subject_id == "xh-tianlin"
        assert entry.details["before"] is None and entry.details["after"]["charger_slots"] == 4


@pytest.mark.parametrize("change, message", [
    ({"latitude": "48.8566", "longitude": "2.3522"}, "坐标必须是中国境内的 WGS84 度数"),
    ({"latitude": "31.17", "longitude": ""}, "纬度和经度要么都填"),
    ({"latitude": "nan", "longitude": "121.4"}, "坐标必须是中国境内"),
    ({"capacity": "many"}, "座位数必须是整数"),
    ({"capacity": "5000"}, "座位数必须是 0 到 1000"),
    ({"charger_slots": "-1"}, "充电口数必须是 0 到 64"),
    ({"hours_2": "25:00-26:00"}, "星期三的开放时间格式不对"),
    ({"hours_3": "08:00-12:00, 11:00-13:00"}, "星期四的开放时间段有重叠"),
    ({"district": "nowhere"}, "没有代码为“nowhere”的区"),
    ({"name_en": ""}, "中文和英文名称都必须填写"),
    ({"code": "XH Tianlin!"}, "代码为 1–40 个小写字母"),
    ({"code": "xh-xujiahui"}, "代码 xh-xujiahui 已被使用"),
    ({"services": ["seat", "sauna"]}, "未知的服务：sauna"),
])
def test_a_bad_station_is_refused_in_chinese_and_nothing_is_written(central_app, change, message):
    client = signed_in(central_app)
    before = audit_count(central_app)
    with central_app.app_context(), db.connection_context():
        stations = Station.select().count()
    response = post(client, "/admin/stations/new", **{**STATION_FORM, **change})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert audit_count(central_app) == before
    with central_app.app_context(), db.connection_context():
        assert Station.select().count() == stations
        assert OpeningInterval.select().join(Station).where(Station.code == "xh-tianlin").count() == 0


def test_errors_come_in_english_when_the_user_chose_english(central_app):
    client = signed_in(central_app)
    post(client, "/auth/language", lang="en")
    response = post(client, "/admin/stations/new", **{**STATION_FORM, "latitude": "48.8", "longitude": "2.3",
                                                       "hours_1": "9-5"})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The coordinates must be WGS84 degrees (latitude, longitude) within China." in text
    assert "The opening hours for Tuesday are not like 08:00-12:00, 14:00-20:00." in text


def test_changing_a_station_is_audited_before_and_after_and_its_code_stays(central_app):
    client = signed_in(central_app)
    form = {**STATION_FORM, "code": "ignored", "name_zh": "徐汇驿站（新）", "name_en": "Xujiahui (new)",
            "capacity": "24", "charger_slots": "6", "always_open": "yes"}
    assert post(client, "/admin/stations/xh-xujiahui", **form).status_code == 303
    with central_app.app_context(), db.connection_context():
        station = Station.get(Station.code == "xh-xujiahui")
        assert (station.name_zh, station.capacity, station.charger_slots, station.always_open) == (
            "徐汇驿站（新）", 24, 6, True)
        entry = AuditEntry.get(AuditEntry.action == "station.change")
        assert entry.details["before"]["capacity"] == 20 and entry.details["after"]["capacity"] == 24
        assert entry.details["before"]["name_zh"] == "徐家汇爱心驿站"
    refused = post(client, "/admin/stations/xh-xujiahui", **{**form, "capacity": "-3"})
    assert refused.status_code == 400
    with central_app.app_context(), db.connection_context():
        assert Station.get(Station.code == "xh-xujiahui").capacity == 24


def test_a_closed_station_leaves_the_dashboard_and_api_but_keeps_its_history(central_app):
    now = utcnow()
    with central_app.app_context(), db.connection_context():
        on_events([events.StationEvent("xh-longhua", events.new_event_id(), 1, now, events.CheckIn())])
    client = signed_in(central_app)
    assert 'data-station="xh-longhua"' in client.get("/").get_data(as_text=True)
    assert post(client, "/admin/stations/xh-longhua/close").status_code == 303
    api = client.get("/api/v1/stations", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}).get_json()
    assert "xh-longhua" not in [s["code"] for s in api["stations"]]
    assert "xh-xujiahui" in [s["code"] for s in api["stations"]]
    assert 'data-station="xh-longhua"' not in client.get("/").get_data(as_text=True)
    listing = client.get("/admin/stations").get_data(as_text=True)
    assert 'data-testid="reopen-xh-longhua"' in listing
    with central_app.app_context(), db.connection_context():
        assert CheckIn.select().where(CheckIn.station_code == "xh-longhua").count() == 1
        assert AuditEntry.get(AuditEntry.action == "station.close").details["after"]["closed_at"]
    assert post(client, "/admin/stations/xh-longhua/reopen").status_code == 303
    api = client.get("/api/v1/stations", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}).get_json()
    assert "xh-longhua" in [s["code"] for s in api["stations"]]
    assert 'data-station="xh-longhua"' in client.get("/").get_data(as_text=True)


def test_an_ingest_workers_known_codes_spare_the_lookup_and_an_unknown_code_is_asked_again(central_app,
                                                                                         monkeypatch):
    now = utcnow()
    known: set[str] = set()
    with central_app.app_context(), db.connection_context():
        assert UnknownStation.note([occupancy.Occupancy("xh-xujiahui", 1, 1, 0, now),
                                    occupancy.Occupancy("hw-later", 1, 1, 0, now)], now, known) == 1
        assert known == {"xh-xujiahui"}  # the known one remembered; the unknown one is not
        lookups = []
        real_select = Station.select
        monkeypatch.setattr(Station, "select", lambda *a: lookups.append(a) or real_select(*a))
        assert UnknownStation.note([occupancy.Occupancy("xh-xujiahui", 2, 2, 0, now)], now, known) == 0
        assert lookups == []  # every code of the batch known: no query at all
        assert UnknownStation.note([occupancy.Occupancy("hw-later", 2, 2, 0, now)], now, known) == 1
        assert len(lookups) == 1 and UnknownStation.get_by_id("hw-later").messages == 2


def test_an_unknown_station_is_shown_to_admins_and_created_with_what_it_sent(central_app):
    now = utcnow()
    sent = [occupancy.Occupancy("hw-newstation", 3, 9, 6, now),
            charger.ChargerSlotState("hw-newstation", 1, charger.SlotStatus.AVAILABLE, 0, 0, now),
            occupancy.Occupancy("hw-newstation", 4, 10, 6, now)]
    checkin = events.StationEvent("hw-newstation", events.new_event_id(), 1, now, events.CheckIn())
    with central_app.app_context(), db.connection_context():
        assert UnknownStation.note([*sent, checkin], now) == 1
        assert UnknownStation.note([occupancy.Occupancy("xh-xujiahui", 1, 1, 0, now)], now) == 0
        on_occupancy(sent[2])
        on_events([checkin])
    admin = signed_in(central_app)
    dashboard = admin.get("/").get_data(as_text=True)
    assert 'data-testid="unknown-stations"' in dashboard
    page = admin.get("/admin/stations").get_data(as_text=True)
    assert "未登记的驿站正在发送数据" in page and "hw-newstation" in page
    assert "occupancy × 2" in page and "charger × 1" in page and "events/checkin × 1" in page
    assert "4 条消息" in page
    manager = signed_in(central_app, "manager")
    assert 'data-testid="unknown-stations"' not in manager.get("/").get_data(as_text=True)

    form = admin.get("/admin/stations/new?code=hw-newstation").get_data(as_text=True)
    assert 'value="hw-newstation"' in form and "已发送 4 条消息" in form
    assert post(admin, "/admin/stations/new", **{**STATION_FORM, "code": "hw-newstation"}).status_code == 303
    with central_app.app_context(), db.connection_context():
        assert not UnknownStation.select().exists()
        assert AuditEntry.get(AuditEntry.action == "station.add",
                              AuditEntry.subject_id == "hw-newstation").details["was_unknown"] is True
        assert StationLive.get(StationLive.station_code == "hw-newstation").people_inside == 4
    api = admin.get("/api/v1/stations", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}).get_json()
    new = next(s for s in api["stations"] if s["code"] == "hw-newstation")
    assert new["people_inside"] == 4 and new["check_ins_today"] == 1
    assert "未登记的驿站正在发送数据" not in admin.get("/admin/stations").get_data(as_text=True)


def test_the_organisation_tree_and_a_centre_serving_another_district_routes_there(central_app):
    client = signed_in(central_app)
    assert post(client, "/admin/federations", code="wx", name_zh="无锡市总工会",
                name_en="Wuxi Federation").status_code == 303
    assert post(client, "/admin/districts", code="liangxi", federation="wx", name_zh="梁溪区总工会",
                name_en="Liangxi District").status_code == 303
    assert post(client, "/admin/districts", code="binhu", federation="wx", name_zh="滨湖区总工会",
                name_en="Binhu District").status_code == 303
    assert post(client, "/admin/centres", district="liangxi", name_zh="梁溪法援中心", name_en="Liangxi Legal Aid",
                serves=["binhu"]).status_code == 303
    page = client.get("/admin/organisation").get_data(as_text=True)
    assert "无锡市总工会" in page and "滨湖区总工会" in page and "同时服务" in page
    with central_app.app_context(), db.connection_context():
        centre = LegalAidCentre.get(LegalAidCentre.name_zh == "梁溪法援中心")
        binhu = District.get(District.code == "binhu")
        assert LegalAidCentre.for_district(binhu.id).id == centre.id
        entry = AuditEntry.get(AuditEntry.action == "centre.add", AuditEntry.subject_id == str(centre.id))
        assert entry.details["after"]["serves"] == ["binhu"]
        centres = LegalAidCentre.select().count()
    before = audit_count(central_app)
    refused = post(client, "/admin/centres", district="xuhui", name_zh="另一个中心", name_en="Another",
                   serves=["binhu"])
    assert refused.status_code == 400 and "区 binhu 已由另一个中心服务" in refused.get_data(as_text=True)
    for url, data, message in [
        ("/admin/districts", {"code": "binhu", "federation": "wx", "name_zh": "x", "name_en": "y"},
         "代码 binhu 已被使用"),
        ("/admin/districts", {"code": "xishan", "federation": "nope", "name_zh": "x", "name_en": "y"},
         "没有代码为“nope”的总工会"),
        ("/admin/federations", {"code": "", "name_zh": "x", "name_en": "y"}, "代码为 1–40 个小写字母"),
    ]:
        response = post(client, url, **data)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert audit_count(central_app) == before
    with central_app.app_context(), db.connection_context():
        assert LegalAidCentre.select().count() == centres and CentreDistrict.select().count() == 1
    rename = post(client, f"/admin/districts/{binhu.id}", code="binhu", federation="wx", name_zh="滨湖区",
                  name_en="Binhu")
    assert rename.status_code == 303
    with central_app.app_context(), db.connection_context():
        entry = AuditEntry.get(AuditEntry.action == "district.change")
        assert (entry.details["before"]["name_zh"], entry.details["after"]["name_zh"]) == ("滨湖区总工会", "滨湖区")


def test_staff_users_are_added_changed_disabled_and_reset_by_an_admin(central_app):
    admin = signed_in(central_app)
    weak = post(admin, "/admin/staff", username="zhou", display_name="周站长", role="manager", stations=["xh-xujiahui"],
                password="zhou123456", password_again="zhou123456")
    assert weak.status_code == 400 and "密码不能包含用户名" in weak.get_data(as_text=True)
    for password, message in [("short", "密码太短"), ("1234567890", "这个密码太常见"),
                              ("Hx7-plover-basin", "两次输入的密码不一致")]:
        response = post(admin, "/admin/staff", username="zhou", role="manager", stations=["xh-xujiahui"],
                        password=password, password_again=password if "不一致" not in message else "other")
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    no_scope = post(admin, "/admin/staff", username="zhou", role="manager", password="Hx7-plover-basin",
                    password_again="Hx7-plover-basin")
    assert no_scope.status_code == 400 and "驿站管理员至少要管理一个驿站" in no_scope.get_data(as_text=True)
    with central_app.app_context(), db.connection_context():
        assert not StaffUser.select().where(StaffUser.username == "zhou").exists()
    assert post(admin, "/admin/staff", username="zhou", display_name="周站长", role="manager",
                stations=["xh-xujiahui"], password="Hx7-plover-basin",
                password_again="Hx7-plover-basin").status_code == 303

    zhou = signed_in(central_app, "zhou", "Hx7-plover-basin")
    assert zhou.get("/").status_code == 200
    codes = [s["code"] for s in zhou.get("/api/v1/stations").get_json()["stations"]]
    assert codes == ["xh-xujiahui"]

    assert post(admin, "/admin/staff/zhou", display_name="周站长", role="manager",
                stations=["xh-xujiahui", "xh-longhua"]).status_code == 303
    assert sorted(s["code"] for s in zhou.get("/api/v1/stations").get_json()["stations"]) == [
        "xh-longhua", "xh-xujiahui"]
    with central_app.app_context(), db.connection_context():
        entry = AuditEntry.get(AuditEntry.action == "staff.change")
        assert entry.details["before"]["stations"] == ["xh-xujiahui"]
        assert entry.details["after"]["stations"] == ["xh-longhua", "xh-xujiahui"]

    assert post(admin, "/admin/staff/zhou/active", active="no").status_code == 303
    assert zhou.get("/").status_code == 302  # the open session is refused at once
    assert post(admin, "/admin/staff/zhou/active", active="yes").status_code == 303
    assert post(admin, "/admin/staff/zhou/password", password="Qm4-harbour-lantern",
                password_again="Qm4-harbour-lantern").status_code == 303
    signed_in(central_app, "zhou", "Qm4-harbour-lantern")
    with central_app.app_context(), db.connection_context():
        actions = [e.action for e in AuditEntry.select().where(AuditEntry.subject_kind == "staff_user")
                   .order_by(AuditEntry.id)]
        assert actions[-5:] == ["staff.add", "staff.change", "staff.disable", "staff.enable", "staff.password"]
        assert "Qm4" not in "".join(json.dumps(e.details, ensure_ascii=False) for e in AuditEntry.select())

    own = post(admin, "/admin/staff/admin/active", active="no")
    assert own.status_code == 400 and "不能停用自己的账号" in own.get_data(as_text=True)


def test_an_api_token_is_shown_once_stored_as_a_hash_and_refused_once_revoked(central_app):
    admin = signed_in(central_app)
    response = post(admin, "/admin/tokens", name="dashboard-wall", role="federation", federation="sh")
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    text = response.get_data(as_text=True)
    token = text.split('data-testid="token">')[1].split("<")[0]
    assert token.startswith("wst_") and "只显示这一次" in text
    assert token not in admin.get("/admin/tokens").get_data(as_text=True)
    with central_app.app_context(), db.connection_context():
        row = ApiToken.get(ApiToken.name == "dashboard-wall")
        assert token not in row.token_hash and len(row.token_hash) == 64
        assert row.last_used_at is None
        assert token not in "".join(json.dumps(e.details, ensure_ascii=False) for e in AuditEntry.select())
    program = central_app.test_client()
    answer = program.get("/api/v1/stations", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and len(answer.get_json()["stations"]) == 3
    with central_app.app_context(), db.connection_context():
        assert ApiToken.get(ApiToken.name == "dashboard-wall").last_used_at is not None
    assert "从未使用" not in admin.get("/admin/tokens").get_data(as_text=True).split("dashboard-wall")[1][:400]
    # a token account never signs in with a password
    assert program.post("/auth/login", data={"username": "dashboard-wall", "password": "",
                                             "csrf_token": "x"}).status_code == 400

    assert post(admin, "/admin/tokens/dashboard-wall/revoke").status_code == 303
    assert program.get("/api/v1/stations", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    again = post(admin, "/admin/tokens/dashboard-wall/revoke")
    assert again.status_code == 400 and "没有名为 dashboard-wall 的有效 API 令牌" in again.get_data(as_text=True)
    bad = post(admin, "/admin/tokens", name="x y", role="federation")
    assert bad.status_code == 400 and "用户名为 2–40 个" in bad.get_data(as_text=True)
    with central_app.app_context(), db.connection_context():
        assert [e.action for e in AuditEntry.select().where(AuditEntry.subject_kind == "api_token")
                .order_by(AuditEntry.id)][-2:] == ["token.add", "token.revoke"]


def test_a_central_database_before_administration_upgrades_in_place(central_db_url):
    from station_admin import migrations
    from station_admin.core import models as central_models
    from waystation.db import migrate, open_database

    central = open_database(central_db_url)
    central_models.db.initialize(central)
    before = [m for m in migrations.MIGRATIONS if m[0] < 12]
    migrate(central, before)
    with central.connection_context():
        assert "closed_at" not in {c.name for c in central.get_columns("station")}
        assert "session_epoch" not in {c.name for c in central.get_columns("staffuser")}
        assert not central.table_exists("unknown_station") and not central.table_exists("centre_district")
    assert migrate(central, migrations.MIGRATIONS) == [n for n, *_ in migrations.MIGRATIONS if n >= 12]
    with central.connection_context():
        assert {"closed_at"} <= {c.name for c in central.get_columns("station")}
        assert {"session_epoch"} <= {c.name for c in central.get_columns("staffuser")}
        assert {"last_used_at", "revoked_at"} <= {c.name for c in central.get_columns("apitoken")}
        assert central.table_exists("unknown_station") and central.table_exists("centre_district")
        now = utcnow()
        central.execute_sql("INSERT INTO staffuser (username, display_name, password_hash, role, active) "
                            "VALUES ('old', 'Old', 'x', 'admin', true)")
        assert StaffUser.get(StaffUser.username == "old").session_epoch == 0
        central.execute_sql("INSERT INTO federation (code, name_zh, name_en, members_need_approval) "
                            "VALUES ('sh', '上海', 'Shanghai', false)")
        assert UnknownStation.note([occupancy.Occupancy("hw-x", 1, 1, 0, now)], now) == 1
    central.close()


def test_a_batch_from_hundreds_of_unknown_stations_is_noted_in_a_few_statements(central_app, monkeypatch):
    """A misconfigured fleet (here 1,200 codes, past one statement's 500) is counted code by code and
    family by family, in statements per 500 codes, not one per code: it must not slow the batch down."""
    now = utcnow()
    codes = [f"hw-fleet-{i:04d}" for i in range(1200)]
    batch = [m for code in codes for m in (occupancy.Occupancy(code, 1, 1, 0, now),
                                           charger.ChargerSlotState(code, 1, charger.SlotStatus.AVAILABLE, 0, 0,
                                                                    now))]
    with central_app.app_context(), db.connection_context():
        assert UnknownStation.note(batch, now) == 1200
        statements = []
        real_execute = db.obj.execute_sql  # (db is a proxy: its database is patched)
        monkeypatch.setattr(db.obj, "execute_sql", lambda sql, *a, **k: statements.append(sql) or real_execute(sql, *a,
                                                                                                               **k))
        with db.atomic():
            assert UnknownStation.note(batch[::2], now) == 1200  # the occupancy messages again
        assert len(statements) < 20
        rows = {row.station_code: row for row in UnknownStation.select()}
        assert set(rows) == set(codes)
        assert all(row.messages == 3 and row.family_counts == {"occupancy": 2, "charger": 1} for row in rows.values())


def test_two_ingest_workers_noting_one_unknown_station_lose_no_count(central_app):
    """Two `$share` workers note the same unknown code at once: every message is counted, per family too."""
    import threading

    import peewee

    now = utcnow()
    rounds, start = 40, threading.Barrier(2)

    def worker(family_message):
        start.wait()
        with central_app.app_context():
            for _ in range(rounds):
                while True:  # a batch that meets SQLite's write lock is retried whole, as the ingest worker does
                    try:
                        with db.connection_context(), db.atomic():
                            UnknownStation.note([family_message, family_message], now)
                        break
                    except peewee.OperationalError:
                        continue

    sent = [occupancy.Occupancy("hw-twice", 1, 1, 0, now),
            charger.ChargerSlotState("hw-twice", 1, charger.SlotStatus.AVAILABLE, 0, 0, now)]
    threads = [threading.Thread(target=worker, args=(m,)) for m in sent]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with central_app.app_context(), db.connection_context():
        row = UnknownStation.get_by_id("hw-twice")
        assert row.messages == 4 * rounds
        assert row.family_counts == {"occupancy": 2 * rounds, "charger": 2 * rounds}


def test_sign_out_everywhere_ends_every_open_session_at_once(central_app):
    phone, desk = signed_in(central_app, "manager"), signed_in(central_app, "manager")
    assert phone.get("/").status_code == 200 and desk.get("/").status_code == 200
    admin = signed_in(central_app)
    assert post(admin, "/admin/staff/manager/sign-out").status_code == 303
    assert phone.get("/").status_code == 302 and desk.get("/").status_code == 302
    assert admin.get("/").status_code == 200
    again = signed_in(central_app, "manager")  # signing in again works, with the new epoch
    assert again.get("/").status_code == 200
    with central_app.app_context(), db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "staff.sign_out").count() == 1
