"""The working-day calendar: deadlines across the 2026 holidays, years without a calendar, imports."""

from __future__ import annotations

import io
from datetime import date

import pytest

from station_admin.core.audit import AuditEntry
from station_admin.core.models import db
from station_admin.requests.workdays import (
    CalendarError,
    WorkdayCalendar,
    WorkdayException,
    WorkdayYear,
    parse_calendar,
)
from tests.conftest import csrf_of
from tests.station_admin.conftest import login
from tests.station_admin.requests_helpers import SHANGHAI, file, local
from waystation.paths import CONFIG_DIR

# (filed, Shanghai wall clock) -> the last day of the first-contact deadline for 2 working days
DEADLINES_2026 = [
    (local(2026, 2, 13, 9, 0), date(2026, 2, 24)),     # Friday before Spring Festival; Sat 02-14 is a make-up day
    (local(2026, 2, 13, 23, 59), date(2026, 2, 24)),   # any time of the day counts the same
    (local(2026, 2, 14, 10, 0), date(2026, 2, 25)),    # the make-up Saturday, eve of the holiday block
    (local(2026, 2, 15, 10, 0), date(2026, 2, 26)),    # first day of the block: counts from Tue 02-24
    (local(2026, 2, 23, 18, 0), date(2026, 2, 26)),    # last day of the block
    (local(2026, 2, 27, 10, 0), date(2026, 3, 2)),     # Fri; Sat 02-28 is a make-up day
    (local(2026, 9, 20, 10, 0), date(2026, 9, 22)),    # make-up Sunday before National Day
    (local(2026, 9, 24, 10, 0), date(2026, 9, 29)),    # Thu before Mid-Autumn (09-25..27 off)
    (local(2026, 9, 30, 16, 0), date(2026, 10, 9)),    # eve of National Day (10-01..07 off)
    (local(2026, 10, 1, 0, 0), date(2026, 10, 10)),    # inside the block: counts from Thu 10-08; Sat 10-10 works
    (local(2026, 10, 9, 10, 0), date(2026, 10, 12)),   # Fri; Sat 10-10 is a make-up day
    (local(2026, 10, 10, 10, 0), date(2026, 10, 13)),  # the make-up Saturday itself
    (local(2026, 3, 6, 0, 30), date(2026, 3, 10)),     # an ordinary Friday
    (local(2026, 3, 5, 23, 59), date(2026, 3, 9)),     # Thursday night: Friday and Monday
]


def test_deadlines_across_the_2026_holidays(central_app):
    with central_app.app_context(), db.connection_context():
        calendar = WorkdayCalendar.load()
    assert calendar.known_years == {2026}
    for filed, due_day in DEADLINES_2026:
        deadline = calendar.add_working_days(filed, 2)
        due = deadline.due_at.astimezone(SHANGHAI)
        assert (due.date(), due.hour, due.minute, due.second, due.microsecond) == (due_day, 23, 59, 59, 999000), filed
        assert not deadline.estimated


def test_filed_requests_get_their_deadline_from_the_database(central_app):
    req = file(central_app, at=local(2026, 2, 14, 10, 0))
    assert req.due_at.astimezone(SHANGHAI).date() == date(2026, 2, 25) and not req.due_estimated
    hardship = file(central_app, service="hardship_aid", at=local(2026, 9, 30, 10, 0))  # 3 working days
    assert hardship.due_at.astimezone(SHANGHAI).date() == date(2026, 10, 10)


def test_a_year_without_a_calendar_counts_weekends_only_and_says_so(central_app):
    with central_app.app_context(), db.connection_context():
        calendar = WorkdayCalendar.load()
    # 2027-02-05 is a Friday; with no 2027 calendar its Spring Festival is unknown: weekends only
    deadline = calendar.add_working_days(local(2027, 2, 5, 10, 0), 2)
    assert deadline.due_at.astimezone(SHANGHAI).date() == date(2027, 2, 9) and deadline.estimated
    # a deadline that runs from 2026 into 2027 is an estimate too
    across = calendar.add_working_days(local(2026, 12, 31, 10, 0), 2)
    assert across.due_at.astimezone(SHANGHAI).date() == date(2027, 1, 4) and across.estimated
    req = file(central_app, at=local(2027, 2, 5, 10, 0))
    assert req.due_estimated


