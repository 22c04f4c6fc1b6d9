"""Surveys end to end through a real broker (kiosks + CentralNode): a survey of Xuhui's delivery riders is
offered at the kiosks, a courier is never invited, a rider answering at two kiosks (one offline, then
reconnecting) counts once with the other response kept apart, and closing stops it within seconds."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from devices.protocol import utcnow
from tests.conftest import csrf_of, kiosk_for, start_node, wait_until
from tests.station_admin.conftest import signed_in
from tests.surveys_helpers import build_survey

pytestmark = pytest.mark.timeout(150)
HX = {"HX-Request": "true"}


@pytest.fixture
def central(shared_mosquitto, running, central_settings):
    """Central's app and MQTT node, publishing trust and open surveys quickly."""
    from station_admin import create_app
    from station_admin.core import models
    from station_admin.node.central import CentralNode

    settings = central_settings(shared_mosquitto.url, template="seeded",
                                central={"trust_publish_seconds": 0.5, "public_url": "https://central.example"},
                                surveys={"publish_seconds": 0.5})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    node = running.start(CentralNode(settings, app.extensions["waystation.protector"]))
    wait_until(node.link.subscribed.is_set, message="central subscribed")
    yield app
    models.db.close()


def members(app) -> dict[str, tuple[str, str]]:
    """Demo members by platform: (member number, card text)."""
    from station_admin.core.models import db
    from station_admin.members.models import Member

    protector = app.extensions["waystation.protector"]
    with db.connection_context():
        return {m.platform: (m.member_no, m.card_text(protector)) for m in Member.select()}


def offered_kiosk(running, station: str, kiosk_settings, broker_url: str, survey_id: int):
    """A kiosk that heard its card keys and the survey from central; (app, node)."""
    from kiosk.models import OpenSurvey, TrustedKey, db

    app, settings = kiosk_for(station, kiosk_settings, broker_url)
    node = start_node(running, app, settings)

    def ready():
        with db.connection_context():
            return TrustedKey.select().where(TrustedKey.kid != "sealing").exists() and \
                OpenSurvey.get_or_none(OpenSurvey.survey_id == survey_id)
    wait_until(ready, timeout=20, message=f"card keys and survey {survey_id} at {station}")
    return app, node


def check_in(client, card: str) -> int:
    """Scan a member card at the check-in; the kiosk's check-in id."""
    client.get("/")
    response = client.post("/checkin/card", data={"code": card}, headers={**HX, "X-CSRF-Token": csrf_of(client)})
    html = response.get_data(as_text=True)
    assert 'data-testid="welcome"' in html, html[:500]
    return int(re.search(r"/checkin/dismiss\?checkin=(\d+)", html).group(1))


def invites(member_no: str) -> list:
    from kiosk.models import SurveyInvite, db

    with db.connection_context():
        return list(SurveyInvite.select().where(SurveyInvite.member_no == member_no))


def after_confirmation(client, checkin_id: int) -> str:
    """What takes the confirmation's place when it closes: the empty slot or the invitation."""
    return client.get(f"/checkin/dismiss?checkin={checkin_id}", headers=HX).get_data(as_text=True)


def answer_at_kiosk(client, html: str, answers: dict) -> None:
    start = re.search(r'href="(/survey/\d+)" data-testid="survey-start"', html).group(1)
    assert 'data-testid="survey-form"' in client.get(start).get_data(as_text=True)
    response = client.post(start, data={**answers, "csrf_token": csrf_of(client)})
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    assert 'data-testid="survey-thanks"' in client.get(response.headers["Location"]).get_data(as_text=True)


def central_counts(survey_id: int) -> tuple[list, list]:
    from station_admin.core.models import db
    from station_admin.surveys.models import SurveyConflict, SurveyResponse

    with db.connection_context():
        counted = SurveyResponse.select().where(SurveyResponse.survey == survey_id)
        return ([(r.station_code, r.channel) for r in counted],
                [c.station_code for c in SurveyConflict.select().where(SurveyConflict.survey == survey_id)])


