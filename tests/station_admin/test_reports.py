"""Reports: figures equal a direct count over the raw check-ins, suppressed alike on screen and in CSV, in scope."""

from __future__ import annotations

import random
import re
from collections import Counter
from datetime import date, datetime, timedelta

import pytest

from station_admin import migrations
from station_admin.core import models
from station_admin.core.models import CheckIn, District, Federation, StaffUser, Station
from station_admin.core.privacy import HIDDEN
from station_admin.node.ingest import on_events
from station_admin.rollups.hourly import (
    CheckInHourly,
    checkin_per_local_day,
    checkin_per_week_hour,
    hour_number,
    local_day_hours,
    peak_hours,
    split_hours,
)
from station_admin.rollups.periodic import CheckInDaily
from tests.conftest import csrf_of, wait_until
from tests.htmx import HX, assert_fragment_and_page
from tests.station_admin.conftest import (  # noqa: F401 - these names are also imported from here
    FIRST,
    LAST,
    RANGE,
    SHANGHAI,
    admin,
    assert_no_line_gives_a_hidden_cell_away,
    ingest,
    local,
    login,
    read_csv,
)


def history(seed: int = 7) -> None:
    """Two weeks of check-ins: a busy lunch-time station, a quiet one, and a few around local midnight."""
    rng = random.Random(seed)
    busy, quiet = [], []
    for n in range((LAST - FIRST).days + 1):
        day = FIRST + timedelta(days=n)
        hours = [11, 12, 12, 12, 13, 18, 19]
        busy += [local(day, rng.choice(hours), rng.randrange(60)) for _ in range(rng.randint(15, 40))]
        quiet += [local(day, rng.choice([7, 9, 15]), rng.randrange(60)) for _ in range(rng.randint(0, 6))]
    ingest("xh-xujiahui", busy)
    ingest("xh-caohejing", quiet)
    # 23:30 and 00:30 local are the same UTC day: they belong to two local days.
    ingest("xh-longhua", [local(FIRST, 23, 30), local(FIRST, 23, 45), local(FIRST + timedelta(days=1), 0, 30)])
    ingest("xh-longhua", [local(FIRST - timedelta(days=1), 23, 59), local(LAST + timedelta(days=1), 0, 1)])  # outside


def direct_daily(codes) -> Counter:
    """Check-ins per (local date, station) counted straight from the raw rows."""
    with models.db.connection_context():
        rows = list(CheckIn.select().where(CheckIn.station_code.in_(codes)))
    found = Counter((c.occurred_at.astimezone(SHANGHAI).date(), c.station_code) for c in rows)
    return Counter({k: v for k, v in found.items() if FIRST <= k[0] <= LAST})


def test_rollup_counts_each_event_once_even_when_redelivered(app):
    batch = ingest("xh-xujiahui", [local(FIRST, 12, m) for m in range(10)] + [local(FIRST, 13, 5)])
    with models.db.connection_context():
        on_events(batch + batch[:3])  # a redelivery: nothing new, nothing counted
        rollup = {(r.station_code, r.hour): r.n for r in CheckInHourly.select()}
        raw = Counter((c.station_code, hour_number(c.occurred_at)) for c in CheckIn.select())
    assert rollup == raw and sum(rollup.values()) == 11
    assert CheckInHourly.select().first().hour_start.minute == 0


def test_migration_4_backfills_the_rollup_from_stored_check_ins(central_db_url):
    from waystation.db import migrate, open_database

    database = open_database(central_db_url)
    models.db.initialize(database)
    migrate(database, migrations.MIGRATIONS[:1])
    with database.connection_context():
        moments = [local(FIRST, h, m) for h in (8, 12, 23) for m in (0, 15, 59)]
        for n, ts in enumerate(moments):
            CheckIn.create(event_id=f"e{n}", station_code="s1" if n % 2 else "s2", occurred_at=ts,
                           method="anonymous")
    assert 4 in migrate(database, migrations.MIGRATIONS)
    with database.connection_context():
        rollup = {(r.station_code, r.hour): r.n for r in CheckInHourly.select()}
    expected = Counter(("s1" if n % 2 else "s2", hour_number(ts)) for n, ts in enumerate(moments))
    assert rollup == expected