def test_the_shipped_file_is_the_official_arrangement():
    parsed = parse_calendar((CONFIG_DIR / "calendars" / "cn-workdays-2026.toml").read_bytes())
    assert parsed.year == 2026 and len(parsed.days_off) == 33
    assert sorted(parsed.make_up_workdays) == [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28),
                                               date(2026, 5, 9), date(2026, 9, 20), date(2026, 10, 10)]


GOOD_2027 = b'''year = 2027
[[holidays]]
name = "Spring Festival"
days_off = ["2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09", "2027-02-10", "2027-02-11", "2027-02-12"]
make_up_workdays = ["2027-01-31"]
'''

BAD_FILES = [
    (b"year = 2027\n[[holidays]\nname = 'x'", "TOML"),
    (b"year = '2027'\n[[holidays]]\nname = 'x'\ndays_off = ['2027-01-01']", "year"),
    (b"year = 1999\n[[holidays]]\nname = 'x'\ndays_off = ['1999-01-01']", "year"),
    (b"year = 2027\n[[holidays]]\nname = 'x'\ndays_off = ['2026-12-31']", "outside the year 2027"),
    (b"year = 2027\n[[holidays]]\nname = 'x'\ndays_off = ['2027-02-30']", "not a date"),
    (b"year = 2027\n[[holidays]]\nname = 'x'\ndays_off = []\nmake_up_workdays = ['2027-02-03']", "not a weekend"),
    (b"year = 2027\n[[holidays]]\nname = 'x'\ndays_off = ['2027-01-30']\nmake_up_workdays = ['2027-01-30']",
     "listed twice"),
    (b"year = 2027\n[[holidays]]\nname = 'x'\ndays_off = ['2027-01-01']\nbonus = 1", "unknown key"),
    (b"year = 2027", "holidays"),
    (b"\xff\xfe", "TOML"),
]


@pytest.mark.parametrize("data, reason", BAD_FILES)
def test_bad_calendar_files_are_refused_with_the_reason(data, reason):
    with pytest.raises(CalendarError, match=reason):
        parse_calendar(data)


def upload(client, data: bytes, name: str = "cn-workdays-2027.toml"):
    client.get("/calendar/")
    return client.post("/calendar/", data={"csrf_token": csrf_of(client), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def calendar_state():
    with db.connection_context():
        return ([(y.year, y.source_name) for y in WorkdayYear.select().order_by(WorkdayYear.year)],
                sorted((e.day, e.working) for e in WorkdayException.select()))


def test_staff_import_next_year_and_it_is_audited(central_app):
    client = central_app.test_client()
    login(client, "federation", "federation-demo")
    response = upload(client, GOOD_2027)
    assert response.status_code == 200 and "已导入 2027 年日历" in response.get_data(as_text=True)
    with db.connection_context():
        year = WorkdayYear.get(WorkdayYear.year == 2027)
        assert (year.imported_by_name, year.source_name, year.days.count()) == (
            "federation", "cn-workdays-2027.toml", 8)
        entry = AuditEntry.get(AuditEntry.action == "calendar.import")
        assert (entry.actor_name, entry.subject_id) == ("federation", "2027")
        assert WorkdayCalendar.load().add_working_days(local(2027, 2, 5, 10), 2).due_at.astimezone(
            SHANGHAI).date() == date(2027, 2, 16)
    page = client.get("/calendar/").get_data(as_text=True)
    assert 'data-year="2027"' in page and 'data-year="2026"' in page


@pytest.mark.parametrize("data, reason", BAD_FILES[:7])
def test_a_bad_upload_changes_nothing(central_app, data, reason):
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    before = calendar_state()
    response = upload(client, data)
    assert response.status_code == 400 and "日历文件有误，未导入" in response.get_data(as_text=True)
    assert calendar_state() == before
    with db.connection_context():
        assert not AuditEntry.select().where(AuditEntry.action == "calendar.import").exists()


def test_upload_without_a_file_and_by_the_wrong_roles(central_app):
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    client.get("/calendar/")
    empty = client.post("/calendar/", data={"csrf_token": csrf_of(client)})
    assert empty.status_code == 400 and "请选择要导入的文件" in empty.get_data(as_text=True)
    for username in ("manager", "caseworker"):
        client = central_app.test_client()
        login(client, username, f"{username}-demo")
        assert client.get("/calendar/").status_code == 403
        client.get("/requests/stations" if username == "manager" else "/requests/")
        assert upload(client, GOOD_2027).status_code == 403
    assert calendar_state()[0] == [(2026, "cn-workdays-2026.toml")]
