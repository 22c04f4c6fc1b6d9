"""Realistic check-in history for trying reports at scale (`waystation seed --stations N --days D`, the benchmark).

Stations get a kind of worker who uses them most, and each kind has its own day: delivery riders
at lunch (11-13) and dinner (17-20) and busier at weekends, sanitation workers early (5-8) and after
their midday shift, couriers through the working day and quiet at weekends. Volumes vary by station,
by day and with the summer heat. Rows go in with multi-row statements in large transactions, and the
hourly, day and week rollups are filled from the same counts in the same transactions, so reports and raw
rows agree.
"""

from __future__ import annotations

import logging
import random
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import peewee

from station_admin.admin.organisation import save_district, save_federation
from station_admin.admin.stations import StationFacts, save_station
from station_admin.core.models import CheckIn, District, Federation, Station, db
from station_admin.rollups.hourly import CheckInHourly, upsert
from station_admin.rollups.periodic import CheckInDaily, CheckInWeekly

log = logging.getLogger(__name__)

# Shanghai's district federations: code, Chinese name, English name.
DISTRICTS = [
    ("huangpu", "黄浦区总工会", "Huangpu"), ("xuhui", "徐汇区总工会", "Xuhui District Federation"),
    ("changning", "长宁区总工会", "Changning"), ("jingan", "静安区总工会", "Jing'an"),
    ("putuo", "普陀区总工会", "Putuo"), ("hongkou", "虹口区总工会", "Hongkou"), ("yangpu", "杨浦区总工会", "Yangpu"),
    ("minhang", "闵行区总工会", "Minhang"), ("baoshan", "宝山区总工会", "Baoshan"),
    ("jiading", "嘉定区总工会", "Jiading"), ("pudong", "浦东新区总工会", "Pudong"),
    ("jinshan", "金山区总工会", "Jinshan"), ("songjiang", "松江区总工会", "Songjiang"),
    ("qingpu", "青浦区总工会", "Qingpu"), ("fengxian", "奉贤区总工会", "Fengxian"),
    ("chongming", "崇明区总工会", "Chongming"),
]

# Relative check-ins per local hour 0..23, and per weekday Monday..Sunday.
PROFILES = {
    "rider": ([1, 1, 0, 0, 0, 1, 2, 4, 6, 6, 9, 22, 30, 20, 9, 7, 9, 18, 24, 20, 12, 7, 4, 2],
              [1.0, 1.0, 1.0, 1.05, 1.15, 1.3, 1.25]),
    "sanitation": ([0, 0, 0, 1, 4, 16, 22, 18, 9, 6, 5, 10, 14, 12, 14, 9, 5, 3, 2, 1, 1, 0, 0, 0],
                   [1.0, 1.0, 1.0, 1.0, 1.0, 0.85, 0.8]),
    "courier": ([0, 0, 0, 0, 0, 0, 1, 3, 8, 12, 13, 12, 15, 12, 12, 13, 12, 9, 5, 2, 1, 0, 0, 0],
                [1.0, 1.0, 1.0, 1.0, 1.05, 0.6, 0.45]),
}
TRANSACTION_ROWS = 100_000  # rows committed together


@dataclass
class SeedStation:
    code: str
    profile: str
    scale: float  # this station's share of the average daily volume


def ensure_stations(count: int, rng: random.Random) -> list[SeedStation]:
    """At least `count` stations across Shanghai's districts (the demo ones first), with a worker profile each."""
    with db.atomic():
        federation = Federation.get_or_none(Federation.code == "sh") or save_federation(
            "sh", "上海市总工会", "Shanghai Federation of Trade Unions")
        districts = [District.get_or_none(District.code == code) or save_district(code, federation.code, zh, en)
                     for code, zh, en in DISTRICTS]
        stations = list(Station.select().order_by(Station.id).limit(count))
        for n in range(len(stations), count):
            district = districts[n % len(districts)]
            code = f"{district.code[:4]}-{n:04d}"
            stations.append(Station.get_or_none(Station.code == code) or save_station(StationFacts(
                code=code, district=district.code, name_zh=f"{district.name_zh[:-3]}第{n}号爱心驿站",
                name_en=f"{district.name_en.split()[0]} Station {n}", capacity=rng.choice([12, 20, 30]),
                charger_slots=rng.choice([0, 4, 8]))))
    kinds = list(PROFILES)
    return [SeedStation(s.code, kinds[i % len(kinds)], rng.lognormvariate(0, 0.45)) for i, s in enumerate(stations)]


def seed_history(stations: list[SeedStation], days: int, per_station_day: float, last_day: date, offset: int,
                 rng: random.Random, progress: Callable[[int, int], None] | None = None,
                 until: datetime | None = None) -> int:
    """Insert `days` local days of check-ins ending on `last_day`, none at or after `until`; returns the rows.

    History is the past: with `until` (the CLI passes now) the rest of today stays empty, as it is.
    """
    expected = int(len(stations) * days * per_station_day)
    sqlite = isinstance(db.obj, peewee.SqliteDatabase)
    if sqlite:
        db.execute_sql("PRAGMA synchronous = OFF")  # a seed can be run again: speed over durability here
    prefix = secrets.token_hex(6)
    done = 0
    rows: list[tuple] = []
    counts: Counter = Counter()
    try:
        first = last_day - timedelta(days=days - 1)
        for n in range(days):
            day = first + timedelta(days=n)
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=offset)
            season = 1.25 if day.month in (7, 8) else 0.85 if day.month in (1, 2) else 1.0
            for station in stations:
                hours, weekdays = PROFILES[station.profile]
                mean = per_station_day * station.scale * weekdays[day.weekday()] * season
                for hour in rng.choices(range(24), weights=hours, k=max(0, round(rng.gauss(mean, mean * 0.2)))):
                    moment = midnight + timedelta(hours=hour, seconds=rng.random() * 3600)
                    if until is not None and moment >= until:
                        continue
                    done += 1
                    card = rng.random() < 0.3
                    rows.append((f"{prefix}{done:020x}", station.code, moment.isoformat(" ", "microseconds")[:26],
                                 "card" if card else "anonymous", f"M{rng.randrange(10**8):08d}" if card else None))
                    counts[(station.code, int(moment.timestamp()) // 3600)] += 1
            if len(rows) >= TRANSACTION_ROWS or n == days - 1:
                with db.atomic():
                    _flush(rows, counts)
                rows, counts = [], Counter()
                if progress:  # the estimate counts the rest of today, which stays empty: the last step is 100 %
                    progress(done, done if n == days - 1 else max(expected, done))
    finally:
        if sqlite:
            db.execute_sql("PRAGMA synchronous = NORMAL")
    log.info("seeded %d check-ins over %d days at %d stations", done, days, len(stations))
    return done


def _flush(rows: list[tuple], counts: Counter) -> None:
    """Insert check-in rows and add their hourly counts, with few statements."""
    if not rows:
        return
    table = CheckIn._meta.table_name
    sql = f"INSERT INTO {table} (event_id, station_code, occurred_at, method, member_no) VALUES "
    database = db.obj
    cursor = database.cursor()
    if isinstance(database, peewee.PostgresqlDatabase):
        from psycopg2.extras import execute_values

        execute_values(cursor, sql + "%s", rows, page_size=2000)
    else:
        cursor.executemany(sql + "(?, ?, ?, ?, ?)", rows)
    items = list(counts.items())
    for start in range(0, len(items), 2000):  # under SQLite's bound-parameter limit
        upsert(database, CheckInHourly._meta.table_name, Counter(dict(items[start:start + 2000])))
    CheckInDaily.add(counts)
    CheckInWeekly.add(counts)
