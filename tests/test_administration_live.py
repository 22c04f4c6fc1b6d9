"""Administration with everything running: a real broker, central's node, a kiosk and devices.

From an empty database: the first admin from the command line, a district, a legal-aid centre and a
station with 4 charger slots made on the admin pages; a device publishing for the station shows on
the dashboard and in the API, a legal-aid request filed there routes to that centre; a station code
nobody created is shown as unknown; a station change reaches a running kiosk without a restart.
"""

from __future__ import annotations

import os
import subprocess
import sys

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol import charger, events, join, occupancy, utcnow
from station_admin.core.models import StaffUser, db
from station_admin.core.unknown import UnknownStation
from station_admin.requests.models import LegalAidCentre, ServiceRequest
from tests.brokers import TEST_ACCOUNT
from tests.charging_helpers import STATION, start_central, start_kiosk
from tests.conftest import csrf_of, wait_until
from tests.station_admin.requests_helpers import body
from waystation.paths import PROJECT_ROOT

PASSWORD = "Hx7-plover-basin"


def publisher(port: int):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    client.username_pw_set(*TEST_ACCOUNT)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def send(client, topic_root: str, *messages) -> None:
    for message in messages:
        client.publish(join(topic_root, message.topic), message.to_payload(), qos=1,
                       retain=getattr(message, "RETAIN", False)).wait_for_publish(10)


def post(client, url, **data):
    return client.post(url, data={**data, "csrf_token": csrf_of(client)})


def start_empty_central(running, central_settings, broker_url):
    """Central on an empty, migrated database with its node running (no demo data)."""
    from station_admin import create_app, migrations
    from station_admin.core import models
    from station_admin.node.central import CentralNode
    from waystation.db import migrate

    settings = central_settings(broker_url, central={"config_publish_seconds": 0.2})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    migrate(models.db, migrations.MIGRATIONS)
    node = running.start(CentralNode(settings, app.extensions["waystation.protector"]))
    wait_until(node.link.subscribed.is_set, message="central subscribed")
    return app, settings


