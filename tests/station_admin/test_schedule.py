"""Station events: weekly recurrence across weeks, the staff form's checks and peak-hour warning with
quieter suggestions, and kiosks receiving the week's events over MQTT and keeping them offline."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from station_admin.community.agenda import ScheduledEvent, covered_hours, parse_hhmm
from tests.conftest import csrf_of, wait_until

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 18)  # a Wednesday


def test_weekly_recurrence_across_weeks_and_its_date_range():
    clinic = ScheduledEvent(first_date=date(2026, 11, 20), last_date=date(2026, 12, 11), weekly=True)  # Fridays
    assert clinic.dates(date(2026, 11, 1), date(2026, 12, 31)) == [
        date(2026, 11, 20), date(2026, 11, 27), date(2026, 12, 4), date(2026, 12, 11)]
    assert clinic.dates(date(2026, 11, 21), date(2026, 11, 28)) == [date(2026, 11, 27)]
    assert clinic.dates(date(2026, 11, 28), date(2026, 12, 3)) == []
    assert clinic.dates(date(2026, 12, 12), date(2027, 1, 31)) == []
    once = ScheduledEvent(first_date=date(2026, 11, 25), last_date=date(2026, 11, 25), weekly=False)
    assert once.dates(TODAY, TODAY + timedelta(days=7)) == [date(2026, 11, 25)]
    assert once.dates(TODAY, TODAY + timedelta(days=6)) == []


def test_covered_hours():
    assert covered_hours(parse_hhmm("19:00"), parse_hhmm("21:00")) == [19, 20]
    assert covered_hours(parse_hhmm("11:30"), parse_hhmm("13:15")) == [11, 12, 13]
    assert parse_hhmm("24:00") is None and parse_hhmm("7:00") is None and parse_hhmm("ab:cd") is None


def signed_in(app, username="manager", password="manager-demo"):
    client = app.test_client()
    client.get("/auth/login")
    client.post("/auth/login", data={"username": username, "password": password, "csrf_token": csrf_of(client)})
    client.get("/schedule/new")
    return client


FORM = {"title_zh": "法律夜诊", "title_en": "Legal night clinic", "kind": "legal_clinic", "stations": ["xh-xujiahui"],
        "date": "2026-11-20", "weekly": "yes", "until": "2027-01-29", "starts": "19:00", "ends": "21:00"}


@pytest.fixture
def today(clock):
    clock(datetime(2026, 11, 18, 2, 0, tzinfo=UTC), tick=False)


@pytest.mark.parametrize(("changes", "message"), [
    ({"title_zh": ""}, "请填写中文和英文活动名称"),
    ({"title_en": "x" * 61}, "请填写中文和英文活动名称"),
    ({"kind": "party"}, "请选择活动类型"),
    ({"stations": []}, "请至少选择一个您管理的驿站"),
    ({"stations": ["xh-longhua"]}, "请至少选择一个您管理的驿站"),  # not the manager's station
    ({"date": "2026-13-01"}, "请填写正确的日期"),
    ({"date": "2026-11-17"}, "活动日期不能早于今天"),
    ({"until": "2026-11-01"}, "重复截止日期必须不早于"),
    ({"until": "2028-01-01"}, "重复截止日期必须不早于"),
    ({"starts": "25:00"}, "请填写正确的开始和结束时间"),
    ({"ends": "18:00"}, "结束时间必须晚于开始时间"),
])
def test_bad_event_forms_are_refused_and_change_nothing(central_app, today, changes, message):
    from station_admin.core.models import db

    client = signed_in(central_app)
    response = client.post("/schedule/new", data={**FORM, **changes, "csrf_token": csrf_of(client)})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with db.connection_context():
        assert ScheduledEvent.select().count() == 0


def seed_peak(codes, weekday: int, hour: int, per_hour: int = 30):
    """Check-ins in the rollup at `hour` local on `weekday` of each of the last four weeks, and a few elsewhere."""
    from station_admin.core.models import db
    from station_admin.rollups.hourly import add_counts, hour_number

    counts = Counter()
    for code in codes:
        for week in range(1, 5):
            day = TODAY - timedelta(days=(TODAY.weekday() - weekday) % 7 or 7) - timedelta(weeks=week - 1)
            for h in range(8, 22):
                moment = datetime(day.year, day.month, day.day, h, tzinfo=SHANGHAI).astimezone(UTC)
                counts[(code, hour_number(moment))] += per_hour if h == hour else (1 if h < 12 else 3)
    with db.connection_context(), db.atomic():
        add_counts("checkin", counts)


def test_peak_hours_warn_and_suggest_quieter_slots_then_save_on_confirmation(central_app, today):
    from station_admin.core.models import db

    seed_peak(["xh-xujiahui"], weekday=4, hour=19)  # Friday 19:00 is this station's peak
    client = signed_in(central_app)
    response = client.post("/schedule/new", data={**FORM, "csrf_token": csrf_of(client)})
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and 'data-testid="peak-warning"' in page and "周五 19:00 时段" in page
    assert 'data-slot="4-08:00"' in page  # the quiet morning hours are suggested
    with db.connection_context():
        assert ScheduledEvent.select().count() == 0
    # A quieter slot saves at once; the peak slot saves when the manager confirms.
    ok = client.post("/schedule/new", data={**FORM, "starts": "09:00", "ends": "11:00", "csrf_token": csrf_of(client)})
    assert ok.status_code == 303
    ok = client.post("/schedule/new", data={**FORM, "peak_ok": "yes", "csrf_token": csrf_of(client)})
    assert ok.status_code == 303
    with db.connection_context():
        assert ScheduledEvent.select().count() == 2
    assert "法律夜诊" in client.get("/schedule/").get_data(as_text=True)


def test_kiosk_receives_the_weeks_events_and_keeps_them_offline(shared_mosquitto, running, central_settings,
                                                                kiosk_settings):
    from kiosk.models import ScheduleItem
    from station_admin import create_app
    from station_admin.community.agenda import create_event
    from station_admin.core import models
    from station_admin.core.models import Station, db
    from station_admin.node.central import CentralNode
    from tests.conftest import kiosk_for, start_node

    settings = central_settings(shared_mosquitto.url, template="demo", community={"publish_seconds": 0.5})
    create_app(settings.as_dict())
    today = datetime.now(SHANGHAI).date()
    with db.connection_context():
        station = Station.get(code="xh-xujiahui")
        create_event(None, [station], datetime.now(UTC), title_zh="法律夜诊", title_en="Legal night clinic",
                     kind="legal_clinic", first_date=today, last_date=today + timedelta(days=60), weekly=True,
                     starts="23:58", ends="23:59")
        create_event(None, [station], datetime.now(UTC), title_zh="健康体检日", title_en="Health check day",
                     kind="health_check", first_date=today + timedelta(days=3), last_date=today + timedelta(days=3),
                     weekly=False, starts="09:00", ends="12:00")
    running.start(CentralNode(settings))
    kiosk, kiosk_conf = kiosk_for("xh-xujiahui", kiosk_settings, shared_mosquitto.url)
    node = start_node(running, kiosk, kiosk_conf)

    def items():
        with kiosk.app_context():
            return [(i.title_zh, i.starts) for i in ScheduleItem.select().order_by(ScheduleItem.starts)]
    found = wait_until(lambda: len(items()) == 3 and items(), timeout=15, message="the week's events at the kiosk")
    assert [title for title, _ in found] == ["法律夜诊", "健康体检日", "法律夜诊"]  # today, in 3 days, in 7 days
    node.stop()
    # Offline, and even restarted with no network, the kiosk still shows them.
    kiosk, _ = kiosk_for("xh-xujiahui", kiosk_settings, "mqtt://127.0.0.1:1")
    home = kiosk.test_client().get("/").get_data(as_text=True)
    assert 'data-testid="agenda"' in home and "法律夜诊" in home and "健康体检日" in home
    models.db.close()
