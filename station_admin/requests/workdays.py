"""The working-day calendar (public holidays and make-up working days, 调休, per year, held as data) and deadlines.

Deadlines such as "call the rider within 2 working days" count working days in the stations' time
zone. A year's arrangement is imported from a TOML file (docs/workdays.md); for a year with none,
the statutory holidays (holidays.py) and weekends are the rest days, and the result says it is an
estimate so staff pages can warn.

How the days are counted is the setting requests.deadline_counting (docs/workdays.md):
- "civil_code" (the default): the day of filing never counts, whatever kind of day it is; counting
  starts the next calendar day (开始的当日不计入). A request is due at the very end (23:59:59.999
  local) of the n-th working day after the filing day: filed on Saturday 2026-09-19, day 1 is the
  make-up working Sunday 09-20 and day 2 Monday 09-21 for n = 2.
- "next_working_day": a request filed on a rest day counts as received on the next working day,
  and that day does not count either: filed on that Saturday, due at the end of Tuesday 09-22.

Importing a calendar, or starting with another reading than the one last used, counts the
deadlines of every open request again (recount_open_deadlines), audited with a summary.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import peewee

from station_admin.core.audit import AuditEntry, audit
from station_admin.core.models import BaseModel, StaffUser
from station_admin.requests.holidays import statutory_holidays
from station_admin.requests.models import OPEN_STATUSES, ServiceRequest
from waystation.db import UTCDateTimeField
from waystation.paths import CONFIG_DIR
from waystation.settings import CHOICES

log = logging.getLogger(__name__)

BUNDLED_CALENDARS = CONFIG_DIR / "calendars"
MAX_FILE_BYTES = 64 * 1024
END_OF_DAY = time(23, 59, 59, 999000)
# The readings of requests.deadline_counting; the first is the default (the Civil Code's).
COUNTINGS = CHOICES["requests.deadline_counting"]
RECOUNT_ACTION = "deadlines.recount"
MOVED_CODES_KEPT = 50  # tracking codes named in a recount's audit summary (each move has its own entry too)


class CalendarError(ValueError):
    """A calendar file that breaks the format; the message says where."""


class WorkdayYear(BaseModel):
    """A year whose holiday arrangement is loaded: where it came from, who imported it, when."""

    year = peewee.IntegerField(unique=True)
    source_name = peewee.CharField()
    imported_at = UTCDateTimeField()
    imported_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    imported_by_name = peewee.CharField()

    class Meta:
        table_name = "workday_year"

    @classmethod
    def loaded_years(cls) -> list[WorkdayYear]:
        """Every loaded year, newest first."""
        return list(cls.select().order_by(cls.year.desc()))


class WorkdayException(BaseModel):
    """A date that breaks the weekday rule: a holiday day off, or a weekend made a working day."""

    year = peewee.ForeignKeyField(WorkdayYear, backref="days", on_delete="CASCADE")
    day = peewee.DateField(unique=True)
    working = peewee.BooleanField()  # True: make-up working day (调休); False: day off
    holiday = peewee.CharField()

    class Meta:
        table_name = "workday_exception"


@dataclass(frozen=True)
class CalendarFile:
    """A validated calendar file: the year, its days off and make-up working days by holiday."""

    year: int
    days_off: dict[date, str]
    make_up_workdays: dict[date, str]


@dataclass(frozen=True)
class Deadline:
    """A due time, and whether it rests on a year with no calendar (statutory holidays only: an estimate)."""

    due_at: datetime
    estimated: bool


@dataclass(frozen=True)
class DeadlineRule:
    """What counting a request's deadline needs besides the calendar: the reading, the zone, n per service."""

    counting: str
    timezone: str
    working_days: Mapping[str, int]  # service code -> first-contact working days

    @classmethod
    def of(cls, settings, catalogue) -> DeadlineRule:
        """The rule of these settings and this service catalogue."""
        return cls(settings.requests.deadline_counting, settings.central.timezone,
                   {code: s.first_contact_working_days for code, s in catalogue.services.items()})


@dataclass(frozen=True)
class Recount:
    """What counting the open requests' deadlines again changed."""

    counting: str
    open: int
    moved: int
    earlier: int
    later: int
    estimated: int  # open requests whose deadline is still an estimate


