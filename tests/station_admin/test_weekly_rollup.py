"""The week rollup: equal to the raw check-ins, backfilled by migration 9, and the heat-map read from it exact."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from station_admin import migrations
from station_admin.core import models
from station_admin.core.models import CheckIn
from station_admin.node.ingest import on_events
from station_admin.rollups.hourly import CheckInHourly, checkin_per_week_hour, hour_number, split_days
from station_admin.rollups.periodic import CheckInWeekly
from tests.station_admin.conftest import ingest

START = datetime(2025, 3, 30, 17, 0, tzinfo=UTC)  # a Sunday evening: weeks and days start mid-range
CODES = ["xh-xujiahui", "xh-caohejing", "xh-longhua"]


def week_rollup() -> Counter:
    """The week rollup as {(station, week, week hour): n}, zero cells left out."""
    with models.db.connection_context():
        return Counter({(r.station_code, r.week, c): getattr(r, f"w{c:03d}") for r in CheckInWeekly.select()
                        for c in range(168) if getattr(r, f"w{c:03d}")})


def raw_weeks() -> Counter:
    """The same figures counted straight from the raw check-ins."""
    with models.db.connection_context():
        return Counter((c.station_code, hour_number(c.occurred_at) // 168, hour_number(c.occurred_at) % 168)
                       for c in CheckIn.select())


def long_history(seed: int = 11) -> list:
    """About ten weeks of check-ins at three stations, at any minute of the day; the batches stored."""
    rng = random.Random(seed)
    batches = []
    for code in CODES:
        moments = [START + timedelta(minutes=rng.randrange(70 * 24 * 60)) for _ in range(rng.randint(300, 600))]
        batches.append(ingest(code, moments))
    return batches


@pytest.mark.parametrize("first, end", [(0, 7), (1, 7), (3, 20), (7, 21), (6, 8), (5, 5), (9, 30), (2, 3)])
def test_split_days_covers_each_day_once(first, end):
    edges, (first_week, end_week) = split_days(first, end)
    days = [d for s, e in edges for d in range(s, e)] + list(range(first_week * 7, end_week * 7))
    assert sorted(days) == list(range(first, end))
    assert all(e - s < 7 for s, e in edges)  # whole weeks come from the week rollup


def test_week_rollup_equals_the_raw_rows_and_ignores_redelivery(app):  # noqa: F811
    batches = long_history()
    with models.db.connection_context():
        on_events(batches[0][:50] + batches[1][-3:])  # redelivered: nothing new, nothing counted
    assert week_rollup() == raw_weeks() and sum(week_rollup().values()) > 900
    with models.db.connection_context():
        totals = Counter()
        for (code, week, _), n in raw_weeks().items():
            totals[(code, week)] += n
        assert {(r.station_code, r.week): r.n for r in CheckInWeekly.select()} == totals
        CheckInWeekly.rebuild()
    assert week_rollup() == raw_weeks()  # a recount from the day rollup finds the same


@pytest.mark.parametrize("offset", [8, 0, -5, 13, 14, -11])
@pytest.mark.parametrize("start_shift, hours", [(0, 70 * 24), (5, 40 * 24 + 7), (-30, 24 * 9), (31, 24 * 23 - 1)])
def test_heatmap_over_long_ranges_and_any_offset_equals_a_direct_count(app, offset, start_shift, hours):  # noqa: F811
    long_history()
    start = hour_number(START) + start_shift
    end = start + hours
    with models.db.connection_context():
        cells = checkin_per_week_hour(CODES[:2], start, end, offset)
        raw = [c.occurred_at for c in CheckIn.select().where(CheckIn.station_code.in_(CODES[:2]))]
    shifted = [m + timedelta(hours=offset) for m in raw if start <= hour_number(m) < end]
    assert cells == dict(Counter((m.weekday(), m.hour) for m in shifted))
    assert sum(cells.values()) > 0


def test_migration_9_backfills_the_week_rollup_from_the_day_rollup(central_db_url):
    from waystation.db import migrate, open_database

    database = open_database(central_db_url)
    models.db.initialize(database)
    migrate(database, [m for m in migrations.MIGRATIONS if m[0] < 9])
    with database.connection_context():
        rng = random.Random(3)
        for n in range(200):
            CheckIn.create(event_id=f"e{n}", station_code=rng.choice(["s1", "s2"]), method="anonymous",
                           occurred_at=START + timedelta(minutes=rng.randrange(30 * 24 * 60)))
        CheckInHourly.rebuild()
        from station_admin.rollups.periodic import CheckInDaily

        CheckInDaily.rebuild()
    assert 9 in migrate(database, migrations.MIGRATIONS)
    assert week_rollup() == raw_weeks() and sum(week_rollup().values()) == 200
    database.close()


def test_a_batch_from_thousands_of_stations_counts_into_day_and_week_rows_exactly(app):  # noqa: F811
    """One add() of 2,500 stations' counts over hours either side of a day's and a week's end (past one
    statement's rows, and the touched hours only sent), twice: each row holds what was added, per hour."""
    from station_admin.rollups.hourly import add_counts
    from station_admin.rollups.periodic import CheckInDaily

    week_end = hour_number(START) + 7  # Monday 00:00 UTC: a new day and a new week
    hours = [week_end - 2, week_end - 1, week_end, week_end + 30]
    counts = Counter({(f"p{i % 16:02d}-{i:06d}", hour): 1 + (i + hour) % 3 for i in range(2500) for hour in hours
                      if (i + hour) % 4})
    with models.db.connection_context(), models.db.atomic():
        add_counts("checkin", counts)
        add_counts("checkin", counts)  # the second time onto the stored rows
        days = {(r.station_code, r.day, c): getattr(r, f"h{c:02d}") for r in CheckInDaily.select()
                for c in range(24) if getattr(r, f"h{c:02d}")}
        day_totals = {(r.station_code, r.day): r.n for r in CheckInDaily.select()}
    assert days == {(code, hour // 24, hour % 24): 2 * n for (code, hour), n in counts.items()}
    assert week_rollup() == Counter({(code, hour // 168, hour % 168): 2 * n for (code, hour), n in counts.items()})
    expected_days = Counter()
    for (code, hour), n in counts.items():
        expected_days[(code, hour // 24)] += 2 * n
    assert day_totals == dict(expected_days)
