"""The live dashboard and the JSON API: scope by role, page and fragment, live state from real devices."""

from __future__ import annotations

import random

from devices.agents.charger import ChargerAgent
from devices.agents.people_counter import PeopleCounterAgent
from devices.simulators.charger import SimulatedChargerHardware
from station_admin.demo.seed import DEMO_TOKEN
from station_admin.node.ingest import IngestWorker
from tests.conftest import wait_until
from tests.htmx import HX, assert_fragment_and_page
from tests.station_admin.conftest import login


def codes(html):
    import re

    return re.findall(r'data-station="([a-z0-9-]+)"', html)


def test_admin_sees_every_station_manager_only_theirs(central_app):
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    assert codes(client.get("/").get_data(as_text=True)) == ["xh-caohejing", "xh-longhua", "xh-xujiahui"]
    client = central_app.test_client()
    login(client, "manager", "manager-demo")
    assert codes(client.get("/").get_data(as_text=True)) == ["xh-caohejing", "xh-xujiahui"]
    client = central_app.test_client()
    login(client, "federation", "federation-demo")
    assert len(codes(client.get("/").get_data(as_text=True))) == 3


def test_dashboard_fragment_is_the_page_part(central_app):
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    fragment = assert_fragment_and_page(client, "/dashboard/stations", "stations")
    assert "从未连接" in fragment  # nothing has connected yet


def test_api_with_bearer_token_and_without(central_app):
    client = central_app.test_client()
    body = client.get("/api/v1/stations", headers={"Authorization": f"Bearer {DEMO_TOKEN}"}).get_json()
    assert [s["code"] for s in body["stations"]] == ["xh-caohejing", "xh-longhua", "xh-xujiahui"]
    first = body["stations"][0]
    assert first["online"] is False and first["charger_slots"] == ["unknown"] * 8 and first["people_inside"] is None
    assert client.get("/api/v1/stations").status_code == 401
    assert client.get("/api/v1/stations", headers={"Authorization": "Bearer wst_wrong"}).status_code == 401
    login(client, "manager", "manager-demo")
    assert len(client.get("/api/v1/stations").get_json()["stations"]) == 2


def test_simulated_devices_show_on_the_dashboard(shared_mosquitto, central_app, central_settings, running):
    settings = central_settings(shared_mosquitto.url)
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    counter = running.start(PeopleCounterAgent(settings.broker, "xh-longhua"))
    hardware = SimulatedChargerHardware(4, random.Random(7))
    charger = running.start(ChargerAgent(settings.broker, "xh-longhua", hardware))
    wait_until(lambda: counter.link.connected.is_set() and charger.link.connected.is_set(), message="devices up")
    client = central_app.test_client()
    login(client, "admin", "admin-demo")

    def card():
        from tests.htmx import element

        html = client.get("/dashboard/stations", headers=HX).get_data(as_text=True)
        return element(html, "stations").split('data-station="xh-longhua"')[1].split("</article>")[0]

    counter.crossed(entered=3)
    wait_until(lambda: 'data-testid="people">3 / 12<' in card(), message="3 people on the dashboard")
    hardware.set_enabled(2, False)
    hardware.slots[3].status = hardware.slots[3].status.FAULTED
    charger.poll()
    wait_until(lambda: 'data-status="unavailable"' in card() and 'data-status="faulted"' in card(),
               message="slot changes on the dashboard")
    assert card().count('data-status="available"') == 2
    counter.crossed(exited=1)
    wait_until(lambda: 'data-testid="people">2 / 12<' in card(), message="2 people on the dashboard")

    charger.stop()  # a clean stop says offline: every slot shows offline
    wait_until(lambda: card().count('data-status="offline"') == 4, message="slots offline")


def test_a_devices_clock_offset_is_shown_on_its_badge(central_app):
    """The offset central measured at the last heartbeat (device minus central) is on the device's badge."""
    from datetime import timedelta

    from devices.protocol import availability, heartbeat, utcnow
    from station_admin.core.models import db
    from station_admin.node.ingest import on_availability, on_heartbeat

    received = utcnow()
    with central_app.app_context(), db.connection_context():
        on_availability(availability.Availability("xh-longhua", "charger",
                                                  availability.DeviceKind.CHARGER_CONTROLLER, True))
        on_heartbeat(heartbeat.Heartbeat("xh-longhua", "charger", received - timedelta(minutes=10)), received)
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    page = client.get("/").get_data(as_text=True)
    assert 'data-clock-offset="-600"' in page and "相差 -600 秒" in page


def test_the_alarm_strip_counts_every_open_alarm_in_the_database_and_lists_the_first_most_severe(central_app):
    """A province has tens of thousands of open alarms: the strip counts them by severity and lists the
    first eight (critical first, newest first), without loading the rest; a manager's strip only theirs."""
    import re
    from datetime import timedelta

    from devices.protocol import utcnow
    from station_admin.core.models import db
    from station_admin.live.alarms import STRIP_LIMIT, Alarm

    now = utcnow()
    with central_app.app_context(), db.connection_context():
        rows = [{"kind": "occupancy_high", "source": f"xh-longhua#{n}", "station_code": "xh-longhua",
                 "severity": "warning", "raised_at": now - timedelta(minutes=n), "details": "{}",
                 "open_key": f"occupancy_high|xh-longhua#{n}"} for n in range(40)]
        rows += [{"kind": "device_offline", "source": f"xh-xujiahui/d{n}", "station_code": "xh-xujiahui",
                  "severity": "critical", "raised_at": now - timedelta(hours=1, minutes=n), "details": "{}",
                  "open_key": f"device_offline|xh-xujiahui/d{n}"} for n in range(5)]
        Alarm.insert_many(rows).execute()
        Alarm.update(cleared_at=now, open_key=None).where(Alarm.source == "xh-longhua#39").execute()  # cleared
    client = central_app.test_client()
    login(client, "admin", "admin-demo")
    strip = client.get("/alarms/strip").get_data(as_text=True)
    listed = re.findall(r'data-source="([^"]+)" data-open="true"', strip)
    assert listed == [f"xh-xujiahui/d{n}" for n in range(5)] + [f"xh-longhua#{n}" for n in range(STRIP_LIMIT - 5)]
    assert "44 条未处理的告警" in strip and "严重 5" in strip and "警告 39" in strip
    assert f"还有 {44 - STRIP_LIMIT} 条" in strip
    client = central_app.test_client()
    login(client, "manager", "manager-demo")  # Caohejing and Xujiahui: the five critical ones only
    strip = client.get("/alarms/strip").get_data(as_text=True)
    assert re.findall(r'data-source="([^"]+)" data-open="true"', strip) == [f"xh-xujiahui/d{n}" for n in range(5)]
