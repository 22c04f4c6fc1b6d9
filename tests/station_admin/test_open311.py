"""Open311 GeoReport v2: the service list and requests, filters, errors, and no personal data."""

from __future__ import annotations

import json
import re

import pytest

from tests.station_admin.requests_helpers import file, local


def test_services_list(central_app):
    services = central_app.test_client().get("/open311/v2/services.json").get_json()
    assert [s["service_code"] for s in services] == ["WS-LEGAL", "WS-HARDSHIP", "WS-COUNSEL", "WS-HEALTH", "WS-OTHER"]
    legal = services[0]
    assert legal == {"service_code": "WS-LEGAL", "service_name": "法律援助", "description": legal["description"],
                     "metadata": False, "type": "batch", "keywords": "legal,labour,wages,dispute", "group": "维权服务"}
    english = central_app.test_client().get("/open311/v2/services.json?locale=en").get_json()
    assert english[0]["service_name"] == "Legal aid"


def test_requests_carry_no_personal_data(central_app):
    sealed = file(central_app, phone="13812345678", at=local(2026, 2, 13, 10, 47))
    member = file(central_app, member_no="M20269999", last4="4321", service="hardship_aid",
                  at=local(2026, 2, 14, 10, 0))
    client = central_app.test_client()
    body = client.get("/open311/v2/requests.json?start_date=2026-01-01&end_date=2026-12-31")
    text = body.get_data(as_text=True)
    assert body.status_code == 200
    for personal in ("13812345678", "138", "5678", "4321", "M20269999", "wages", "delivery", "illness",
                     "dependants", "evening", "matter", "answers", sealed.tracking_code, member.tracking_code,
                     "10:47"):
        assert personal not in text, personal
    rows = {r["service_request_id"]: r for r in json.loads(text)}
    assert set(rows) == {sealed.public_id, member.public_id}
    row = rows[sealed.public_id]
    assert row["status"] == "open" and row["service_code"] == "WS-LEGAL" and row["service_name"] == "法律援助"
    assert row["requested_datetime"] == "2026-02-13T10:00:00+08:00"
    assert row["expected_datetime"] == "2026-02-24T23:59:59+08:00"
    assert row["address"] == "徐汇区龙华中路600号" and (row["lat"], row["long"]) == (31.1781, 121.4513)
    assert row["agency_responsible"] == "徐汇区职工法律援助中心"
    assert row["updated_datetime"].endswith("+08:00")
    one = client.get(f"/open311/v2/requests/{member.public_id}.json").get_json()
    assert [r["service_code"] for r in one] == ["WS-HARDSHIP"]


def test_the_anonymous_listing_gives_no_half_of_a_tracking_sign_in(central_app):
    # The attack (issue 12): list every request anonymously; a listed tracking code is half of a /m/track sign-in.
    filed = [file(central_app, phone=f"1381234{n:04d}", at=local(2026, 2, 13, 9, n)) for n in range(5)]
    client = central_app.test_client()
    listed = client.get("/open311/v2/requests.json?start_date=2026-01-01&end_date=2026-12-31").get_json()
    ids = {r["service_request_id"] for r in listed}
    assert ids == {r.public_id for r in filed}
    assert not ids & {r.tracking_code for r in filed}
    assert all(re.fullmatch(r"R[0-9A-F]{12}", i) for i in ids)
    assert {r["requested_datetime"] for r in listed} == {"2026-02-13T09:00:00+08:00"}  # to the hour only
    # A tracking code is not an Open311 id either.
    assert client.get(f"/open311/v2/requests/{filed[0].tracking_code}.json").status_code == 404


def test_filters(central_app):
    feb = file(central_app, at=local(2026, 2, 13, 10, 0))
    mar = file(central_app, service="counselling", at=local(2026, 3, 2, 10, 0))
    client = central_app.test_client()

    def ids(query):
        response = client.get(f"/open311/v2/requests.json?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return {r["service_request_id"] for r in response.get_json()}

    year = "start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-12-31T00:00:00Z"
    assert ids(year) == {feb.public_id, mar.public_id}
    assert ids(f"{year}&service_code=WS-COUNSEL") == {mar.public_id}
    assert ids(f"{year}&service_code=WS-COUNSEL,WS-LEGAL") == {feb.public_id, mar.public_id}
    assert ids(f"{year}&status=closed") == set()
    assert ids(f"{year}&status=open") == {feb.public_id, mar.public_id}
    assert ids("start_date=2026-03-01&end_date=2026-03-31") == {mar.public_id}
    assert ids("start_date=2026-02-13T10:00:01%2B08:00&end_date=2026-02-28") == set()


@pytest.mark.parametrize("query, reason", [
    ("service_code=WS-NOPE", "unknown service_code"),
    ("status=pending", "status must be"),
    ("start_date=yesterday", "start_date"),
    ("end_date=2026-13-01", "end_date"),
    ("start_date=2026-03-01&end_date=2026-02-01", "after end_date"),
])
def test_bad_filters_get_a_400_json_error(central_app, query, reason):
    response = central_app.test_client().get(f"/open311/v2/requests.json?{query}")
    assert response.status_code == 400
    error, = response.get_json()
    assert error["code"] == 400 and reason in error["description"]


def test_unknown_request_is_404_json(central_app):
    response = central_app.test_client().get("/open311/v2/requests/NOPE2345.json")
    assert response.status_code == 404 and response.get_json()[0]["code"] == 404
