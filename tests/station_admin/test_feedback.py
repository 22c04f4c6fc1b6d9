"""Feedback at central: stored once per event, and the report's figures equal a direct count, suppressed,
on screen as in CSV, within each role's stations."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from devices.protocol import events
from station_admin.community.feedback import Feedback, FeedbackCategory
from station_admin.core import models
from station_admin.core.privacy import HIDDEN
from station_admin.node.ingest import on_events
from tests.htmx import assert_fragment_and_page
from tests.station_admin.conftest import admin, assert_no_line_gives_a_hidden_cell_away, login, read_csv
from tests.station_admin.requests_helpers import SHANGHAI

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)
RANGE = f"from={FIRST}&to={LAST}&by=station"
STATIONS = {"xh-xujiahui": "徐家汇爱心驿站", "xh-caohejing": "漕河泾职工幸福驿站", "xh-longhua": "龙华环卫驿站"}
POINTS = ["temperature", "seats", "chargers", "toilet_water", "opening_hours", "safety", "platform", "other"]


@pytest.fixture
def app(central_app):
    return central_app


def event(station: str, ts: datetime, score=None, categories=(), member_no=None) -> events.StationEvent:
    body = events.Feedback(score, tuple(categories), member_no)
    return events.StationEvent(station, events.new_event_id(), 1, ts, body)


def store(batch) -> int:
    with models.db.connection_context(), models.db.atomic():
        return on_events(batch)


def survey(count: int = 150, seed: int = 5) -> list[events.StationEvent]:
    """Feedback over March and a few days either side, skewed so some stations' cells are small."""
    rng = random.Random(seed)
    batch = []
    for _ in range(count):
        day = FIRST - timedelta(days=3) + timedelta(days=rng.randrange(37))
        ts = datetime(day.year, day.month, day.day, rng.randrange(24), tzinfo=SHANGHAI)
        station = rng.choices(list(STATIONS), weights=[8, 3, 1])[0]
        score = rng.choice([None, 1, 2, 3, 4, 5, 5, 4])
        categories = rng.sample(POINTS[:5] if rng.random() < 0.8 else POINTS, rng.randrange(0 if score else 1, 3))
        batch.append(event(station, ts, score, categories, rng.choice([None, None, "W7K3M9Q2XZ"])))
    store(batch)
    return batch


def in_march(e: events.StationEvent) -> bool:
    return FIRST <= e.ts.astimezone(SHANGHAI).date() <= LAST


def test_each_feedback_is_stored_once_with_its_pain_points(app):
    first = event("xh-xujiahui", datetime(2026, 3, 2, 12, tzinfo=SHANGHAI), 4, ["seats", "chargers"], "W7K3M9Q2XZ")
    second = event("xh-longhua", datetime(2026, 3, 2, 13, tzinfo=SHANGHAI), None, ["safety"])
    assert store([first, second, first]) == 2
    assert store([first]) == 0  # a redelivery: no second row
    with models.db.connection_context():
        rows = {f.event_id: f for f in Feedback.select()}
        assert len(rows) == 2 and rows[first.event_id].score == 4 and rows[second.event_id].score is None
        assert rows[first.event_id].member_no == "W7K3M9Q2XZ" and rows[second.event_id].member_no is None
        named = sorted((c.feedback.event_id, c.category) for c in FeedbackCategory.select())
    assert named == sorted([(first.event_id, "seats"), (first.event_id, "chargers"), (second.event_id, "safety")])


def test_pain_points_by_station_equal_a_direct_count_with_suppression(app):
    batch = survey()
    expected = Counter((e.station, c) for e in batch if in_march(e) for c in e.body.categories)
    table = read_csv(admin(app).get(f"/reports/feedback/export?report=pain_points&{RANGE}"))
    header, body = table[0], table[1:-1]
    assert sorted(header[1:4]) == sorted(STATIONS.values())
    codes = [next(c for c, name in STATIONS.items() if name == shown) for shown in header[1:4]]
    labels = {"太热或太冷": "temperature", "座位不够": "seats", "充电桩坏了或太少": "chargers",
              "厕所或饮水": "toilet_water", "开放时间": "opening_hours", "安全": "safety",
              "平台或用工问题": "platform", "其他": "other"}
    assert [row[0] for row in body] == list(labels)
    hidden = 0
    for row in body:
        for shown, code in zip(row[1:4], codes, strict=True):
            true = expected[(code, labels[row[0]])]
            assert shown == HIDDEN or (int(shown) == true and not 0 < true < 5), (row, code)
            hidden += shown == HIDDEN
        total = sum(expected[(code, labels[row[0]])] for code in codes)
        assert row[4] in (HIDDEN, str(total))
    assert hidden, "the survey should have small cells to hide"
    assert_no_line_gives_a_hidden_cell_away(table)


def test_satisfaction_by_station_equals_a_direct_count_and_hides_averages_that_would_tell(app):
    batch = survey()
    scored = [e for e in batch if in_march(e) and e.body.score is not None]
    table = read_csv(admin(app).get(f"/reports/feedback/export?report=satisfaction&{RANGE}"))
    names = {name: code for code, name in STATIONS.items()}
    for row in table[1:-1]:
        code = names[row[0]]
        scores = [e.body.score for e in scored if e.station == code]
        counts = Counter(scores)
        for s in range(1, 6):
            assert row[s] == HIDDEN or (int(row[s]) == counts[s] and not 0 < counts[s] < 5)
        assert row[6] in (HIDDEN, str(len(scores)))
        if HIDDEN in row[1:7]:
            assert row[7] == HIDDEN
        else:
            assert row[7] == f"{sum(scores) / len(scores):.2f}"
    assert next(row for row in table if row[0] == "徐家汇爱心驿站")[7] != HIDDEN  # the busy station's shows
    assert_no_line_gives_a_hidden_cell_away([row[:7] for row in table])


def test_roles_see_their_own_stations_only(app):
    survey()
    manager = app.test_client()
    login(manager, "manager", "manager-demo")
    table = read_csv(manager.get(f"/reports/feedback/export?report=pain_points&{RANGE}"))
    assert set(table[0][1:-1]) <= {"徐家汇爱心驿站", "漕河泾职工幸福驿站"} and "龙华环卫驿站" not in table[0]
    federation = app.test_client()
    login(federation, "federation", "federation-demo")
    html = federation.get(f"/reports/feedback?{RANGE}").get_data(as_text=True)
    assert "龙华环卫驿站" in html and "W7K3M9Q2XZ" not in html
    caseworker = app.test_client()
    login(caseworker, "caseworker", "caseworker-demo")
    assert caseworker.get(f"/reports/feedback?{RANGE}").status_code == 403
    assert caseworker.get(f"/reports/feedback/export?report=pain_points&{RANGE}").status_code == 403
    assert app.test_client().get(f"/reports/feedback?{RANGE}").status_code == 302


def test_the_feedback_page_answers_htmx_with_the_fragment_it_includes(app):
    survey(count=40)
    client = admin(app)
    fragment = assert_fragment_and_page(client, f"/reports/feedback?{RANGE}", "report")
    assert 'data-testid="pain-points"' in fragment and 'data-testid="feedback-satisfaction"' in fragment
    assert client.get(f"/reports/feedback/export?report=nope&{RANGE}").status_code == 400
    assert client.get("/reports/feedback?from=2026-02-30").status_code == 400
    assert 'href="/reports/feedback' in client.get(f"/reports/?{RANGE}").get_data(as_text=True)
