"""The working-day calendar: public holidays and make-up working days (调休) per year, held as data.

Deadlines such as "call the rider within 2 working days" count working days in the stations' time
zone. A year's arrangement is imported from a TOML file (docs/workdays.md); for a year with none,
only Saturdays and Sundays are rest days, and the result says it is an estimate so staff pages
can warn.

Deadline rule: a request filed at any time on a working day D is due at the very end (23:59:59.999
local) of the n-th working day after D. One filed on a rest day (weekend or holiday) counts as
filed on the next working day: filed on Saturday, due at the end of Wednesday for n = 2.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import peewee

from station_admin.core.models import BaseModel, StaffUser
from waystation.db import UTCDateTimeField
from waystation.paths import CONFIG_DIR

log = logging.getLogger(__name__)

BUNDLED_CALENDARS = CONFIG_DIR / "calendars"
MAX_FILE_BYTES = 64 * 1024
END_OF_DAY = time(23, 59, 59, 999000)


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
    """A due time, and whether it rests on a year with no calendar (weekends only: an estimate)."""

    due_at: datetime
    estimated: bool


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


def import_calendar(data: bytes, source_name: str, actor: StaffUser | None, now: datetime) -> WorkdayYear:
    """Replace a year's arrangement with a checked file; CalendarError (and no change) when invalid."""
    parsed = parse_calendar(data)
    with WorkdayYear._meta.database.atomic():
        WorkdayYear.delete().where(WorkdayYear.year == parsed.year).execute()
        year = WorkdayYear.create(year=parsed.year, source_name=source_name[:200] or "?", imported_at=now,
                                  imported_by=actor, imported_by_name=actor.username if actor else "system")
        rows = [{"year": year.id, "day": d, "working": False, "holiday": name} for d, name in parsed.days_off.items()]
        rows += [{"year": year.id, "day": d, "working": True, "holiday": name}
                 for d, name in parsed.make_up_workdays.items()]
        WorkdayException.insert_many(rows).execute()
    log.info("workday calendar %d imported from %s: %d days off, %d make-up days", parsed.year, source_name,
             len(parsed.days_off), len(parsed.make_up_workdays))
    return year


class WorkdayCalendar:
    """The loaded arrangement for some years, answering "is this a working day?" without queries."""

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
        """Whether staff work on this day."""
        if day in self.make_up:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: datetime, n: int, timezone: str = "Asia/Shanghai") -> Deadline:
        """The end of the n-th working day after the (working) day of `start` in local time; see the module doc."""
        zone = ZoneInfo(timezone)
        day = start.astimezone(zone).date()
        touched = {day.year}
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


def add_working_days(start: datetime, n: int, timezone: str = "Asia/Shanghai") -> Deadline:
    """The deadline n working days after `start`, from the calendar in the database."""
    return WorkdayCalendar.load().add_working_days(start, n, timezone)


def load_bundled_calendars(now: datetime) -> list[int]:
    """Import every calendar shipped in config/calendars/ whose year is not loaded yet."""
    loaded = []
    for path in sorted(BUNDLED_CALENDARS.glob("*.toml")):
        parsed = parse_calendar(path.read_bytes())
        if not WorkdayYear.select().where(WorkdayYear.year == parsed.year).exists():
            import_calendar(path.read_bytes(), path.name, None, now)
            loaded.append(parsed.year)
    return loaded


TABLES = [WorkdayYear, WorkdayException]
