"""The charger report: sessions by how they ended, energy, utilisation and faults equal a direct
computation over the raw rows; small counts hidden with what would give them away; roles; CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from station_admin.core import models
from station_admin.live.charging import ChargerSlotEvent, ChargeSession
from tests.htmx import assert_fragment_and_page
from tests.station_admin.conftest import FIRST, LAST, RANGE, admin, local, login

DAY = timedelta(days=1)


def charge(n: int, station: str, start, hours: float, reason: str | None, wh: int) -> None:
    ChargeSession.create(session_id=f"{station}-{n:04d}", station_code=station, slot=1 + n % 4,
                         started_at=start, ended_at=start + timedelta(hours=hours) if reason else None,
                         energy_wh=wh, limit_s=14400, end_reason=reason, reported_at=start)


def seed():
    """Xujiahui: 12 sessions in range (one across the range's end), one before it overlapping the start;
    Caohejing: 3 sessions (a small count); faults at both."""
    with models.db.connection_context():
        for n in range(11):
            charge(n, "xh-xujiahui", local(FIRST + n * DAY, 12), 2, "full" if n % 3 else "unplugged", 500 + n)
        charge(11, "xh-xujiahui", local(LAST, 23), 4, "time_limit", 900)  # runs 3 h past the range
        charge(12, "xh-xujiahui", local(FIRST - DAY, 22), 4, "full", 700)  # 2 h inside the range
        for n in range(3):
            charge(n, "xh-caohejing", local(FIRST + n * DAY, 9), 1, "full", 300)
        for n, (code, status) in enumerate([("xh-xujiahui", "faulted"), ("xh-xujiahui", "available"),
                                            ("xh-xujiahui", "faulted"), ("xh-caohejing", "faulted")]):
            ChargerSlotEvent.create(station_code=code, slot=1, status=status, reported_at=local(FIRST, 8, n))


def rows_of(client, url: str) -> dict[str, list[str]]:
    text = client.get(url).get_data(as_text=True)
    assert text.startswith("\ufeff")
    return {row[0]: row[1:] for row in csv.reader(io.StringIO(text.lstrip("\ufeff")))}


def test_charger_figures_equal_a_direct_computation(app):  # noqa: F811
    seed()
    client = admin(app)
    use = rows_of(client, f"/reports/chargers/export?report=chargers&{RANGE}&by=station")
    xujiahui = use["徐家汇爱心驿站"]
    assert xujiahui[0] == "12"  # sessions started in range
    assert xujiahui[1] == f"{sum(500 + n for n in range(11)) / 1000 + 0.9:.1f}"
    range_hours = ((LAST - FIRST).days + 1) * 24
    charging_hours = 11 * 2 + 1 + 2  # eleven 2-hour sessions, the last one's first hour, the earlier one's last 2
    assert xujiahui[2] == f"{100 * charging_hours / (8 * range_hours):.1f}"  # 8 slots
    assert xujiahui[3] == "2"  # faults: changes into faulted
    caohejing = use["漕河泾职工幸福驿站"]
    assert caohejing[:3] == ["*", "*", "*"] and caohejing[3] == "1"  # energy and use hide with the count
    # Columns: Caohejing, Longhua, Xujiahui, total. Caohejing's 3 hide, and Longhua's 0 with them, or the
    # totals (10 full, 15 in all) less Xujiahui's shown figures would give the 3 away.
    ended = rows_of(client, f"/reports/chargers/export?report=sessions&{RANGE}&by=station")
    assert ended["充满"] == ["*", "*", "7", "10"] and ended["合计"] == ["*", "*", "12", "15"]
    assert use["龙华环卫驿站"][0] == "*"
    by_district = rows_of(client, f"/reports/chargers/export?report=sessions&{RANGE}&by=district")
    assert by_district["充满"][0] == "10" and by_district["拔出"][0] == "*" and by_district["到达时限"][0] == "*"
    assert by_district["仍在充电"][0] == "0"


def test_utilisation_counts_sessions_that_began_before_the_range(app):  # noqa: F811
    """Hand-counted: 5 of Caohejing's 8 slots charge through the whole range on sessions begun the week before
    (none starts in the range, so no session count), Longhua's 4 and Xujiahui's 8 stay idle:
    62.5 %, 0.0 %, 0.0 %, and 25.0 % in all."""
    with models.db.connection_context():
        for n in range(5):
            ChargeSession.create(session_id=f"long-{n}", station_code="xh-caohejing", slot=n + 1,
                                 started_at=local(FIRST - 7 * DAY, 8), ended_at=None, energy_wh=0, limit_s=10**7,
                                 end_reason=None, reported_at=local(FIRST - 7 * DAY, 8))
    use = rows_of(admin(app), f"/reports/chargers/export?report=chargers&{RANGE}&by=station")
    assert use["漕河泾职工幸福驿站"][:3] == ["0", "0", "62.5"]
    assert use["龙华环卫驿站"][:3] == ["0", "0", "0.0"]
    assert use["徐家汇爱心驿站"][2] == "0.0"
    assert use["合计"][2] == f"{100 * 5 / 20:.1f}"  # 5 of the scope's 20 slots (8 + 4 + 8)


def test_chargers_page_and_fragment_and_scope(app):  # noqa: F811
    seed()
    client = admin(app)
    assert_fragment_and_page(client, f"/reports/chargers?{RANGE}&by=station", "report")
    manager = app.test_client()
    login(manager, "manager", "manager-demo")
    page = manager.get(f"/reports/chargers?{RANGE}&by=station").get_data(as_text=True)
    assert 'data-place="xh-xujiahui"' in page and 'data-place="xh-longhua"' not in page
    assert client.get("/reports/chargers/export?report=nope").status_code == 400
    worker = app.test_client()
    login(worker, "caseworker", "caseworker-demo")
    assert worker.get("/reports/chargers").status_code == 403