def day_rollup() -> dict[tuple[str, int], list[int]]:
    """The day rollup as {(station, UTC day): [n, h00..h23]}."""
    with models.db.connection_context():
        return {(r.station_code, r.day): [r.n, *(getattr(r, f"h{h:02d}") for h in range(24))]
                for r in CheckInDaily.select()}


def raw_days() -> dict[tuple[str, int], list[int]]:
    """The same figures counted straight from the raw check-ins."""
    found: dict[tuple[str, int], list[int]] = {}
    with models.db.connection_context():
        for c in CheckIn.select():
            day, h = divmod(hour_number(c.occurred_at), 24)
            row = found.setdefault((c.station_code, day), [0] * 25)
            row[0] += 1
            row[1 + h] += 1
    return found


def test_day_rollup_equals_the_raw_rows_and_ignores_redelivery(app):
    history()
    batch = ingest("xh-xujiahui", [local(FIRST, 7, 59), local(FIRST, 8, 0)])
    with models.db.connection_context():
        on_events(batch)  # redelivered: counted once
    assert day_rollup() == raw_days()


def test_migration_8_backfills_the_day_rollup_from_the_hourly_one(central_db_url):
    from waystation.db import migrate, open_database

    database = open_database(central_db_url)
    models.db.initialize(database)
    migrate(database, [m for m in migrations.MIGRATIONS if m[0] < 8])
    with database.connection_context():
        moments = [local(FIRST + timedelta(days=d), h, 30) for d in (0, 1, 9) for h in (0, 7, 8, 23)]
        for n, ts in enumerate(moments):
            CheckIn.create(event_id=f"e{n}", station_code="s1" if n % 3 else "s2", occurred_at=ts,
                           method="anonymous")
        CheckInHourly.rebuild()
    assert 8 in migrate(database, migrations.MIGRATIONS)
    assert day_rollup() == raw_days()
    database.close()


@pytest.mark.parametrize("start, end", [(0, 24), (5, 29), (23, 49), (24, 24 * 5), (30, 24 * 9 + 7), (3, 20)])
def test_split_covers_each_hour_once(start, end):
    edges, (first, end_day) = split_hours(start, end)
    hours = [h for s, e in edges for h in range(s, e)] + list(range(first * 24, end_day * 24))
    assert sorted(hours) == list(range(start, end))
    assert first == end_day or all(e - s < 24 for s, e in edges)  # whole days come from the day rollup


@pytest.mark.parametrize("first, last", [(FIRST, LAST), (FIRST, FIRST), (FIRST + timedelta(days=1), LAST)])
def test_long_and_short_ranges_read_from_both_rollups_equal_a_direct_count(app, first, last):
    history()
    codes = ["xh-caohejing", "xh-longhua", "xh-xujiahui"]
    with models.db.connection_context():
        raw = [(c.station_code, c.occurred_at.astimezone(SHANGHAI)) for c in CheckIn.select()]
        hours = local_day_hours(first, last, 8)
        per_day = checkin_per_local_day({c: [c] for c in codes}, *hours, 8)
        per_week_hour = checkin_per_week_hour(codes, *hours, 8)
    inside = [(code, m) for code, m in raw if first <= m.date() <= last]
    assert per_day == dict(Counter((code, m.date()) for code, m in inside))
    assert per_week_hour == dict(Counter((m.weekday(), m.hour) for _, m in inside))


