"""Personal data's whole life across the kiosk → broker → central path (issue 12, part 6): the kiosk
forgets a rider's details once central has them, and neither side writes them to a log."""

from __future__ import annotations

import json
import logging
import re

import pytest

from tests.charging_helpers import start_central, start_kiosk
from tests.conftest import csrf_of, wait_until
from waystation.cli import setup_logging

pytestmark = pytest.mark.timeout(120)

PHONE = "13912344821"


def test_a_filed_request_leaves_no_tracking_code_or_phone_digits_at_the_kiosk_or_in_any_log(
        mosquitto, running, central_settings, kiosk_settings, caplog):
    from kiosk import models as kiosk_models
    from station_admin.core import models
    from station_admin.requests.models import ServiceRequest

    caplog.set_level(logging.DEBUG)
    for name in ("kiosk", "station_admin", "devices", "waystation"):  # whatever earlier tests set
        caplog.set_level(logging.DEBUG, logger=name)
    setup_logging("DEBUG")  # as `waystation ... --log-level DEBUG` does: peewee's queries stay out
    start_central(running, central_settings, mosquitto.url,
                  central={"public_url": "http://central.test", "trust_publish_seconds": 0.5})
    kiosk, _ = start_kiosk(running, kiosk_settings, mosquitto.url)
    kiosk_config = kiosk_settings(mosquitto.url)

    def kiosk_ready():
        with kiosk.app_context():
            info = kiosk_models.StationInfo.for_station("xh-xujiahui")
            return info.districts != "[]" and kiosk_models.TrustedKey.get_or_none(
                kiosk_models.TrustedKey.kid == "sealing")
    wait_until(kiosk_ready, message="the station config and sealing key at the kiosk")

    # A rider who is not a member asks for legal aid, giving a mobile number on the keypad.
    screen = kiosk.test_client()
    screen.get("/service/")
    form = {"csrf_token": csrf_of(screen)}
    screen.post("/service/legal_aid", data={**form, "matter": "wages", "work": "delivery"})
    screen.post("/service/identify/phone", data={**form, "phone": PHONE})
    screen.post("/service/details", data={**form, "district": "xuhui", "best_time": "evening"})
    screen.post("/service/confirm", data=form)
    code = re.search(r'data-testid="tracking-code">([A-Z0-9]+)<',
                     screen.get("/service/receipt").get_data(as_text=True)).group(1)

    def filed():
        with models.db.connection_context():
            return ServiceRequest.get_or_none(ServiceRequest.tracking_code == code)
    request = wait_until(filed, timeout=30, message="the request at central")
    assert request.phone_last4 == PHONE[-4:]
    with kiosk.app_context():
        wait_until(lambda: kiosk_models.OutboxEvent.pending_count() == 0, message="central's receipt at the kiosk")
        rows = list(kiosk_models.OutboxEvent.select().where(kiosk_models.OutboxEvent.kind == "service_request"))
    # Confirmed: the row says which service was asked for, and nothing about the rider.
    assert [json.loads(r.data) for r in rows] == [{"service": "legal_aid"}]
    dump = _dump(kiosk_config)
    assert code not in dump and PHONE not in dump and "phone_last4" not in dump and "contact_sealed" not in dump
    # The rider's receipt is still on the screen until the idle reset (it lives in the session).
    receipt = screen.get("/service/receipt").get_data(as_text=True)
    assert code in receipt and PHONE[-4:] in receipt
    screen.post("/screen/reset", data=form)
    assert screen.get("/service/receipt").status_code == 303

    # Nothing the kiosk, the broker link or central logged on the way names the code or the digits.
    # The records include the kiosk's own line about the request and central's filing: the logs of the
    # whole flow were captured, so their absence below means something.
    names = {record.name for record in caplog.records}
    assert {"kiosk.service", "station_admin.core.audit"} <= names, names
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert code not in text, f"{record.name} logged the tracking code: {text}"
        assert PHONE not in text and not re.search(rf"(?<!\d){PHONE[-4:]}(?!\d)", text), \
            f"{record.name} logged phone digits: {text}"


def _dump(kiosk_config) -> str:
    """Everything in the kiosk's database file, as SQL text."""
    import sqlite3

    from kiosk.models import database_path

    connection = sqlite3.connect(database_path(kiosk_config))
    try:
        return "\n".join(connection.iterdump())
    finally:
        connection.close()
