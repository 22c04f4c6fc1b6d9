"""Service-request reports: figures equal a direct count over the stored requests (suppression and the
change against the previous period included), on screen as in CSV, within each role's scope."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from devices.protocol import utcnow
from station_admin.core import models
from station_admin.core.privacy import HIDDEN, suppress_linked
from station_admin.reports.request_figures import deadline_outcome
from station_admin.requests.models import OPEN_STATUSES, CentreMember, LegalAidCentre, ServiceRequest
from tests.htmx import assert_fragment_and_page
from tests.station_admin.conftest import admin, assert_no_line_gives_a_hidden_cell_away, login, read_csv
from tests.station_admin.requests_helpers import SHANGHAI, file

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 31)
PREVIOUS = (date(2026, 1, 29), date(2026, 2, 28))  # the 31 days before
RANGE = f"from={FIRST}&to={LAST}"
SERVICES = ["legal_aid", "hardship_aid", "counselling", "health_check", "other"]
STATIONS = ["xh-xujiahui", "xh-caohejing", "xh-longhua"]


@pytest.fixture
def app(central_app):
    return central_app


def at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def casebook(app, count: int = 90, seed: int = 3) -> None:
    """Requests over both periods in every state: contacted in time or late, never contacted, closed or open."""
    rng = random.Random(seed)
    for _ in range(count):
        day = PREVIOUS[0] + timedelta(days=rng.randrange((LAST - PREVIOUS[0]).days + 1))
        service = rng.choices(SERVICES, weights=[6, 2, 2, 1, 1])[0]
        member = f"M{rng.randrange(40):05d}" if rng.random() < 0.5 else None
        phone = f"1381234{rng.randrange(30):04d}"
        request = file(app, station=rng.choice(STATIONS), at=at(day, rng.randrange(8, 22)), service=service,
                       member_no=member, phone=phone, district=rng.choice([None, None, "minhang"]))
        changes = {}
        contact = rng.random()
        if contact < 0.75:
            changes["first_contact_at"] = request.filed_at + timedelta(hours=rng.choice([2, 20, 40, 70, 120]))
        state = rng.random()
        if state < 0.7:
            status = rng.choice(["closed_resolved", "closed_resolved", "closed_unresolved", "withdrawn"])
            closed = request.filed_at + timedelta(days=rng.randrange(1, 20))
            changes.update(status=status, closed_at=closed, mediated=rng.random() < 0.4,
                           amount_recovered_fen=rng.choice([None, rng.randrange(10_000, 900_000)]),
                           satisfaction=rng.choice([None, 1, 2, 3, 4, 5, 5]))
        else:
            changes["status"] = rng.choice(["assigned", "contacted", "accepted", "referred"])
        with models.db.connection_context():
            ServiceRequest.update(**changes).where(ServiceRequest.id == request.id).execute()


def stored() -> list[ServiceRequest]:
    with models.db.connection_context():
        return list(ServiceRequest.select())


def local_date(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def in_period(moment, first=FIRST, last=LAST) -> bool:
    return moment is not None and first <= local_date(moment) <= last


def expected_deadline(rows, now, key) -> dict:
    """met / missed per key, counted straight from the rule in the data dictionary."""
    found = Counter()
    for r in rows:
        if not in_period(r.filed_at):
            continue
        if r.first_contact_at is not None:
            found[(key(r), "met" if r.first_contact_at <= r.due_at else "missed")] += 1
        elif r.due_at < (now if r.status in OPEN_STATUSES else r.closed_at):
            found[(key(r), "missed")] += 1
    return found


def check_rate_rows(rows, expected, labels: dict) -> None:
    """Each shown met / missed / denominator / rate equals the direct count; small ones are hidden."""
    body, totals = rows[1:-1], rows[-1]
    for row in body:
        key = labels[row[0]]
        met, missed = expected[(key, "met")], expected[(key, "missed")]
        for shown, true in zip(row[1:4], (met, missed, met + missed), strict=True):
            assert shown == HIDDEN or int(shown) == true, row
            assert shown == HIDDEN or not 0 < true < 5, row
        if HIDDEN not in row[1:4] and met + missed:
            assert row[4] == f"{100 * met / (met + missed):.1f}%"
        else:
            assert row[4] in (HIDDEN, "—")
    total_met = sum(v for (_, k), v in expected.items() if k == "met")
    total = sum(expected.values())
    assert totals[3] == HIDDEN or int(totals[3]) == total
    assert totals[1] == HIDDEN or int(totals[1]) == total_met
    assert_no_line_gives_a_hidden_cell_away([row[:4] for row in rows])


def test_first_contact_rate_by_centre_station_and_month_equals_a_direct_count(app):
    casebook(app)
    rows = stored()
    client = admin(app)
    now = utcnow()
    with models.db.connection_context():
        centres = {c.name_zh: c.id for c in LegalAidCentre.select()}
    by_centre = read_csv(client.get(f"/reports/requests/export?report=deadline_centre&{RANGE}"))
    check_rate_rows(by_centre, expected_deadline(rows, now, lambda r: r.centre_id), {**centres, "未分派": None})
    by_station = read_csv(client.get(f"/reports/requests/export?report=deadline_station&{RANGE}"))
    names = {"徐家汇爱心驿站": "xh-xujiahui", "漕河泾职工幸福驿站": "xh-caohejing", "龙华环卫驿站": "xh-longhua"}
    check_rate_rows(by_station, expected_deadline(rows, now, lambda r: r.station_code), names)
    by_month = read_csv(client.get(f"/reports/requests/export?report=deadline_month&{RANGE}"))
    assert [row[0] for row in by_month[1:-1]] == ["2026-03"]
    check_rate_rows(by_month, expected_deadline(rows, now, lambda r: local_date(r.filed_at).strftime("%Y-%m")),
                    {"2026-03": "2026-03"})
    # The three tables share their totals row: hidden in one, hidden in all.
    assert by_centre[-1][1:4] == by_station[-1][1:4] == by_month[-1][1:4]
    html = client.get(f"/reports/deadlines?{RANGE}").get_data(as_text=True)
    assert 'data-testid="deadline-centre"' in html and "<svg" in html


def test_deadline_rule_open_not_yet_due_is_left_out_open_past_due_is_missed(app):
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    request = file(app, at=at(date(2026, 3, 9), 10))
    assert request.due_at > now and deadline_outcome(request, now) is None
    assert deadline_outcome(request, request.due_at + timedelta(seconds=1)) == "missed"
    request.first_contact_at = request.due_at
    assert deadline_outcome(request, now) == "met"  # at the due time is within it
    request.first_contact_at = request.due_at + timedelta(minutes=1)
    assert deadline_outcome(request, now) == "missed"
    request.first_contact_at, request.status, request.closed_at = None, "withdrawn", now
    assert deadline_outcome(request, now) is None  # withdrawn before the deadline, never contacted


def test_small_counts_show_as_less_than_five_and_the_rate_with_them(app):
    for n in range(12):
        r = file(app, station="xh-xujiahui", at=at(date(2026, 3, 2 + n), 10))
        late = n < 2  # two missed: a small cell
        with models.db.connection_context():
            ServiceRequest.update(first_contact_at=r.due_at + timedelta(hours=1 if late else -30)).where(
                ServiceRequest.id == r.id).execute()
    rows = read_csv(admin(app).get(f"/reports/requests/export?report=deadline_station&{RANGE}"))
    assert rows[1][0] == "徐家汇爱心驿站" and rows[1][2] == HIDDEN and rows[1][4] == HIDDEN
    assert HIDDEN in (rows[1][1], rows[1][3])  # and the row cannot give the two back
    assert_no_line_gives_a_hidden_cell_away([row[:4] for row in rows])


def test_requests_by_type_and_outcome_equal_a_direct_count(app):
    casebook(app)
    rows = stored()
    outcome = {"closed_resolved": "已解决", "closed_unresolved": "未解决", "withdrawn": "已撤回", "referred": "已转介"}
    expected = Counter((r.service, outcome.get(r.status, "办理中")) for r in rows if in_period(r.filed_at))
    table = read_csv(admin(app).get(f"/reports/requests/export?report=types&{RANGE}"))
    assert table[0][1:] == ["办理中", "已转介", "已解决", "未解决", "已撤回", "合计"]
    names = {"法律援助": "legal_aid", "困难帮扶": "hardship_aid", "心理疏导": "counselling", "健康体检": "health_check",
             "其他求助": "other"}
    hidden = 0
    for row in table[1:-1]:
        for label, shown in zip(table[0][1:-1], row[1:-1], strict=True):
            true = expected[(names[row[0]], label)]
            hidden += shown == HIDDEN
            assert shown == HIDDEN or (int(shown) == true and not 0 < true < 5)
    assert hidden and int(table[-1][-1]) == sum(expected.values())
    assert_no_line_gives_a_hidden_cell_away(table)


def test_outcome_summary_and_change_equal_a_direct_count(app):
    casebook(app, count=160)
    rows = stored()
    summary = {row[0]: row[1:] for row in read_csv(admin(app).get(f"/reports/requests/export?report=outcomes&{RANGE}"))}

    def period(first, last):
        closed = [r for r in rows if in_period(r.closed_at, first, last)]
        served = {r.member_no or r.phone_hash for r in closed if r.status in ("closed_resolved", "closed_unresolved")}
        mediated = [r for r in closed if r.mediated]
        won = sum(r.status == "closed_resolved" for r in mediated)
        fen = [r.amount_recovered_fen for r in closed if r.amount_recovered_fen is not None]
        rated = [r.satisfaction for r in closed if r.satisfaction is not None]
        filed = sum(in_period(r.filed_at, first, last) for r in rows)
        return {"people": len(served), "cases": filed, "mediation": (won, len(mediated)), "fen": sum(fen),
                "amounts": len(fen), "rated": rated}

    now, before = period(FIRST, LAST), period(*PREVIOUS)
    assert summary["服务人数"][:2] == [str(now["people"]), str(before["people"])]
    # A change starts with + or -: the CSV keeps it as text behind an apostrophe (formula escaping).
    assert summary["服务人数"][2].lstrip("'").startswith(f"{now['people'] - before['people']:+d}")
    assert summary["求助件数"][:2] == [str(now["cases"]), str(before["cases"])]
    def rate(won, tried):  # shown only when neither the successes nor the failures are 1 to 4
        return HIDDEN if 0 < won < 5 or 0 < tried - won < 5 else f"{100 * won / tried:.1f}%"

    won, tried = now["mediation"]
    assert summary["调解成功率"][:2] == [rate(won, tried), rate(*before["mediation"])]
    if HIDDEN not in summary["调解成功率"][:2]:
        assert summary["调解成功率"][2].lstrip("'") == \
            f"{100 * won / tried - 100 * before['mediation'][0] / before['mediation'][1]:+.1f} pp"
    else:
        assert summary["调解成功率"][2] == "—"
    assert summary["挽回金额（元）"][0] == f"{now['fen'] // 100:,}.{now['fen'] % 100:02d}"
    assert summary["平均满意度（评分数）"][0] == f"{sum(now['rated']) / len(now['rated']):.2f}"
    page = admin(app).get(f"/reports/outcomes?{RANGE}").get_data(as_text=True)
    assert (f"({won} / {tried})" in page or summary["调解成功率"][0] == HIDDEN) and "13812340" not in page


def test_a_small_period_hides_its_figures_and_their_change(app):
    for n, status in enumerate(["closed_resolved", "closed_resolved", "closed_unresolved"]):
        r = file(app, station="xh-xujiahui", at=at(date(2026, 3, 3 + n), 10), phone=f"1390000000{n}")
        with models.db.connection_context():
            ServiceRequest.update(status=status, closed_at=r.filed_at + timedelta(days=1), mediated=True,
                                  amount_recovered_fen=50_000, satisfaction=5).where(
                ServiceRequest.id == r.id).execute()
    summary = {row[0]: row[1:] for row in read_csv(admin(app).get(f"/reports/requests/export?report=outcomes&{RANGE}"))}
    assert summary["服务人数"] == [HIDDEN, "0", "—"]
    assert summary["调解成功率"][0] == HIDDEN and summary["挽回金额（元）"][0] == HIDDEN
    assert summary["平均满意度（评分数）"][0] == HIDDEN and summary["求助件数"][0] == HIDDEN


def test_satisfaction_by_service_equals_a_direct_count(app):
    casebook(app, count=160)
    rows = [r for r in stored() if in_period(r.closed_at) and r.satisfaction is not None]
    table = read_csv(admin(app).get(f"/reports/requests/export?report=satisfaction&{RANGE}"))
    legal = [r.satisfaction for r in rows if r.service == "legal_aid"]
    row = next(row for row in table if row[0] == "法律援助")
    assert row[1] == str(len(legal)) and row[2] == f"{sum(legal) / len(legal):.2f}"
    for row in table[1:-1]:
        assert (row[1] == HIDDEN) == (row[2] == HIDDEN)


def test_roles_see_their_scope_and_never_names_or_phones(app):
    casebook(app)
    rows = stored()
    manager = app.test_client()
    login(manager, "manager", "manager-demo")
    table = read_csv(manager.get(f"/reports/requests/export?report=deadline_station&{RANGE}"))
    assert {row[0] for row in table[1:-1]} <= {"徐家汇爱心驿站", "漕河泾职工幸福驿站"}
    federation = app.test_client()
    login(federation, "federation", "federation-demo")
    for url in (f"/reports/requests?{RANGE}", f"/reports/deadlines?{RANGE}", f"/reports/outcomes?{RANGE}"):
        html = federation.get(url).get_data(as_text=True)
        assert federation.get(url).status_code == 200
        assert "1381234" not in html and "M000" not in html and "张师傅" not in html
    with models.db.connection_context():
        user = models.StaffUser.get(models.StaffUser.username == "caseworker")
        centre = CentreMember.centre_of(user)
    caseworker = app.test_client()
    login(caseworker, "caseworker", "caseworker-demo")
    assert caseworker.get(f"/reports/requests?{RANGE}").status_code == 403
    assert caseworker.get(f"/reports/outcomes?{RANGE}").status_code == 403
    assert caseworker.get(f"/reports/?{RANGE}").status_code == 403
    assert caseworker.get(f"/reports/requests/export?report=types&{RANGE}").status_code == 400
    table = read_csv(caseworker.get(f"/reports/requests/export?report=deadline_centre&{RANGE}"))
    assert [row[0] for row in table[1:-1]] == [centre.name_zh]
    expected = expected_deadline(rows, utcnow(), lambda r: r.centre_id)
    total = expected[(centre.id, "met")] + expected[(centre.id, "missed")]
    assert table[-1][3] in (HIDDEN, str(total))
    assert 'href="/reports/deadlines' in caseworker.get(f"/reports/deadlines?{RANGE}").get_data(as_text=True)


def test_request_pages_answer_htmx_with_the_fragment_the_page_includes(app):
    casebook(app, count=30)
    client = admin(app)
    for url in (f"/reports/requests?{RANGE}", f"/reports/deadlines?{RANGE}", f"/reports/outcomes?{RANGE}"):
        assert "<table" in assert_fragment_and_page(client, url, "report")
    assert client.get(f"/reports/requests/export?report=nope&{RANGE}").status_code == 400
    assert client.get("/reports/deadlines?from=2026-02-30").status_code == 400


def test_linked_tables_hide_a_shared_figure_in_both():
    first = (["a"], ["x", "y"], [[3, 40]])                   # one row: its totals row is hidden with it
    second = (["c", "d"], ["x", "y"], [[10, 20], [8, 20]])   # nothing small of its own
    alone = suppress_linked([second], [])[0]
    one, two = suppress_linked([first, second], [[(0, 1, c), (1, 2, c)] for c in range(3)])
    assert one.hidden[1][0] and one.hidden[1][1] and not any(map(any, alone.hidden))
    for c in range(3):
        assert one.hidden[1][c] == two.hidden[2][c]