def test_daily_figures_equal_a_direct_count_and_the_csv_shows_the_same(app):
    history()
    client = admin(app)
    page = client.get(f"/reports/?{RANGE}&by=station")
    assert page.status_code == 200
    rows = read_csv(client.get(f"/reports/export?report=daily&{RANGE}&by=station"))
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    assert header[0] == "日期" and header[-1] == "合计" and "徐家汇爱心驿站" in header
    codes = ["xh-caohejing", "xh-longhua", "xh-xujiahui"]  # the column order: district, then code
    expected = direct_daily(codes)
    assert len(body) == 14
    hidden = 0
    for row in body:
        day = date.fromisoformat(row[0])
        for code, shown in zip(codes, row[1:4], strict=True):
            true = expected[(day, code)]
            if shown == HIDDEN:
                hidden += 1
            else:
                assert int(shown) == true, (day, code)
                assert not 0 < true < 5, f"{day} {code}: {true} is shown"
        if row[4] != HIDDEN:
            assert int(row[4]) == sum(expected[(day, c)] for c in codes)
    assert hidden > 0, "the quiet station's small days must be suppressed"
    assert int(totals[-1]) == sum(expected.values())
    # Longhua: two check-ins late on the 2nd and one early on the 3rd, local time: <5 on both days.
    longhua = {row[0]: row[2] for row in body}
    assert longhua[str(FIRST)] == HIDDEN and longhua[str(FIRST + timedelta(days=1))] == HIDDEN
    assert_no_line_gives_a_hidden_cell_away(rows)
    html = page.get_data(as_text=True)
    assert html.count('class="sup') >= hidden and ">*<" in html


def test_heatmap_equals_a_direct_count_and_peaks_need_twenty(app):
    history()
    client = admin(app)
    rows = read_csv(client.get(f"/reports/export?report=heatmap&{RANGE}&station=xh-xujiahui"))
    with models.db.connection_context():
        raw = [c.occurred_at.astimezone(SHANGHAI)
               for c in CheckIn.select().where(CheckIn.station_code == "xh-xujiahui")]
    expected = Counter((m.weekday(), m.hour) for m in raw if FIRST <= m.date() <= LAST)
    assert rows[0][1:25] == [f"{h:02d}:00" for h in range(24)] and rows[1][0] == "周一"
    for wd in range(7):
        for h in range(24):
            shown = rows[1 + wd][1 + h]
            assert shown == HIDDEN or int(shown) == expected[(wd, h)]
    assert_no_line_gives_a_hidden_cell_away(rows)
    with models.db.connection_context():
        peaks = peak_hours("xh-xujiahui", FIRST, LAST, "Asia/Shanghai")
        assert peak_hours("xh-caohejing", FIRST, LAST, "Asia/Shanghai") == []  # too few cases to rank
    top = max(expected.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))
    assert (peaks[0].weekday, peaks[0].hour, peaks[0].check_ins) == (*top[0], top[1])
    assert all(p.check_ins >= 20 for p in peaks) and peaks[0].hour == 12
    html = client.get(f"/reports/heatmap?{RANGE}&station=xh-xujiahui").get_data(as_text=True)
    assert f'class="peak" data-cell="{peaks[0].weekday}-12"' in html


def test_pages_answer_htmx_with_the_fragment_the_page_includes(app):
    history()
    client = admin(app)
    for url in (f"/reports/?{RANGE}", f"/reports/heatmap?{RANGE}&district=xuhui", f"/reports/usage?{RANGE}"):
        fragment = assert_fragment_and_page(client, url, "report")
        assert "<svg" in fragment or "usage-log" in fragment


