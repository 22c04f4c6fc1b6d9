"""`waystation seed`: realistic history, bulk-inserted, with the rollup equal to a recount of the raw rows."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from station_admin.core import models
from station_admin.rollups.hourly import CheckInHourly, hour_number
from station_admin.rollups.periodic import CheckInDaily, CheckInWeekly
from tests.station_admin.conftest import login
from waystation.cli import main


def test_seed_command_fills_check_ins_and_a_consistent_rollup(central_db_url, monkeypatch, capsys):
    monkeypatch.setenv("WAYSTATION_DATABASE_URL", central_db_url)
    monkeypatch.setenv("WAYSTATION_DEMO", "true")  # the seed adds the demo's published logins: demo mode only
    assert main(["--log-level", "WARNING", "seed", "--stations", "6", "--days", "8", "--per-day", "60",
                 "--seed", "5"]) == 0
    out, err = capsys.readouterr()
    assert "seeded" in out and "100%" in err and "rows" in err  # the progress bar went to the terminal
    with models.db.connection_context():
        raw = Counter((c.station_code, hour_number(c.occurred_at)) for c in models.CheckIn.select())
        rollup = {(r.station_code, r.hour): r.n for r in CheckInHourly.select()}
        assert rollup == raw and 6 * 8 * 20 < sum(raw.values()) < 6 * 8 * 150
        assert len({code for code, _ in raw}) == 6
        assert CheckInHourly.rebuild() == len(rollup)  # a recount finds the same rows
        assert {(r.station_code, r.hour): r.n for r in CheckInHourly.select()} == rollup
        days = Counter()
        for (code, hour), n in raw.items():
            days[(code, hour // 24)] += n
        assert {(r.station_code, r.day): r.n for r in CheckInDaily.select()} == days
        assert sum(getattr(r, f"h{h:02d}") for r in CheckInDaily.select() for h in range(24)) == sum(raw.values())
        weeks = Counter()
        for (code, hour), n in raw.items():
            weeks[(code, hour // 168, hour % 168)] += n
        assert {(r.station_code, r.week, c): getattr(r, f"w{c:03d}") for r in CheckInWeekly.select()
                for c in range(168) if getattr(r, f"w{c:03d}")} == weeks


def test_seeded_history_is_in_the_past(central_db_url, monkeypatch):
    """Today's seeded check-ins stop at now: the usage log never starts with a visit later than the clock."""
    monkeypatch.setenv("WAYSTATION_DATABASE_URL", central_db_url)
    monkeypatch.setenv("WAYSTATION_DEMO", "true")  # the seed adds the demo's published logins: demo mode only
    before = datetime.now(UTC)
    assert main(["--log-level", "WARNING", "seed", "--stations", "4", "--days", "2", "--per-day", "200",
                 "--seed", "7"]) == 0
    after = datetime.now(UTC)
    with models.db.connection_context():
        latest = models.CheckIn.select().order_by(models.CheckIn.occurred_at.desc()).first().occurred_at
        today = models.CheckIn.select().where(models.CheckIn.occurred_at >= before - timedelta(hours=24)).count()
    assert latest <= after
    assert today > 0  # the last day was seeded up to now, not left out


def test_seed_fills_every_report_with_real_figures(central_db_url, monkeypatch, capsys):
    """Charge sessions, feedback and requests worked to their outcomes, all in the past, through the product's
    own paths: the charger, feedback and request reports show figures, not only "*"."""
    monkeypatch.setenv("WAYSTATION_DATABASE_URL", central_db_url)
    monkeypatch.setenv("WAYSTATION_DEMO", "true")
    monkeypatch.setenv("WAYSTATION_CENTRAL_DATA_KEY", "k" * 64)
    monkeypatch.setenv("WAYSTATION_CENTRAL_SECRET_KEY", "s" * 64)
    assert main(["--log-level", "WARNING", "seed", "--stations", "3", "--days", "30", "--per-day", "30",
                 "--seed", "11"]) == 0
    assert "service requests" in capsys.readouterr().out
    from station_admin import create_app
    from station_admin.community.feedback import Feedback
    from station_admin.live.charging import ChargeSession
    from station_admin.requests.models import ServiceRequest

    now = datetime.now(UTC)
    with models.db.connection_context():
        assert ChargeSession.select().count() > 300
        assert ChargeSession.select().where(ChargeSession.ended_at > now).count() == 0
        assert Feedback.select().count() > 60
        closed = ServiceRequest.select().where(ServiceRequest.closed_at.is_null(False)).count()
        assert ServiceRequest.select().count() >= 25 and closed >= 10
        assert ServiceRequest.select().where(ServiceRequest.amount_recovered_fen > 0).count() >= 1
    app = create_app({"database": {"url": central_db_url}})
    client = app.test_client()
    login(client, "federation", "federation-demo")
    chargers = client.get("/reports/chargers/export?report=chargers&by=district").get_data(as_text=True)
    total = [row for row in chargers.splitlines() if row.startswith("合计")][0].split(",")
    assert int(total[1]) > 300 and float(total[3]) > 5  # sessions and utilisation %
    feedback = client.get("/reports/feedback/export?report=satisfaction&by=district").get_data(as_text=True)
    assert "*" not in feedback.splitlines()[-1]
    requests = client.get("/reports/requests/export?report=types&by=district").get_data(as_text=True)
    assert int([row for row in requests.splitlines() if row.startswith("合计")][0].split(",")[-1]) >= 25


def test_seed_refuses_nonsense(capsys):
    assert main(["seed", "--stations", "0"]) == 2
    assert "must be positive" in capsys.readouterr().err
