"""Station health at central: a kiosk's report over the real broker is stored with central's clock offset,
shown on the dashboard card, and raises (and clears) the health alarms by the configured bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

import waystation
from devices.mqtt import MqttLink
from devices.protocol.health import Health
from station_admin.core.models import db
from station_admin.live import alarms, health
from station_admin.live.health import StationHealth, on_health, version_key
from station_admin.node.ingest import IngestWorker
from tests.conftest import wait_until
from tests.htmx import HX, element
from tests.station_admin.test_auth import login

T0 = datetime(2026, 11, 21, 6, 30, tzinfo=UTC)
GB = 2**30


def report(ts=T0, version=waystation.__version__, disk=20 * GB, pending=0, oldest=None, station="xh-longhua"):
    return Health(station, "kiosk", ts, version, 3600, disk, 5 * 2**20, pending, oldest, ts - timedelta(seconds=30))


def received_at(monkeypatch, moment):
    monkeypatch.setattr(health, "utcnow", lambda: moment)


def test_a_report_over_the_broker_is_stored_and_shown_on_the_card(shared_mosquitto, central_app, central_settings,
                                                                  running):
    settings = central_settings(shared_mosquitto.url)
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    kiosk = running.start(MqttLink(settings.broker, "xh-longhua.kiosk"))
    wait_until(kiosk.connected.is_set, message="kiosk connected")
    sent = report(ts=datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=42), pending=3, oldest=600)
    kiosk.publish(sent)

    def stored():
        with central_app.app_context(), db.connection_context():
            return StationHealth.get_or_none(StationHealth.station_code == "xh-longhua")
    row = wait_until(stored, message="the report at central")
    assert -45 < row.clock_offset_s <= -41  # the kiosk's clock is 42 s behind central's, by central's clock
    assert (row.version, row.outbox_pending, row.outbox_oldest_age_s, row.disk_free_mb) == (
        waystation.__version__, 3, 600, 20 * 1024)
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    html = client.get("/dashboard/stations", headers=HX).get_data(as_text=True)
    card = element(html, "stations").split('data-station="xh-longhua"')[1].split("</article>")[0]
    assert 'data-testid="health"' in card
    line = card.split('data-testid="health"')[1].split("</p>")[0]
    assert "20480 MB" in line and "时钟偏差 -4" in line and "3 条未同步" in line and "最早 10 分钟前" in line
    assert 'class="warn" data-testid="clock"' in line  # 42 s is beyond the 30 s bound


def test_an_older_report_never_overwrites_a_newer_one(central_app, monkeypatch):
    with central_app.app_context(), db.connection_context():
        received_at(monkeypatch, T0 + timedelta(seconds=1))
        on_health(report(ts=T0, pending=2, oldest=5))
        on_health(report(ts=T0 - timedelta(minutes=1), pending=9, oldest=99))
        assert StationHealth.get().outbox_pending == 2
        on_health(report(ts=T0 + timedelta(seconds=1)))
        assert (StationHealth.select().count(), StationHealth.get().outbox_pending) == (1, 0)


def test_version_order():
    assert version_key("0.10.0") > version_key("0.9.9") > version_key("0.9") and version_key("1.0") == (1, 0)


@pytest.mark.parametrize("kind, sent, then", [
    ("disk_low", {"disk": 500 * 2**20}, {"disk": 2 * GB}),
    ("version_behind", {"version": "0.0.9"}, {"version": waystation.__version__}),
    ("outbox_old", {"pending": 4, "oldest": 901}, {"pending": 1, "oldest": 10}),
])
def test_each_health_alarm_is_raised_and_cleared_by_its_condition(central_app, monkeypatch, kind, sent, then):
    settings = central_app.extensions["waystation.settings"].alarms
    with central_app.app_context(), db.connection_context():
        received_at(monkeypatch, T0)
        on_health(report(**sent))
        alarms.evaluate(T0, settings)
        alarm = alarms.Alarm.get(alarms.Alarm.kind == kind)
        assert alarm.is_open and alarm.source == "xh-longhua/kiosk" and alarm.station_code == "xh-longhua"
        assert {a.kind for a in alarms.Alarm.open()} == {kind}  # nothing else is wrong with this kiosk
        on_health(report(ts=T0 + timedelta(seconds=1), **then))
        alarms.evaluate(T0 + timedelta(seconds=2), settings)
        assert not alarms.Alarm.get_by_id(alarm.id).is_open


def test_clock_offset_beyond_the_bound_either_way_raises_an_alarm(central_app, monkeypatch):
    settings = central_app.extensions["waystation.settings"].alarms
    with central_app.app_context(), db.connection_context():
        received_at(monkeypatch, T0 - timedelta(seconds=31))  # the kiosk's clock runs 31 s ahead
        on_health(report(ts=T0))
        alarms.evaluate(T0, settings)
        assert alarms.Alarm.get(alarms.Alarm.kind == "clock_off").details["offset_s"] == 31.0
        on_health(report(ts=T0 + timedelta(seconds=1)), T0 + timedelta(seconds=40))  # now 39 s behind
        alarms.evaluate(T0 + timedelta(seconds=40), settings)
        assert alarms.Alarm.get(alarms.Alarm.kind == "clock_off").details["offset_s"] == 31.0  # still open
        on_health(report(ts=T0 + timedelta(seconds=2)), T0 + timedelta(seconds=30))  # 28 s behind: within
        alarms.evaluate(T0 + timedelta(seconds=30), settings)
        assert not alarms.Alarm.open().exists()


def test_a_silent_kiosk_s_outbox_age_is_judged_by_central_s_clock(central_app, monkeypatch):
    settings = central_app.extensions["waystation.settings"].alarms
    with central_app.app_context(), db.connection_context():
        received_at(monkeypatch, T0)
        on_health(report(pending=1, oldest=60))
        alarms.evaluate(T0 + timedelta(seconds=800), settings)
        assert not alarms.Alarm.open().exists()
        alarms.evaluate(T0 + timedelta(seconds=900), settings)
        assert alarms.Alarm.get(alarms.Alarm.kind == "outbox_old").details["age_s"] == 960