def test_usage_log_pages_by_keyset_newest_first_to_the_end(app):
    history()
    client = admin(app)
    url, seen = f"/reports/usage?{RANGE}&station=xh-caohejing", []
    while url:
        html = client.get(url, headers=HX).get_data(as_text=True)
        seen += re.findall(r'data-event="([0-9a-f]+)"', html)
        older = re.search(r'rel="next" href="([^"]+)"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    with models.db.connection_context():
        expected = [c.event_id for c in CheckIn.select().where(CheckIn.station_code == "xh-caohejing")
                    .order_by(CheckIn.occurred_at.desc(), CheckIn.id.desc())
                    if FIRST <= c.occurred_at.astimezone(SHANGHAI).date() <= LAST]
    assert seen == expected and len(seen) > 7


def test_usage_log_of_many_stations_is_the_scope_newest_first(app):
    history()
    ingest("xh-xujiahui", [local(LAST, 20, 0)], member_no="M00042")
    client = app.test_client()
    login(client, "manager", "manager-demo")
    html = client.get(f"/reports/usage?{RANGE}").get_data(as_text=True)
    assert "M00042" in html and "龙华" not in html.split('id="report"')[1]
    client = app.test_client()
    login(client, "federation", "federation-demo")
    html = client.get(f"/reports/usage?{RANGE}").get_data(as_text=True)
    assert "M00042" not in html and "会员号" not in html  # federation users see no member numbers


@pytest.mark.parametrize("query, message", [
    ("from=2025-13-01", "日期“2025-13-01”格式不对"),
    ("from=yesterday", "格式不对"),
    ("from=2025-06-10&to=2025-06-01", "开始日期晚于结束日期"),
    ("from=2020-01-01&to=2025-01-01", "最长 366 天"),
    ("station=nowhere", "驿站“nowhere”不存在或不在您的权限范围内"),
    ("district=pudong", "区县“pudong”不存在"),
    ("by=month", "没有“month”这种分组方式"),
])
def test_bad_filters_get_a_clear_message_and_400(app, query, message):
    client = admin(app)
    for url in (f"/reports/?{query}", f"/reports/heatmap?{query}", f"/reports/export?report=daily&{query}"):
        if "by=" in query and "heatmap" in url:
            continue  # grouping is a daily-report filter; the heat-map checks it all the same
        response = client.get(url)
        assert response.status_code == 400 and message in response.get_data(as_text=True), url
    assert client.get(f"/reports/?{query}", headers=HX).status_code == 400


def test_bad_kind_cursor_and_report_are_400_and_english_when_chosen(app):
    client = admin(app)
    assert "没有“sms”这种记录类型" in client.get("/reports/usage?kind=sms").get_data(as_text=True)
    assert client.get("/reports/usage?before=abc").status_code == 400
    assert client.get("/reports/usage?before=99999999999999999999999.1").status_code == 400
    assert client.get("/reports/export?report=members").status_code == 400
    client.get("/reports/")
    client.post("/auth/language", data={"lang": "en", "csrf_token": csrf_of(client)})
    response = client.get("/reports/?from=2025-02-30")
    assert response.status_code == 400
    assert 'The date &#34;2025-02-30&#34; is not valid' in response.get_data(as_text=True)


def test_scope_managers_see_their_stations_federations_their_subtree(app):
    with models.db.connection_context():
        other = Federation.create(code="bj", name_zh="北京市总工会", name_en="Beijing")
        chaoyang = District.create(code="chaoyang", federation=other, name_zh="朝阳区总工会", name_en="Chaoyang")
        Station.create(code="cy-sanlitun", district=chaoyang, name_zh="三里屯驿站", name_en="Sanlitun", capacity=10)
    history()
    ingest("cy-sanlitun", [local(FIRST, 12, m) for m in range(30)])
    manager = app.test_client()
    login(manager, "manager", "manager-demo")
    rows = read_csv(manager.get(f"/reports/export?report=daily&{RANGE}&by=station"))
    assert rows[0][1:-1] == ["漕河泾职工幸福驿站", "徐家汇爱心驿站"]
    assert manager.get(f"/reports/?{RANGE}&station=xh-longhua").status_code == 400
    federation = app.test_client()
    login(federation, "federation", "federation-demo")
    rows = read_csv(federation.get(f"/reports/export?report=daily&{RANGE}&by=district"))
    assert rows[0][1:-1] == ["徐汇区总工会"]
    assert federation.get(f"/reports/?{RANGE}&district=chaoyang").status_code == 400
    assert federation.get(f"/reports/usage?{RANGE}&station=cy-sanlitun").status_code == 400
    everything = read_csv(admin(app).get(f"/reports/export?report=daily&{RANGE}&by=district"))
    assert everything[0][1:-1] == ["朝阳区总工会", "徐汇区总工会"] and everything[-1][1] == "30"


def test_caseworkers_and_strangers_get_no_reports(app):
    with models.db.connection_context():
        user = StaffUser(username="cw", display_name="cw", role="caseworker")
        user.set_password("pw-123456")
        user.save()
    assert app.test_client().get("/reports/").status_code == 302
    client = app.test_client()
    login(client, "cw", "pw-123456")
    assert client.get("/reports/").status_code == 403 and client.get("/reports/usage").status_code == 403


def test_formula_looking_names_are_escaped_in_csv(app):
    with models.db.connection_context():
        Station.update(name_zh="=HYPERLINK(\"http://x\")").where(Station.code == "xh-longhua").execute()
        Station.update(name_zh="@SUM(A1)").where(Station.code == "xh-caohejing").execute()
    history()
    rows = read_csv(admin(app).get(f"/reports/export?report=daily&{RANGE}&by=station"))
    assert "'=HYPERLINK(\"http://x\")" in rows[0] and "'@SUM(A1)" in rows[0]
    from station_admin.reports.exports import safe_cell

    cells = [safe_cell(v) for v in ("+1", "-2", "\tx", "\rx", "ok", 5, None)]
    assert cells == ["'+1", "'-2", "'\tx", "'\rx", "ok", 5, ""]


def test_usage_export_runs_in_the_background_and_only_its_owner_downloads(app, job_workers):
    with models.db.connection_context():
        Station.update(name_zh="=cmd|' /C calc'!A0").where(Station.code == "xh-longhua").execute()
    history()
    ingest("xh-xujiahui", [local(LAST, 20, 0)], member_no="M00042")
    client = admin(app)
    client.get("/reports/usage")  # signing in starts a new session: load a page for its anti-forgery token
    started = client.post(f"/reports/export?{RANGE}", data={"csrf_token": csrf_of(client)}, headers=HX)
    assert started.status_code == 200 and 'id="export-job"' in started.get_data(as_text=True)
    job_id = re.search(r"/reports/exports/(\d+)", started.get_data(as_text=True)).group(1)

    def done():
        html = client.get(f"/reports/exports/{job_id}", headers=HX).get_data(as_text=True)
        return html if 'data-status="done"' in html else None

    fragment = wait_until(done, timeout=20, message="export done")
    assert "hx-trigger" not in fragment and "/download" in fragment  # polling stops when done
    response = client.get(f"/reports/exports/{job_id}/download")
    rows = read_csv(response)
    assert rows[0][:6] == ["kind", "event_id", "station_code", "station_name", "district_code", "occurred_at"]
    with models.db.connection_context():
        in_range = [c for c in CheckIn.select() if FIRST <= c.occurred_at.astimezone(SHANGHAI).date() <= LAST]
    assert len(rows) - 1 == len(in_range)
    assert all(row[5].endswith("+08:00") for row in rows[1:])
    assert rows[1][5] == "2025-06-15T20:00:00+08:00" and rows[1][-1] == "M00042"  # newest first
    names = {row[3] for row in rows[1:]}
    assert "徐家汇爱心驿站" in names and "'=cmd|' /C calc'!A0" in names
    assert_times = [datetime.fromisoformat(row[5]) for row in rows[1:]]
    assert assert_times == sorted(assert_times, reverse=True)
    other = app.test_client()
    login(other, "federation", "federation-demo")
    assert other.get(f"/reports/exports/{job_id}").status_code == 404
    assert other.get(f"/reports/exports/{job_id}/download").status_code == 404
    # The page (not htmx) flow: a redirect to the job's page.
    response = client.post(f"/reports/export?{RANGE}&station=xh-caohejing", data={"csrf_token": csrf_of(client)})
    assert response.status_code == 303 and "/reports/exports/" in response.headers["Location"]
    page = response.headers["Location"]
    wait_until(lambda: 'data-status="done"' in client.get(page).get_data(as_text=True), timeout=20,
               message="second export done")


def test_reports_link_in_the_header(app):
    html = admin(app).get("/").get_data(as_text=True)
    assert 'href="/reports/"' in html and "报表" in html
