"""The working-day calendar: deadlines across the 2026 holidays, years without a calendar, imports."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from lunar_python import Lunar

from devices.protocol import events
from station_admin.core.audit import AuditEntry
from station_admin.core.models import db
from station_admin.node.ingest import on_events
from station_admin.requests.casework import Intake
from station_admin.requests.holidays import statutory_holidays
from station_admin.requests.models import ServiceRequest
from station_admin.requests.workdays import (
    COUNTINGS,
    CalendarError,
    WorkdayCalendar,
    WorkdayException,
    WorkdayYear,
    parse_calendar,
)
from tests.conftest import csrf_of
from tests.station_admin.conftest import login
from tests.station_admin.requests_helpers import SHANGHAI, body, file, local
from waystation.paths import CONFIG_DIR
from waystation.settings import ConfigError, load_settings

# (filed, Shanghai wall clock) -> the last day of the first-contact deadline for 2 working days, by reading:
# "civil_code" (the filing day never counts) and "next_working_day" (a rest-day filing counts from the
# next working day). They differ only for filings on a rest day or holiday.
DEADLINES_2026 = [
    (local(2026, 2, 13, 9, 0), date(2026, 2, 24), date(2026, 2, 24)),     # Fri before Spring Festival; Sat 02-14 works
    (local(2026, 2, 13, 23, 59), date(2026, 2, 24), date(2026, 2, 24)),   # any time of the day counts the same
    (local(2026, 2, 14, 10, 0), date(2026, 2, 25), date(2026, 2, 25)),    # the make-up Saturday, eve of the block
    (local(2026, 2, 14, 23, 59), date(2026, 2, 25), date(2026, 2, 25)),   # its last minute
    (local(2026, 2, 15, 0, 0), date(2026, 2, 25), date(2026, 2, 26)),     # first minute of the block
    (local(2026, 2, 15, 10, 0), date(2026, 2, 25), date(2026, 2, 26)),    # first day of the block
    (local(2026, 2, 23, 18, 0), date(2026, 2, 25), date(2026, 2, 26)),    # last day of the block
    (local(2026, 2, 23, 23, 59), date(2026, 2, 25), date(2026, 2, 26)),
    (local(2026, 2, 24, 0, 0), date(2026, 2, 26), date(2026, 2, 26)),     # first working day after it
    (local(2026, 2, 27, 10, 0), date(2026, 3, 2), date(2026, 3, 2)),      # Fri; Sat 02-28 is a make-up day
    (local(2026, 9, 19, 10, 0), date(2026, 9, 21), date(2026, 9, 22)),    # Sat; make-up Sun 09-20 is day 1
    (local(2026, 9, 19, 23, 59), date(2026, 9, 21), date(2026, 9, 22)),
    (local(2026, 9, 20, 0, 0), date(2026, 9, 22), date(2026, 9, 22)),     # the make-up Sunday itself
    (local(2026, 9, 20, 10, 0), date(2026, 9, 22), date(2026, 9, 22)),
    (local(2026, 9, 24, 10, 0), date(2026, 9, 29), date(2026, 9, 29)),    # Thu before Mid-Autumn (09-25..27 off)
    (local(2026, 9, 30, 16, 0), date(2026, 10, 9), date(2026, 10, 9)),    # eve of National Day (10-01..07 off)
    (local(2026, 9, 30, 23, 59), date(2026, 10, 9), date(2026, 10, 9)),
    (local(2026, 10, 1, 0, 0), date(2026, 10, 9), date(2026, 10, 10)),    # inside the block; Sat 10-10 works
    (local(2026, 10, 1, 10, 0), date(2026, 10, 9), date(2026, 10, 10)),   # Thu 10-01: 10-08 (1), 10-09 (2)
    (local(2026, 10, 7, 23, 59), date(2026, 10, 9), date(2026, 10, 10)),  # last minute of the block
    (local(2026, 10, 8, 0, 0), date(2026, 10, 10), date(2026, 10, 10)),   # one minute later: a working day
    (local(2026, 10, 9, 10, 0), date(2026, 10, 12), date(2026, 10, 12)),  # Fri; Sat 10-10 is a make-up day
    (local(2026, 10, 10, 10, 0), date(2026, 10, 13), date(2026, 10, 13)),  # the make-up Saturday itself
    (local(2026, 10, 11, 10, 0), date(2026, 10, 13), date(2026, 10, 14)),  # an ordinary Sunday
    (local(2026, 3, 6, 0, 30), date(2026, 3, 10), date(2026, 3, 10)),     # an ordinary Friday
    (local(2026, 3, 5, 23, 59), date(2026, 3, 9), date(2026, 3, 9)),      # Thursday night: Friday and Monday
]


def due_day(deadline) -> date:
    """The local day a deadline ends, checking it ends at the very end of that day."""
    due = deadline.due_at.astimezone(SHANGHAI)
    assert (due.hour, due.minute, due.second, due.microsecond) == (23, 59, 59, 999000)
    return due.date()


@pytest.mark.parametrize("counting", COUNTINGS)
def test_deadlines_across_the_2026_holidays(central_app, counting):
    with central_app.app_context(), db.connection_context():
        calendar = WorkdayCalendar.load()
    assert calendar.known_years == {2026}
    for filed, civil_code, next_working_day in DEADLINES_2026:
        expected = civil_code if counting == "civil_code" else next_working_day
        deadline = calendar.add_working_days(filed, 2, counting=counting)
        assert (due_day(deadline), deadline.estimated) == (expected, False), filed
        # the same moment given in UTC, as the database stores it, counts the same local day
        assert calendar.add_working_days(filed.astimezone(UTC), 2, counting=counting) == deadline


def test_the_civil_code_is_the_default_reading():
    assert COUNTINGS[0] == "civil_code" == load_settings(env={}).requests.deadline_counting
    assert WorkdayCalendar(set(), set(), set()).add_working_days(local(2027, 3, 6, 10), 1).due_at == \
        local(2027, 3, 8, 23, 59, 59, 999000)  # a Saturday, no calendar at all: Monday is day 1


def test_filed_requests_get_their_deadline_from_the_database(central_app):
    req = file(central_app, at=local(2026, 2, 14, 10, 0))
    assert req.due_at.astimezone(SHANGHAI).date() == date(2026, 2, 25) and not req.due_estimated
    hardship = file(central_app, service="hardship_aid", at=local(2026, 9, 30, 10, 0))  # 3 working days
    assert hardship.due_at.astimezone(SHANGHAI).date() == date(2026, 10, 10)


# the filing moments of the brief, as the kiosk sends them (UTC on the wire), around holidays
FILED_UTC = [
    (datetime(2026, 9, 19, 2, 0, tzinfo=UTC), date(2026, 9, 21), date(2026, 9, 22)),     # Sat 10:00
    (datetime(2026, 9, 30, 15, 59, tzinfo=UTC), date(2026, 10, 9), date(2026, 10, 9)),   # Wed 09-30 23:59
    (datetime(2026, 9, 30, 16, 0, tzinfo=UTC), date(2026, 10, 9), date(2026, 10, 10)),   # Thu 10-01 00:00
    (datetime(2026, 2, 13, 15, 59, tzinfo=UTC), date(2026, 2, 24), date(2026, 2, 24)),   # Fri 02-13 23:59
    (datetime(2026, 2, 14, 16, 0, tzinfo=UTC), date(2026, 2, 25), date(2026, 2, 26)),    # Sun 02-15 00:00
    (datetime(2027, 2, 4, 15, 59, tzinfo=UTC), date(2027, 2, 10), date(2027, 2, 10)),    # Thu 23:59, no calendar
    (datetime(2027, 2, 4, 16, 0, tzinfo=UTC), date(2027, 2, 10), date(2027, 2, 11)),     # Fri 00:00, SF eve
]


@pytest.mark.parametrize("counting", COUNTINGS)
def test_ingest_files_utc_times_by_the_local_day_and_the_reading(central_app, counting):
    intake = Intake(central_app.extensions["waystation.services"], central_app.extensions["waystation.protector"],
                    "Asia/Shanghai", counting)
    for at, civil_code, next_working_day in FILED_UTC:
        b = body(central_app)
        event = events.StationEvent("xh-longhua", events.new_event_id(), 1, at, b)
        with central_app.app_context(), db.connection_context(), db.atomic():
            on_events([event], intake)
        with db.connection_context():
            req = ServiceRequest.get(ServiceRequest.event_id == event.event_id)
        assert req.filed_at == at
        expected = civil_code if counting == "civil_code" else next_working_day
        assert (req.due_at.astimezone(SHANGHAI).date(), req.due_estimated) == (expected, at.year == 2027), at


KNOWN_HOLIDAYS = {  # the statutory days, from the published lunar calendar
    2027: {"元旦": ["2027-01-01"], "春节": ["2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08"],
           "清明": ["2027-04-05"], "劳动": ["2027-05-01", "2027-05-02"], "端午": ["2027-06-09"],
           "中秋": ["2027-09-15"], "国庆": ["2027-10-01", "2027-10-02", "2027-10-03"]},
    2028: {"元旦": ["2028-01-01"], "春节": ["2028-01-25", "2028-01-26", "2028-01-27", "2028-01-28"],
           "清明": ["2028-04-04"], "劳动": ["2028-05-01", "2028-05-02"], "端午": ["2028-05-28"],
           "国庆": ["2028-10-01", "2028-10-02", "2028-10-03"]},  # Mid-Autumn is 10-03, inside National Day
}


@pytest.mark.parametrize("year", sorted(KNOWN_HOLIDAYS))
def test_statutory_holidays_of_years_without_a_calendar(year):
    found = statutory_holidays(year)
    by_name = {}
    for day, name in sorted(found.items()):
        by_name.setdefault(name.split()[0][:2], []).append(day.isoformat())
    assert by_name == KNOWN_HOLIDAYS[year]
    assert len(found) == (13 if year == 2027 else 12)


def test_mid_autumn_of_2028_is_national_day_3_and_2026_days_are_official_days_off():
    assert Lunar.fromYmd(2028, 8, 15).getSolar().toYmd() == "2028-10-03"
    assert statutory_holidays(2028)[date(2028, 10, 3)] == "国庆节 National Day"
    # every estimated statutory day of 2026 is a day off in the State Council's 2026 arrangement
    official = parse_calendar((CONFIG_DIR / "calendars" / "cn-workdays-2026.toml").read_bytes()).days_off
    assert set(statutory_holidays(2026)) <= set(official) and len(statutory_holidays(2026)) == 13


# (filed local, civil_code, next_working_day) in years with no calendar: statutory holidays, no make-up days
ESTIMATED = [
    (local(2027, 2, 4, 23, 59), date(2027, 2, 10), date(2027, 2, 10)),   # Thu; SF eve 02-05 to 02-08 off
    (local(2027, 2, 5, 0, 0), date(2027, 2, 10), date(2027, 2, 11)),     # SF eve (a Friday)
    (local(2027, 2, 5, 10, 0), date(2027, 2, 10), date(2027, 2, 11)),
    (local(2027, 4, 2, 10, 0), date(2027, 4, 7), date(2027, 4, 7)),      # Fri; Qingming Mon 04-05
    (local(2027, 6, 8, 23, 59), date(2027, 6, 11), date(2027, 6, 11)),   # Tue; Dragon Boat Wed 06-09
    (local(2027, 6, 9, 0, 0), date(2027, 6, 11), date(2027, 6, 14)),     # Dragon Boat itself
    (local(2027, 9, 14, 23, 59), date(2027, 9, 17), date(2027, 9, 17)),  # Tue; Mid-Autumn Wed 09-15
    (local(2027, 9, 15, 0, 0), date(2027, 9, 17), date(2027, 9, 20)),
    (local(2027, 9, 30, 10, 0), date(2027, 10, 5), date(2027, 10, 5)),   # Thu; 10-01..03 off, then Mon, Tue
    (local(2027, 10, 1, 0, 0), date(2027, 10, 5), date(2027, 10, 6)),
    (local(2028, 1, 25, 0, 0), date(2028, 2, 1), date(2028, 2, 2)),      # SF eve 2028 (a Tuesday)
    (local(2028, 5, 1, 10, 0), date(2028, 5, 4), date(2028, 5, 5)),      # Labour Day (Mon, Tue off)
    (local(2028, 9, 29, 10, 0), date(2028, 10, 5), date(2028, 10, 5)),   # Fri; weekend, 10-02 and 10-03 off
]


@pytest.mark.parametrize("counting", COUNTINGS)
def test_a_year_without_a_calendar_counts_the_statutory_holidays_and_says_so(central_app, counting):
    with central_app.app_context(), db.connection_context():
        calendar = WorkdayCalendar.load()
    for filed, civil_code, next_working_day in ESTIMATED:
        deadline = calendar.add_working_days(filed, 2, counting=counting)
        expected = civil_code if counting == "civil_code" else next_working_day
        assert (due_day(deadline), deadline.estimated) == (expected, True), filed
    # a deadline that runs from 2026 into 2027 is an estimate too: 01-01 is New Year's Day, then a weekend
    across = calendar.add_working_days(local(2026, 12, 31, 10, 0), 2, counting=counting)
    assert due_day(across) == date(2027, 1, 5) and across.estimated
    # filed on the last day of 2025 (no calendar): under the Civil Code that day's kind does not matter
    new_year = calendar.add_working_days(local(2025, 12, 31, 23, 59), 2, counting=counting)
    assert due_day(new_year) == date(2026, 1, 5)  # 01-01..03 off, make-up Sun 01-04 (1), Mon 01-05 (2)
    assert new_year.estimated is (counting == "next_working_day")


def test_filing_in_a_year_without_a_calendar_is_marked_estimated(central_app):
    req = file(central_app, at=local(2027, 2, 5, 10, 0))
    assert req.due_estimated and req.due_at.astimezone(SHANGHAI).date() == date(2027, 2, 10)


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


def due_of(req) -> tuple[date, bool]:
    """A request's stored due day (local) and estimate mark, read again from the database."""
    with db.connection_context():
        fresh = ServiceRequest.get_by_id(req.id)
    return fresh.due_at.astimezone(SHANGHAI).date(), fresh.due_estimated