def parse_calendar(data: bytes) -> CalendarFile:
    """Check a calendar file and return what it says; CalendarError naming the problem otherwise."""
    if len(data) > MAX_FILE_BYTES:
        raise CalendarError(f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise CalendarError(f"not valid UTF-8 TOML: {e}") from None
    unknown = set(raw) - {"year", "holidays"}
    if unknown:
        raise CalendarError(f"unknown key {sorted(unknown)[0]!r}")
    year = raw.get("year")
    if type(year) is not int or not 2000 <= year <= 2100:
        raise CalendarError(f"year must be a whole number from 2000 to 2100, got {year!r}")
    holidays = raw.get("holidays")
    if not isinstance(holidays, list) or not holidays:
        raise CalendarError("holidays must be a non-empty list of [[holidays]] tables")
    days_off: dict[date, str] = {}
    make_up: dict[date, str] = {}
    for n, holiday in enumerate(holidays):
        where = f"holidays[{n}]"
        if not isinstance(holiday, dict):
            raise CalendarError(f"{where} must be a table")
        unknown = set(holiday) - {"name", "days_off", "make_up_workdays"}
        if unknown:
            raise CalendarError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        name = holiday.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            raise CalendarError(f"{where}.name must be a text of 1 to 100 characters")
        for key, target in (("days_off", days_off), ("make_up_workdays", make_up)):
            for text in _date_list(holiday.get(key, []), f"{where}.{key}"):
                day = _day(text, f"{where}.{key}", year)
                if day in days_off or day in make_up:
                    raise CalendarError(f"{where}.{key}: {day.isoformat()} is listed twice (as day off or make-up day)")
                if key == "make_up_workdays" and day.weekday() < 5:
                    raise CalendarError(f"{where}.{key}: {day.isoformat()} is a weekday, not a weekend day")
                target[day] = name.strip()
    return CalendarFile(year, days_off, make_up)


def _date_list(value, where: str) -> list:
    if not isinstance(value, list):
        raise CalendarError(f"{where} must be a list of dates")
    return value


def _day(value, where: str, year: int) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise CalendarError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None
    else:
        raise CalendarError(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
    if day.year != year:
        raise CalendarError(f"{where}: {day.isoformat()} is outside the year {year}")
    return day


def import_calendar(data: bytes, source_name: str, actor: StaffUser | None, now: datetime,
                    rule: DeadlineRule | None = None) -> tuple[WorkdayYear, Recount | None]:
    """Replace a year's arrangement with a checked file and recount open deadlines by `rule`.

    CalendarError (and no change) when the file is invalid. Leave `rule` out only where no request
    can exist yet (the bundled calendars of a fresh database, migration 3): then nothing is recounted.
    """
    parsed = parse_calendar(data)
    with WorkdayYear._meta.database.atomic():
        WorkdayYear.delete().where(WorkdayYear.year == parsed.year).execute()
        year = WorkdayYear.create(year=parsed.year, source_name=source_name[:200] or "?", imported_at=now,
                                  imported_by=actor, imported_by_name=actor.username if actor else "system")
        rows = [{"year": year.id, "day": d, "working": False, "holiday": name} for d, name in parsed.days_off.items()]
        rows += [{"year": year.id, "day": d, "working": True, "holiday": name}
                 for d, name in parsed.make_up_workdays.items()]
        WorkdayException.insert_many(rows).execute()
        recount = None if rule is None else recount_open_deadlines(rule, actor, reason="calendar", year=parsed.year)
    log.info("workday calendar %d imported from %s: %d days off, %d make-up days", parsed.year, source_name,
             len(parsed.days_off), len(parsed.make_up_workdays))
    return year, recount


class WorkdayCalendar:
    """The loaded arrangement for some years, answering "is this a working day?" without queries.

    A year with no arrangement loaded has the statutory holidays and weekends as its rest days, and
    no make-up working days (those only the State Council's notice can say).
    """

    def __init__(self, known_years: set[int], days_off: set[date], make_up: set[date]):
        self.known_years = known_years
        self.days_off = days_off
        self.make_up = make_up

    @classmethod
    def load(cls) -> WorkdayCalendar:
        """Every loaded year from the database (a few dozen rows a year)."""
        known = {row.year for row in WorkdayYear.select(WorkdayYear.year)}
        off, make_up = set(), set()
        for row in WorkdayException.select(WorkdayException.day, WorkdayException.working):
            (make_up if row.working else off).add(row.day)
        return cls(known, off, make_up)

    def is_working_day(self, day: date) -> bool:
        """Whether staff work on this day (estimated from the statutory holidays in a year not loaded)."""
        if day.year not in self.known_years:
            return day.weekday() < 5 and day not in statutory_holidays(day.year)
        if day in self.make_up:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: datetime, n: int, timezone: str = "Asia/Shanghai",
                         counting: str = COUNTINGS[0]) -> Deadline:
        """The end of the n-th working day counted after the local day of `start`, by `counting` (module doc)."""
        if counting not in COUNTINGS:
            raise ValueError(f"deadline counting must be one of {', '.join(COUNTINGS)}, got {counting!r}")
        zone = ZoneInfo(timezone)
        day = start.astimezone(zone).date()
        # Only the days that decide the count make it an estimate: under the Civil Code the filing day
        # never counts, so its kind (and its year's calendar) does not matter.
        touched = set()
        if counting == "next_working_day":
            touched.add(day.year)
            while not self.is_working_day(day):
                day += timedelta(days=1)
                touched.add(day.year)
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            touched.add(day.year)
            if self.is_working_day(day):
                counted += 1
        due = datetime.combine(day, END_OF_DAY, tzinfo=zone)
        return Deadline(due, estimated=not touched <= self.known_years)

    def missing_years(self, *years: int) -> list[int]:
        """Which of these years have no calendar loaded."""
        return [y for y in years if y not in self.known_years]


def add_working_days(start: datetime, n: int, timezone: str = "Asia/Shanghai",
                     counting: str = COUNTINGS[0]) -> Deadline:
    """The deadline n working days after `start`, from the calendar in the database."""
    return WorkdayCalendar.load().add_working_days(start, n, timezone, counting)


def load_bundled_calendars(now: datetime, rule: DeadlineRule | None = None) -> list[int]:
    """Import every calendar shipped in config/calendars/ whose year is not loaded yet."""
    loaded = []
    for path in sorted(BUNDLED_CALENDARS.glob("*.toml")):
        parsed = parse_calendar(path.read_bytes())
        if not WorkdayYear.select().where(WorkdayYear.year == parsed.year).exists():
            import_calendar(path.read_bytes(), path.name, None, now, rule)
            loaded.append(parsed.year)
    return loaded


def recount_open_deadlines(rule: DeadlineRule, actor: StaffUser | None, reason: str, **details) -> Recount:
    """Count every open request's deadline again from its filing time; audit each move and a summary.

    A request whose service is no longer in the catalogue keeps its deadline. Run it in the caller's
    transaction; `reason` ("calendar", "setting") and `details` go into the summary entry.
    """
    calendar = WorkdayCalendar.load()
    opened = moved = earlier = estimated = 0
    codes = []
    for request in ServiceRequest.select().where(ServiceRequest.status.in_(OPEN_STATUSES)).order_by(
            ServiceRequest.id):
        opened += 1
        n = rule.working_days.get(request.service)
        if n is None:
            estimated += request.due_estimated
            continue
        deadline = calendar.add_working_days(request.filed_at, n, rule.timezone, rule.counting)
        estimated += deadline.estimated
        if deadline.due_at == request.due_at and deadline.estimated == request.due_estimated:
            continue
        before = request.due_at
        ServiceRequest.update(due_at=deadline.due_at, due_estimated=deadline.estimated).where(
            ServiceRequest.id == request.id).execute()
        if deadline.due_at != before:
            moved += 1
            earlier += deadline.due_at < before
            codes.append(request.tracking_code)
            audit("request.due", "request", request.id, actor=actor, reason=reason, counting=rule.counting,
                  due_from=before.astimezone(UTC).isoformat(), due_to=deadline.due_at.astimezone(UTC).isoformat())
    result = Recount(rule.counting, opened, moved, earlier, moved - earlier, estimated)
    audit(RECOUNT_ACTION, "deadlines", rule.counting, actor=actor, reason=reason, counting=rule.counting,
          open=opened, moved=moved, earlier=earlier, later=moved - earlier, estimated=estimated,
          moved_codes=codes[:MOVED_CODES_KEPT], **details)
    log.info("deadlines recounted (%s, %s): %d open, %d moved (%d earlier, %d later)", reason, rule.counting,
             opened, moved, earlier, moved - earlier)
    return result


def last_counting() -> str | None:
    """The reading the open deadlines were last counted by (the latest recount's), or None if never."""
    entry = (AuditEntry.select(AuditEntry.details).where(AuditEntry.action == RECOUNT_ACTION)
             .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).first())
    return entry.details.get("counting") if entry else None


def apply_counting_setting(rule: DeadlineRule) -> Recount | None:
    """At start: recount open deadlines if the setting differs from the reading last used (None if same).

    A database that never recorded a reading (before this setting existed, its deadlines were
    counted by "next_working_day") is recounted once, which also records the reading.
    """
    with WorkdayYear._meta.database.atomic():
        previous = last_counting()
        if previous == rule.counting:
            return None
        log.warning("requests.deadline_counting is %r, open deadlines were counted by %r: counting them again",
                    rule.counting, previous)
        return recount_open_deadlines(rule, None, reason="setting", previous=previous)


TABLES = [WorkdayYear, WorkdayException]
