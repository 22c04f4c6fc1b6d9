"""The statutory public holidays of a year (全体公民放假的节日), for years with no imported calendar.

The State Council's yearly notice moves days around them (bridging days off, make-up working days),
which no rule predicts; the statutory days themselves are fixed by the national holiday regulation:
New Year's Day (1 Jan), Spring Festival (the eve, 除夕, to the third day of the first lunar month),
Qingming (the day of the solar term), Labour Day (1–2 May), Dragon Boat (5th day of the 5th lunar
month), Mid-Autumn (15th day of the 8th lunar month) and National Day (1–3 Oct). Lunar and
solar-term dates come from lunar-python (6tail's calendar, which the Chinese almanac apps use).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

from lunar_python import Lunar, Solar

NEW_YEAR = "元旦 New Year"
SPRING_FESTIVAL = "春节 Spring Festival"
QINGMING = "清明节 Qingming"
LABOUR_DAY = "劳动节 Labour Day"
DRAGON_BOAT = "端午节 Dragon Boat"
MID_AUTUMN = "中秋节 Mid-Autumn"
NATIONAL_DAY = "国庆节 National Day"


def _solar_date(solar: Solar) -> date:
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _lunar_day(year: int, month: int, day: int) -> date:
    """The Gregorian date of a day of lunar year `year` (months 1–8 fall in the same Gregorian year)."""
    return _solar_date(Lunar.fromYmd(year, month, day).getSolar())


def _qingming(year: int) -> date:
    # The lunar year that holds 1 April also holds that spring's Qingming (4–6 April) in its term table.
    return _solar_date(Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()["清明"])


@lru_cache(maxsize=64)
def statutory_holidays(year: int) -> Mapping[date, str]:
    """Every statutory holiday day of a Gregorian year, with the holiday's name (zh and en); read-only."""
    days: dict[date, str] = {}

    def add(day: date, name: str) -> None:
        days.setdefault(day, name)  # Mid-Autumn may fall on National Day (2028-10-03): still one day off

    add(date(year, 1, 1), NEW_YEAR)
    spring = _lunar_day(year, 1, 1)
    for offset in range(-1, 3):  # the eve, then the first three days
        add(spring + timedelta(days=offset), SPRING_FESTIVAL)
    add(_qingming(year), QINGMING)
    add(date(year, 5, 1), LABOUR_DAY)
    add(date(year, 5, 2), LABOUR_DAY)
    add(_lunar_day(year, 5, 5), DRAGON_BOAT)
    for day in (1, 2, 3):
        add(date(year, 10, day), NATIONAL_DAY)
    add(_lunar_day(year, 8, 15), MID_AUTUMN)
    return MappingProxyType(days)