def test_riders_of_one_district_invited_a_courier_never_and_answering_twice_counts_once(
        shared_mosquitto, running, central, kiosk_settings, clock):
    clock(utcnow())
    staff = signed_in(central, "federation")
    survey_id = build_survey(staff, target_districts=["xuhui"])  # delivery riders of Xuhui
    cards = members(central)
    rider_no, rider_card = cards["meituan"]
    courier_no, courier_card = cards["sf"]

    # Station B: the courier and the rider check in; only the rider is invited. B then loses the network.
    kiosk_b, node_b = offered_kiosk(running, "xh-caohejing", kiosk_settings, shared_mosquitto.url, survey_id)
    client_b = kiosk_b.test_client()
    courier_checkin = check_in(client_b, courier_card)
    rider_checkin = check_in(client_b, rider_card)
    wait_until(lambda: invites(rider_no), timeout=15, message="central's invitation of the rider")
    assert invites(courier_no) == []  # in order on one connection: the courier's answer would have come first
    assert 'data-testid="survey-invitation"' not in after_confirmation(client_b, courier_checkin)
    invitation = after_confirmation(client_b, rider_checkin)
    assert 'data-testid="survey-invitation"' in invitation and "骑手需求调查" in invitation
    assert 'data-testid="survey-qr"' in invitation  # the rider's own phone link
    node_b.stop()
    answer_at_kiosk(client_b, invitation, {"a_q1": "c2", "a_q2": "3", "a_q3": "10"})
    assert central_counts(survey_id) == ([], [])

    # The next day at station A (online): invited again (not yet answered as far as central knows), answers.
    clock(utcnow() + timedelta(days=1))
    kiosk_a, node_a = offered_kiosk(running, "xh-xujiahui", kiosk_settings, shared_mosquitto.url, survey_id)
    client_a = kiosk_a.test_client()
    courier_a = check_in(client_a, courier_card)
    rider_a = check_in(client_a, rider_card)
    wait_until(lambda: invites(rider_no), timeout=15, message="the rider's invitation at A")
    assert invites(courier_no) == [] and "survey-invitation" not in after_confirmation(client_a, courier_a)
    invitation_a = after_confirmation(client_a, rider_a)
    assert 'data-testid="survey-invitation"' in invitation_a
    assert "survey-invitation" not in after_confirmation(client_a, rider_a)  # at most once a day
    answer_at_kiosk(client_a, invitation_a, {"a_q1": "c1", "a_q2": "5"})
    wait_until(lambda: central_counts(survey_id) == ([("xh-xujiahui", "kiosk")], []), timeout=15,
               message="A's response counted")
    node_a.stop()

    # B reconnects: its response reaches central, is kept apart and flagged, and nothing counts twice.
    kiosk_b, settings_b = kiosk_for("xh-caohejing", kiosk_settings, shared_mosquitto.url)
    start_node(running, kiosk_b, settings_b)
    wait_until(lambda: central_counts(survey_id)[1] == ["xh-caohejing"], timeout=20, message="B's response flagged")
    assert central_counts(survey_id)[0] == [("xh-xujiahui", "kiosk")]
    staff = signed_in(central, "federation")  # a day on, the morning's session has timed out
    page = staff.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert 'data-testid="response-count">1<' in page and 'data-testid="conflict"' in page
    results = staff.get(f"/surveys/{survey_id}/results").get_data(as_text=True)
    assert 'data-testid="respondents">*<' in results  # one respondent: a small count, hidden


def test_closing_a_survey_stops_it_at_the_kiosk_within_seconds(shared_mosquitto, running, central, kiosk_settings):
    from kiosk.models import OpenSurvey, db

    staff = signed_in(central, "federation")
    survey_id = build_survey(staff, target_districts=["xuhui"])
    kiosk, _ = offered_kiosk(running, "xh-xujiahui", kiosk_settings, shared_mosquitto.url, survey_id)
    rider_no, rider_card = members(central)["eleme"]
    client = kiosk.test_client()
    checkin = check_in(client, rider_card)
    wait_until(lambda: invites(rider_no), timeout=15, message="the invitation")
    invitation = after_confirmation(client, checkin)
    assert "survey-invitation" in invitation
    assert staff.post(f"/surveys/{survey_id}/close", data={"csrf_token": csrf_of(staff)}).status_code == 303

    def gone():
        with db.connection_context():
            return not OpenSurvey.select().where(OpenSurvey.survey_id == survey_id).exists()
    wait_until(gone, timeout=10, message="the closed survey dropped at the kiosk")
    start = re.search(r'href="(/survey/\d+)"', invitation).group(1)
    assert 'data-testid="survey-gone"' in client.get(start).get_data(as_text=True)
    refused = client.post(start, data={"a_q1": "c1", "csrf_token": csrf_of(client)})
    assert refused.status_code == 409
    # The phone link says so too, and a new check-in invites nobody.
    from station_admin.core.models import db as central_db
    from station_admin.surveys.responses import phone_path

    with central_db.connection_context():
        path = phone_path(central.extensions["waystation.protector"], survey_id, rider_no)
    assert 'data-key="closed"' in central.test_client().get(path).get_data(as_text=True)