def test_from_an_empty_database_to_a_live_station_whose_requests_route_to_its_centre(
        shared_mosquitto, running, central_settings, topic_root):
    app, settings = start_empty_central(running, central_settings, shared_mosquitto.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WAYSTATION_")}
    made = subprocess.run([sys.executable, "-m", "waystation.cli", "users", "add", "root", "--role", "admin"],
                          input=PASSWORD + "\n", capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT,
                          env={**env, "WAYSTATION_DATABASE_URL": settings.database.url})
    assert made.returncode == 0, made.stderr

    admin = app.test_client()
    admin.get("/auth/login")
    assert post(admin, "/auth/login", username="root", password=PASSWORD).status_code == 303
    admin.get("/auth/login")
    assert post(admin, "/admin/federations", code="wx", name_zh="无锡市总工会",
                name_en="Wuxi Federation").status_code == 303
    assert post(admin, "/admin/districts", code="liangxi", federation="wx", name_zh="梁溪区总工会",
                name_en="Liangxi District").status_code == 303
    assert post(admin, "/admin/centres", district="liangxi", name_zh="梁溪区职工法律援助中心",
                name_en="Liangxi Legal Aid Centre").status_code == 303

    counter = publisher(shared_mosquitto.port)
    # A device for a station nobody has created yet: kept, and shown to admins as unknown.
    send(counter, topic_root, occupancy.Occupancy("wx-nanchang", 2, 5, 3, utcnow()))

    def unknown_listed():
        with app.app_context(), db.connection_context():
            return UnknownStation.get_or_none(UnknownStation.station_code == "wx-nanchang")

    wait_until(unknown_listed, timeout=15, message="the unknown station noted")
    page = admin.get("/admin/stations").get_data(as_text=True)
    assert "未登记的驿站正在发送数据" in page and "wx-nanchang" in page and "occupancy × 1" in page
    api = admin.get("/api/v1/stations").get_json()
    assert api["stations"] == []

    created = post(admin, "/admin/stations/new", code="wx-nanchang", district="liangxi", name_zh="南长街爱心驿站",
                   name_en="Nanchang Street Station", address="梁溪区南长街1号", latitude="31.5627",
                   longitude="120.3000", capacity="12", charger_slots="4", services=["seat", "water", "charging"],
                   **{f"hours_{d}": "07:00-12:00, 14:00-21:00" for d in range(7)})
    assert created.status_code == 303, created.get_data(as_text=True)
    now = utcnow()
    send(counter, topic_root, occupancy.Occupancy("wx-nanchang", 3, 6, 3, now),
         *[charger.ChargerSlotState("wx-nanchang", n, charger.SlotStatus.AVAILABLE, 0, 0, now) for n in (1, 2, 3, 4)])

    def live():
        station = next((s for s in admin.get("/api/v1/stations").get_json()["stations"]
                        if s["code"] == "wx-nanchang"), None)
        return station if station and station["people_inside"] == 3 else None

    station = wait_until(live, timeout=15, message="the new station live in the API")
    assert station["capacity"] == 12 and len(station["charger_slots"]) == 4
    assert station["district"] == "liangxi" and station["free_seats"] == 9
    dashboard = admin.get("/").get_data(as_text=True)
    assert 'data-station="wx-nanchang"' in dashboard and "南长街爱心驿站" in dashboard

    request_event = events.StationEvent("wx-nanchang", events.new_event_id(), 1, utcnow(), body(app))
    send(counter, topic_root, request_event)

    def filed():
        with app.app_context(), db.connection_context():
            return ServiceRequest.get_or_none(ServiceRequest.event_id == request_event.event_id)

    request = wait_until(filed, timeout=15, message="the legal-aid request filed")
    with app.app_context(), db.connection_context():
        centre = LegalAidCentre.get(LegalAidCentre.name_en == "Liangxi Legal Aid Centre")
        assert request.centre_id == centre.id and request.status == "assigned"
        assert StaffUser.select().count() == 1
    counter.loop_stop()
    counter.disconnect()


def test_a_station_change_reaches_a_running_kiosk_without_a_restart(
        shared_mosquitto, running, central_settings, kiosk_settings, topic_root):
    central, _ = start_central(running, central_settings, shared_mosquitto.url,
                               central={"trust_publish_seconds": 0.5, "config_publish_seconds": 0.2})
    kiosk, _ = start_kiosk(running, kiosk_settings, shared_mosquitto.url)
    screen = kiosk.test_client()
    counter = publisher(shared_mosquitto.port)
    send(counter, topic_root, occupancy.Occupancy(STATION, 4, 5, 1, utcnow()))
    wait_until(lambda: 'data-testid="free-seats">16<' in screen.get("/").get_data(as_text=True), timeout=15,
               message="the kiosk configured (20 seats, 4 inside)")
    assert "徐家汇爱心驿站" in screen.get("/").get_data(as_text=True)

    admin = central.test_client()
    admin.get("/auth/login")
    assert post(admin, "/auth/login", username="admin", password="admin-demo").status_code == 303
    admin.get("/auth/login")
    changed = post(admin, f"/admin/stations/{STATION}", district="xuhui", name_zh="徐家汇职工之家",
                   name_en="Xujiahui Workers' Home", capacity="26", charger_slots="6", services=["seat"],
                   latitude="31.1952", longitude="121.4367")
    assert changed.status_code == 303, changed.get_data(as_text=True)

    def shown():
        page = screen.get("/").get_data(as_text=True)
        return page if "徐家汇职工之家" in page else None

    page = wait_until(shown, timeout=15, message="the new name on the kiosk's home screen")
    assert 'data-testid="free-seats">22<' in page  # 26 seats now, 4 inside
    counter.loop_stop()
    counter.disconnect()
    from kiosk.models import StationInfo
    with kiosk.app_context():
        info = StationInfo.for_station(STATION)
        assert (info.capacity, info.charger_slots, info.name_en) == (26, 6, "Xujiahui Workers' Home")
