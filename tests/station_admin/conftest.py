"""What the central app's tests share: signing in, and the reports' app, dates and checks."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from devices.protocol import events
from station_admin.core import models
from station_admin.core.privacy import HIDDEN
from station_admin.node.ingest import on_events
from tests.conftest import csrf_of


def login(client, username, password, next_url=None):
    """Sign a test client in through the login form (its response is returned)."""
    client.get("/auth/login")
    url = "/auth/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password, "csrf_token": csrf_of(client)})


def signed_in(app, username):
    """A test client signed in as a demo user (`None`: anonymous), with its anti-forgery token."""
    client = app.test_client()
    if username:
        login(client, username, f"{username}-demo")
    client.get("/auth/login")  # a page gives the (new) session its anti-forgery token
    return client


# --- reports: an app with small pages, two weeks of June 2025 ----------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST = date(2025, 6, 2)  # a Monday
LAST = date(2025, 6, 15)
RANGE = f"from={FIRST}&to={LAST}"


@pytest.fixture
def app(central_settings, tmp_path):
    """A migrated central app with the demo organisation, small usage-log pages and its own export folder."""
    from station_admin import create_app

    settings = central_settings(template="seeded", reports={"page_size": 7, "export_dir": str(tmp_path / "exports")})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    yield app
    models.db.close()


@pytest.fixture
def job_workers(app, running):
    """Background job workers in this process, on the app's database and settings (as `waystation central`)."""
    from station_admin.core.jobs import JobRunner
    from waystation.web import SETTINGS

    return running.start(JobRunner(app.extensions[SETTINGS]))


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time on a day, in UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def ingest(station: str, moments: list[datetime], member_no: str | None = None) -> list[events.StationEvent]:
    """Store check-ins at these moments as ingest would; the events."""
    body = events.CheckIn("card", member_no) if member_no else events.CheckIn()
    batch = [events.StationEvent(station, events.new_event_id(), n, ts, body) for n, ts in enumerate(moments, 1)]
    with models.db.connection_context():
        on_events(batch)
    return batch


def read_csv(response) -> list[list[str]]:
    """The rows of a CSV export, which must start with a UTF-8 byte-order mark."""
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte-order mark: Excel on Chinese Windows would read GBK"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def admin(app):
    """A test client signed in as the demo admin."""
    client = app.test_client()
    login(client, "admin", "admin-demo")
    return client


def assert_no_line_gives_a_hidden_cell_away(table: list[list[str]]) -> None:
    """In an exported grid (header row and label column dropped), no row or column has exactly one "*"."""
    grid = [row[1:] for row in table[1:]]
    for line in [*grid, *zip(*grid, strict=True)]:
        assert list(line).count(HIDDEN) != 1, f"a suppressed cell can be rebuilt from {line}"
