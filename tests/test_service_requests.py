"""A request for legal aid from an offline kiosk to its closing, through a real broker:
filed offline → broker back → routed and dated at central → first contact → closed with an outcome →
the rider rates it on the tracking page."""

from __future__ import annotations

import re

import pytest

from kiosk.node import KioskNode
from tests.conftest import csrf_of, wait_until
from tests.station_admin.conftest import login

pytestmark = pytest.mark.timeout(120)


def test_offline_request_reaches_its_centre_and_is_closed_and_rated(mosquitto, running, central_settings,
                                                                    kiosk_settings):
    from kiosk import create_app as create_kiosk
    from kiosk import models as kiosk_models
    from station_admin import create_app
    from station_admin.core import models
    from station_admin.node.central import CentralNode
    from station_admin.requests.models import ServiceRequest

    # Central, with the kiosk's station configured and its keys published, as in production.
    settings = central_settings(mosquitto.url, template="seeded", central={"public_url": "http://central.test",
                                                                           "trust_publish_seconds": 0.5})
    central = create_app(settings.as_dict())
    central.config["TESTING"] = True
    running.start(CentralNode(settings, central.extensions["waystation.protector"]))

    kiosk_config = kiosk_settings(mosquitto.url, migrated=True)
    kiosk = create_kiosk(kiosk_config.as_dict())
    kiosk.config["TESTING"] = True
    node = KioskNode(kiosk_config)
    kiosk.extensions["waystation.outbox_wake"] = node.publisher.wake
    kiosk.extensions["waystation.broker_connected"] = node.link.connected
    running.start(node)

    def kiosk_ready():
        with kiosk.app_context():
            info = kiosk_models.StationInfo.for_station("xh-xujiahui")
            return info.districts != "[]" and kiosk_models.TrustedKey.get_or_none(
                kiosk_models.TrustedKey.kid == "sealing")
    wait_until(kiosk_ready, message="the station config and sealing key at the kiosk")

    # The broker goes away; a rider who is not a member asks for legal aid about unpaid wages.
    mosquitto.stop()
    wait_until(lambda: not node.link.connected.is_set(), message="the kiosk to notice the outage")
    screen = kiosk.test_client()
    screen.get("/service/")
    form = {"csrf_token": csrf_of(screen)}
    screen.post("/service/legal_aid", data={**form, "matter": "wages", "work": "delivery"})
    screen.post("/service/identify/phone", data={**form, "phone": "13912345678"})
    screen.post("/service/details", data={**form, "district": "xuhui", "best_time": "evening"})
    screen.post("/service/confirm", data=form)
    receipt = screen.get("/service/receipt").get_data(as_text=True)
    code = re.search(r'data-testid="tracking-code">([A-Z0-9]+)<', receipt).group(1)
    assert 'data-testid="receipt-offline"' in receipt

    # The broker is back: the request reaches central, routed to Xuhui's legal-aid centre with a due time.
    mosquitto.start()

    def filed():
        with models.db.connection_context():
            return ServiceRequest.get_or_none(ServiceRequest.tracking_code == code)
    request = wait_until(filed, timeout=30, message="the request at central")
    assert request.status == "assigned" and request.centre.district.code == "xuhui" and request.due_at
    with kiosk.app_context():
        wait_until(lambda: kiosk_models.OutboxEvent.pending_count() == 0, message="central's receipt at the kiosk")

    # The case worker calls the rider, then closes the case: mediated, 3,200 yuan recovered.
    staff = central.test_client()
    login(staff, "caseworker", "caseworker-demo")
    case = staff.get(f"/requests/{request.id}").get_data(as_text=True)
    assert "139****5678" in case and "13912345678" not in case
    token = csrf_of(staff)
    assert staff.post(f"/requests/{request.id}/act/contact", data={"csrf_token": token}).status_code in (200, 303)
    closed = staff.post(f"/requests/{request.id}/act/close",
                        data={"csrf_token": token, "resolved": "yes", "mediated": "yes", "amount": "3200"})
    assert closed.status_code in (200, 303)
    with models.db.connection_context():
        done = ServiceRequest.get_by_id(request.id)
    assert done.status == "closed_resolved" and done.first_contact_at and done.amount_recovered_fen == 320000

    # The rider looks it up on the phone with the code and the last four digits, and rates it.
    phone = central.test_client()
    phone.get("/m/track")
    found = phone.post("/m/track", data={"csrf_token": csrf_of(phone), "code": code, "last4": "5678"})
    assert found.status_code == 200 and "13912345678" not in found.get_data(as_text=True)
    phone.post("/m/track/rate", data={"csrf_token": csrf_of(phone), "code": code, "score": "5"})
    with models.db.connection_context():
        assert ServiceRequest.get_by_id(request.id).satisfaction == 5