def close_directly(req) -> None:
    """Test set-up: a request that is already closed (its deadline is history)."""
    with db.connection_context():
        ServiceRequest.update(status="closed_resolved", closed_at=req.filed_at).where(
            ServiceRequest.id == req.id).execute()


def test_importing_a_calendar_recounts_open_deadlines_and_shows_how_many_moved(central_app):
    later = file(central_app, at=local(2027, 2, 5, 10, 0))     # estimated: SF eve off, due Wed 02-10
    earlier = file(central_app, at=local(2027, 1, 29, 10, 0))  # estimated: due Tue 02-02
    same = file(central_app, at=local(2026, 3, 2, 10, 0))      # 2026: the import cannot change it
    closed = file(central_app, at=local(2027, 2, 5, 11, 0))
    close_directly(closed)
    assert [due_of(r) for r in (later, earlier, same)] == [
        (date(2027, 2, 10), True), (date(2027, 2, 2), True), (date(2026, 3, 4), False)]
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    assert upload(client, BAD_FILES[3][0]).status_code == 400  # a refused file recounts nothing
    with db.connection_context():
        assert not AuditEntry.select().where(AuditEntry.action.in_(["deadlines.recount", "request.due"])).exists()
    page = upload(client, GOOD_2027).get_data(as_text=True)
    assert 'data-testid="recount" data-moved="2"' in page
    assert "已按新日历重新计算 3 个办理中请求的首次联系期限：2 个有变动（提前 1 个，推后 1 个）。" in page
    # the 2027 file: 02-06..02-12 off, Sun 01-31 a make-up working day
    assert due_of(later) == (date(2027, 2, 16), False) and due_of(earlier) == (date(2027, 2, 1), False)
    assert due_of(same) == (date(2026, 3, 4), False) and due_of(closed) == (date(2027, 2, 10), True)
    with db.connection_context():
        summary = AuditEntry.get(AuditEntry.action == "deadlines.recount")
        assert summary.actor_name == "admin" and summary.subject_id == "civil_code"
        assert {k: summary.details[k] for k in ("reason", "year", "open", "moved", "earlier", "later")} == {
            "reason": "calendar", "year": 2027, "open": 3, "moved": 2, "earlier": 1, "later": 1}
        assert sorted(summary.details["moved_codes"]) == sorted([later.tracking_code, earlier.tracking_code])
        moves = {int(e.subject_id): e.details for e in AuditEntry.select().where(AuditEntry.action == "request.due")}
        assert sorted(moves) == sorted([later.id, earlier.id])
        assert moves[later.id]["due_from"].startswith("2027-02-10T15:59:59.999")  # stored UTC
        assert moves[later.id]["due_to"].startswith("2027-02-16T15:59:59.999")
        assert AuditEntry.get(AuditEntry.action == "calendar.import").details["deadlines_moved"] == 2
    # the same file again moves nothing, and says so
    again = upload(client, GOOD_2027).get_data(as_text=True)
    assert 'data-moved="0"' in again and "0 个有变动" in again


