"""Service requests at central: the wire, the catalogue, routing, the unrouted queue, ingest, case rules."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol import ProtocolError, events, join, utcnow
from station_admin.core.audit import AuditEntry
from station_admin.core.models import District, StaffUser, StationEvent, db
from station_admin.node.ingest import IngestWorker
from station_admin.requests import casework
from station_admin.requests.models import (
    STATUSES,
    FollowUp,
    LegalAidCentre,
    ServiceRequest,
    StatusChange,
    TransitionError,
)
from tests.brokers import TEST_ACCOUNT
from tests.conftest import wait_until
from tests.station_admin.requests_helpers import SHANGHAI, body, file, local
from waystation.services import ServiceCatalogueError, load_services, parse_catalogue
from waystation.web import LANGUAGES


def centre_district(req):
    with db.connection_context():
        return LegalAidCentre.get_by_id(req.centre_id).district.code if req.centre_id else None


# The wire and the catalogue (no database)

def test_tracking_codes_are_unambiguous_and_parse():
    codes = {events.new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) == 8 and not set(c) & set("0O1I") and events.TRACKING_CODE_RE.match(c) for c in codes)


@pytest.mark.parametrize("data, reason", [
    ({"service": "legal_aid", "tracking_code": "K7QM4WZP", "answers": {"matter": "wages"}, "best_time": "any"},
     "exactly one"),
    ({"service": "legal_aid", "tracking_code": "K7QM4WZP", "answers": {"matter": "wages"}, "best_time": "any",
      "member_no": "M12345678", "contact_sealed": "abc", "phone_last4": "1234"}, "exactly one"),
    ({"service": "legal_aid", "tracking_code": "K7QM4WZ0", "answers": {"matter": "wages"}, "best_time": "any",
      "member_no": "M12345678"}, "tracking_code"),
    ({"service": "legal_aid", "tracking_code": "K7QM4WZP", "answers": {}, "best_time": "any",
      "member_no": "M12345678"}, "answers"),
    ({"service": "legal_aid", "tracking_code": "K7QM4WZP", "answers": {"matter": 3}, "best_time": "any",
      "member_no": "M12345678"}, "malformed"),
    ({"service": "legal_aid", "tracking_code": "K7QM4WZP", "answers": {f"q{n}": "a" for n in range(21)},
      "best_time": "any", "member_no": "M12345678"}, "answers"),
    ({"service": "legal_aid", "tracking_code": "K7QM4WZP", "answers": {"matter": "wages"}, "best_time": "any",
      "contact_sealed": "x" * 301, "phone_last4": "1234"}, "contact_sealed"),
    ({"service": "legal_aid", "tracking_code": "K7QM4WZP", "answers": {"matter": "wages"}, "best_time": "any",
      "contact_sealed": "abc"}, "phone_last4"),
    ({"service": "legal_aid", "tracking_code": "K7QM4WZP", "answers": {"matter": "wages"}, "best_time": "any",
      "member_no": "M12345678", "phone_last4": "12a4"}, "phone_last4"),
])
def test_malformed_service_requests_are_refused_with_the_rule(data, reason):
    with pytest.raises(ProtocolError, match=reason):
        events.ServiceRequest.from_fields(data)


def test_service_request_round_trip():
    b = events.ServiceRequest("legal_aid", "K7QM4WZP", (("matter", "wages"), ("work", "courier")), "any",
                              "minhang", "M12345678", None, "1234")
    event = events.StationEvent("xh-longhua", "a" * 32, 9, local(2026, 3, 2, 10), b)
    assert events.parse(event.topic, event.to_payload()).body == b


def test_every_catalogue_text_is_in_both_languages():
    catalogue = load_services()
    assert set(catalogue.services) == {"legal_aid", "hardship_aid", "counselling", "health_check", "other"}
    texts = [c.label for c in catalogue.best_times]
    for service in catalogue.services.values():
        texts += [service.name, service.description, service.group]
        for question in service.questions:
            texts.append(question.text)
            for choice in question.choices:
                texts += [choice.label] + ([choice.divert] if choice.divert else [])
    assert all(set(text) == set(LANGUAGES) and all(v.strip() for v in text.values()) for text in texts)
    legal = catalogue.get("legal_aid")
    assert legal.first_contact_working_days == 2 and legal.sensitive and legal.routing == "rider_district"
    matter = legal.question("matter")
    assert [c.id for c in matter.choices if not c.divert] == [
        "wages", "injury", "dismissal", "contract", "social_insurance", "other_labour"]
    assert "12348" in matter.choice("not_labour").divert["zh"]
    assert catalogue.get("hardship_aid").follow_ups and catalogue.get("hardship_aid").sensitive


@pytest.mark.parametrize("mutate, key", [
    (lambda raw: raw["service"][0]["name"].pop("en"), "service[0].name.en"),
    (lambda raw: raw["service"][1]["questions"][0]["choices"][0]["label"].update(zh=""),
     "service[1].questions[0].choices[0].label.zh"),
    (lambda raw: raw["service"][0].update(routing="anywhere"), "service[0].routing"),
    (lambda raw: raw["service"][0].update(first_contact_working_days=0), "service[0].first_contact_working_days"),
    (lambda raw: raw["service"][2].update(colour="red"), "service[2].colour"),
    (lambda raw: raw["service"][3].update(code=raw["service"][0]["code"]), "service[3].code"),
])
def test_catalogue_errors_name_the_key(mutate, key):
    import tomllib

    from waystation.services import SERVICES_PATH

    raw = tomllib.loads(SERVICES_PATH.read_text())
    mutate(raw)
    with pytest.raises(ServiceCatalogueError) as info:
        parse_catalogue(raw)
    assert key in str(info.value)


# Routing and deadlines at ingest

def test_routing_every_demo_district_to_its_centre(central_app):
    with central_app.app_context(), db.connection_context():
        districts = [d.code for d in District.select()]
    assert set(districts) == {"xuhui", "minhang"}
    for code in districts:
        req = file(central_app, district=code)
        assert req.status == "assigned" and centre_district(req) == code
    # no district chosen: the station's (all demo stations are in Xuhui)
    assert centre_district(file(central_app, station="xh-xujiahui")) == "xuhui"
    # services routed by station ignore the rider's district
    assert centre_district(file(central_app, service="counselling", district="minhang")) == "xuhui"


def test_unroutable_requests_land_in_the_unrouted_queue(central_app, caplog):
    caplog.set_level(logging.WARNING)
    unknown_district = file(central_app, district="pudong")
    unknown_station = file(central_app, station="xx-nowhere", service="health_check")
    for req in (unknown_district, unknown_station):
        assert req.status == "unrouted" and req.centre_id is None
    assert sum("cannot be routed" in r.getMessage() for r in caplog.records) == 2
    with central_app.app_context(), db.connection_context():
        assert {r.id for r in casework.unrouted_requests()} == {unknown_district.id, unknown_station.id}
        first = StatusChange.history(unknown_district).get()
        assert (first.from_status, first.to_status, first.actor_name) == (None, "unrouted", "system")


def test_sealed_phone_is_stored_encrypted_and_hashed(central_app):
    req = file(central_app, phone="13912348765")
    assert "13912348765" not in (req.phone_encrypted or "") and req.phone_last4 == "8765"
    protector = central_app.extensions["waystation.protector"]
    assert protector.decrypt(req.phone_encrypted) == "13912348765"
    assert req.phone_hash == protector.lookup_hash("13912348765")


@pytest.mark.parametrize("kwargs", [
    {"service": "tax_advice", "answers": {"matter": "wages"}},
    {"answers": {"matter": "wages"}},  # a question unanswered
    {"answers": {"matter": "not_labour", "work": "delivery"}},  # diverted on the kiosk, never filed
    {"answers": {"matter": "wages", "work": "astronaut"}},
    {"best_time": "midnight"},
    {"last4": "0000"},  # does not match the sealed number
])
def test_requests_that_break_the_catalogue_are_not_filed(central_app, kwargs):
    assert file(central_app, **kwargs) is None
    with central_app.app_context(), db.connection_context():
        assert ServiceRequest.select().count() == 0
        assert AuditEntry.select().where(AuditEntry.subject_kind == "request").count() == 0


def test_a_tracking_code_collision_keeps_both_requests(central_app):
    first = file(central_app, code="K7QM4WZP", phone="13800001111")
    second = file(central_app, code="K7QM4WZP", phone="13800002222")
    assert (first.tracking_code, second.tracking_code) == ("K7QM4WZP", "K7QM4WZP-2")
    with central_app.app_context(), db.connection_context():
        assert ServiceRequest.find_for_tracking("K7QM4WZP", "2222").id == second.id


def publisher(port):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    client.username_pw_set(*TEST_ACCOUNT)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def test_ingest_files_a_request_from_the_broker_once(shared_mosquitto, central_app, central_settings, running,
                                                     topic_root):
    data_key = central_app.extensions["waystation.settings"].central.data_key  # the key kiosks seal to
    # Filed on 30 September 2026 (the National Day holidays decide the due date): a bound wide enough
    # that central takes that date as the kiosk's, not as a wrong clock to replace by the receive time.
    settings = central_settings(shared_mosquitto.url, central={"data_key": data_key},
                                ingest={"past_bound_days": 3650})
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    good = events.StationEvent("xh-caohejing", events.new_event_id(), 1, local(2026, 9, 30, 16, 45),
                               body(central_app, phone="13712345678"))
    bad = events.StationEvent("xh-caohejing", events.new_event_id(), 2, local(2026, 9, 30, 16, 46),
                              body(central_app, service="tax_advice", answers={"x": "y"}))
    client = publisher(shared_mosquitto.port)
    for event in (good, good, bad, good):
        client.publish(join(topic_root, event.topic), event.to_payload(), qos=1).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()

    def filed():
        with db.connection_context():
            return ServiceRequest.get_or_none(ServiceRequest.event_id == good.event_id)

    req = wait_until(filed, message="the request filed")
    wait_until(lambda: worker.stored_batches >= 1 and worker._queue.empty(), message="the batch done")
    with db.connection_context():
        assert ServiceRequest.select().count() == 1 and StationEvent.select().count() == 1
        assert req.status == "assigned" and req.centre.district.code == "xuhui"
        # filed on the eve of National Day: 10-01..10-07 off, due at the end of Friday 10-09
        assert req.due_at.astimezone(SHANGHAI).isoformat() == "2026-10-09T23:59:59.999000+08:00"
        assert AuditEntry.select().where(AuditEntry.action == "request.file").count() == 1


# Status rules

def test_statuses_are_data_with_at_least_eight_open_and_closed():
    assert len(STATUSES) >= 8
    assert {s.open for s in STATUSES.values()} == {True, False}
    assert all(target in STATUSES for s in STATUSES.values() for target in s.next)


def test_a_case_from_first_call_to_closure_and_back(central_app):
    req = file(central_app, member_no="M20260001", last4="1234")
    with central_app.test_request_context(), db.connection_context():
        worker = StaffUser.get(StaffUser.username == "caseworker")
        now = utcnow() + timedelta(seconds=1)
        with pytest.raises(TransitionError):
            casework.move(req, "accepted", worker, now)  # not contacted yet
        casework.log_attempt(req, "no_answer", worker, now)
        now += timedelta(hours=1)
        casework.log_attempt(req, "reached", worker, now)
        assert req.first_contact_at == now
        legal_aid = central_app.extensions["waystation.services"].get("legal_aid")
        casework.accept(req, legal_aid, worker, now, "Asia/Shanghai")
        casework.refer(req, "arbitration", worker, now)
        casework.close(req, True, True, "1234.5", worker, now)
        assert (req.amount_recovered_fen, req.amount_recovered_yuan, req.rating_open) == (123450, "1234.50", True)
        with pytest.raises(TransitionError):
            casework.refer(req, "court", worker, now)
        casework.reopen(req, worker, now, note="new evidence")
        history = [(c.from_status, c.to_status, c.actor_name) for c in StatusChange.history(req)]
        assert history == [(None, "assigned", "system"), ("assigned", "contact_attempted", "caseworker"),
                           ("contact_attempted", "contacted", "caseworker"), ("contacted", "accepted", "caseworker"),
                           ("accepted", "referred", "caseworker"), ("referred", "closed_resolved", "caseworker"),
                           ("closed_resolved", "reopened", "caseworker")]
        assert not FollowUp.select().exists()  # legal aid has no follow-ups


@pytest.mark.parametrize("text, fen", [("0", 0), ("12", 1200), ("12.3", 1230), ("1,000.05", 100005),
                                       ("10000000", 1_000_000_000), ("", None)])
def test_yuan_amounts_are_stored_in_fen(text, fen):
    assert casework.parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["-1", "10000000.01", "1.234", "abc", "1e5", "１２"])
def test_bad_yuan_amounts_are_refused(text):
    with pytest.raises(TransitionError):
        casework.parse_yuan(text)


def test_hardship_acceptance_schedules_visits_and_a_yearly_review(central_app):
    req = file(central_app, service="hardship_aid")
    with central_app.test_request_context(), db.connection_context():
        worker = StaffUser.get(StaffUser.username == "caseworker")
        accepted = local(2026, 11, 30, 15, 0)
        casework.record_contact(req, worker, accepted)
        casework.accept(req, central_app.extensions["waystation.services"].get("hardship_aid"), worker, accepted,
                        "Asia/Shanghai")
        rows = [(f.kind, f.due_on) for f in FollowUp.select().order_by(FollowUp.due_on, FollowUp.kind)]
        assert rows == [("visit", date(2027, 2, 28)), ("visit", date(2027, 5, 30)), ("visit", date(2027, 8, 30)),
                        ("review", date(2027, 11, 30)), ("visit", date(2027, 11, 30))]
        assert [f.kind for f in FollowUp.due_by(date(2027, 3, 7), None)] == ["visit"]
        assert list(FollowUp.due_by(date(2027, 3, 7), [9999])) == []


def test_add_months_keeps_the_day_or_the_month_end():
    assert casework.add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert casework.add_months(date(2026, 1, 15), 12) == date(2027, 1, 15)