def start_with(app, counting: str):
    """Start central as the serve commands do (migrate, signing key, the counting check) with this reading."""
    from waystation import cli
    from waystation.web import current_settings

    with app.app_context():
        values = current_settings().as_dict()
    values["requests"]["deadline_counting"] = counting
    cli._migrate_central(load_settings(env={}, overrides=values), signing_key=True)


def recounts() -> list[dict]:
    with db.connection_context():
        return [e.details for e in AuditEntry.select().where(AuditEntry.action == "deadlines.recount")
                .order_by(AuditEntry.id)]


def test_a_changed_reading_is_detected_at_start_and_open_deadlines_recounted(central_app):
    services, protector = central_app.extensions["waystation.services"], central_app.extensions["waystation.protector"]
    civil = file(central_app, at=local(2026, 9, 19, 10, 0))  # Saturday: due Mon 09-21 by the Civil Code
    # counted before the setting existed (the old rule): due Tue 09-22, and no reading recorded
    legacy_event = events.StationEvent("xh-longhua", events.new_event_id(), 1, local(2026, 10, 1, 9, 0),
                                       body(central_app))
    with central_app.app_context(), db.connection_context(), db.atomic():
        on_events([legacy_event], Intake(services, protector, "Asia/Shanghai", "next_working_day"))
    with db.connection_context():
        legacy = ServiceRequest.get(ServiceRequest.event_id == legacy_event.event_id)
    closed = file(central_app, at=local(2026, 10, 1, 10, 0))
    close_directly(closed)
    with db.connection_context():
        ServiceRequest.update(due_at=local(2026, 10, 10, 23, 59, 59, 999000)).where(
            ServiceRequest.id == closed.id).execute()
    assert due_of(legacy)[0] == date(2026, 10, 10) and recounts() == []

    start_with(central_app, "civil_code")  # first start with the setting: recorded, the legacy one fixed
    assert [(r["reason"], r["previous"], r["counting"], r["moved"], r["earlier"]) for r in recounts()] == [
        ("setting", None, "civil_code", 1, 1)]
    assert due_of(legacy)[0] == date(2026, 10, 9) and due_of(civil)[0] == date(2026, 9, 21)
    start_with(central_app, "civil_code")  # same reading: nothing counted, nothing audited
    assert len(recounts()) == 1

    start_with(central_app, "next_working_day")
    last = recounts()[-1]
    assert (last["previous"], last["counting"], last["open"], last["moved"], last["later"]) == (
        "civil_code", "next_working_day", 2, 2, 2)
    assert due_of(civil)[0] == date(2026, 9, 22) and due_of(legacy)[0] == date(2026, 10, 10)
    assert due_of(closed)[0] == date(2026, 10, 10)  # closed: never touched
    with db.connection_context():
        assert AuditEntry.select().where(AuditEntry.action == "request.due",
                                         AuditEntry.subject_id == str(civil.id)).count() == 1


@pytest.mark.parametrize("where", ["env", "file"])
def test_an_unknown_reading_stops_the_start_with_the_key_name(tmp_path, where):
    if where == "env":
        env, path = {"WAYSTATION_REQUESTS_DEADLINE_COUNTING": "weekdays_only"}, None
    else:
        path = tmp_path / "site.toml"
        path.write_text('[requests]\ndeadline_counting = "calendar_days"\n')
        env = {}
    with pytest.raises(ConfigError, match="requests.deadline_counting: must be one of 'civil_code', "
                                          "'next_working_day'"):
        load_settings(path=path, env=env)
    assert load_settings(env={"WAYSTATION_REQUESTS_DEADLINE_COUNTING": "next_working_day"}).requests \
        .deadline_counting == "next_working_day"
    with pytest.raises(ValueError, match="deadline counting"):
        WorkdayCalendar(set(), set(), set()).add_working_days(local(2026, 3, 2, 10), 2, counting="weekdays_only")
