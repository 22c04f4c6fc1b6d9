"""The community families on the wire: voucher claim, policy and decision; schedule; location."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from devices.protocol import ProtocolError, events, location, parse_from_station, schedule, vouchers

TS = datetime(2026, 12, 20, 4, 0, tzinfo=UTC)


def payload(**fields) -> bytes:
    return json.dumps({"v": 1, "ts": "2026-12-20T04:00:00.000Z", **fields}).encode()


def test_round_trips():
    claim = events.StationEvent("xh-xujiahui", events.new_event_id(), 3, TS,
                                events.VoucherClaim("AB12CD34EF", "W7K3M9Q2XZ", True))
    assert events.parse(claim.topic, claim.to_payload()) == claim
    policy = vouchers.VoucherPolicy("xh-xujiahui", 20, 166, TS)
    assert vouchers.parse_policy(policy.topic, policy.to_payload()) == policy
    decision = vouchers.VoucherDecision("xh-xujiahui", "a" * 32, "AB12CD34EF", "flagged", TS, "already_claimed")
    assert vouchers.parse_decision(decision.topic, decision.to_payload()) == decision
    item = schedule.Occurrence(7, "legal_clinic", {"zh": "法律夜诊", "en": "Legal night clinic"}, TS,
                               TS.replace(hour=6))
    message = schedule.Schedule("xh-xujiahui", (item,), TS)
    assert schedule.parse(message.topic, message.to_payload()) == message
    where = location.Location("mobile-bus-1", 31.2, 121.45, TS, "人民广场")
    assert parse_from_station(where.topic, where.to_payload()) == where


@pytest.mark.parametrize("fields", [
    {"lat": 91, "lon": 121}, {"lat": 31, "lon": -181}, {"lat": "31.2", "lon": 121}, {"lat": True, "lon": 121},
    {"lon": 121}, {"lat": 31, "lon": 121, "place": "x" * 81}, {"lat": 31, "lon": 121, "place": 5},
])
def test_bad_locations_are_refused(fields):
    with pytest.raises(ProtocolError):
        location.parse("station/bus-1/location", payload(**fields))


def test_nan_location_is_refused():
    with pytest.raises(ProtocolError):
        location.parse("station/bus-1/location", b'{"v":1,"ts":"2026-12-20T04:00:00.000Z","lat":NaN,"lon":121}')


@pytest.mark.parametrize(("topic", "parse", "fields"), [
    ("station/s1/voucher/policy", vouchers.parse_policy, {"care_day": 29, "quota": 5}),
    ("station/s1/voucher/policy", vouchers.parse_policy, {"care_day": 20, "quota": -1}),
    ("station/s1/voucher/decision", vouchers.parse_decision,
     {"claim": "a" * 32, "voucher_no": "AB12CD34EF", "status": "confirmed"}),
    ("station/s1/voucher/decision", vouchers.parse_decision,
     {"claim": "a" * 32, "voucher_no": "AB12CD34EF", "status": "refused"}),
    ("station/s1/voucher/decision", vouchers.parse_decision,
     {"claim": "a" * 32, "voucher_no": "ab", "status": "refused", "reason": "quota"}),
    ("station/s1/schedule", schedule.parse, {"items": [{"id": 1, "kind": "party", "title": {"zh": "a", "en": "a"},
                                                        "start": "2026-12-20T04:00:00.000Z",
                                                        "end": "2026-12-20T05:00:00.000Z"}]}),
    ("station/s1/schedule", schedule.parse, {"items": [{"id": 1, "kind": "class", "title": {"zh": "a", "en": "a"},
                                                        "start": "2026-12-20T05:00:00.000Z",
                                                        "end": "2026-12-20T04:00:00.000Z"}]}),
    ("station/s1/schedule", schedule.parse, {"items": "none"}),
])
def test_bad_central_messages_are_refused(topic, parse, fields):
    with pytest.raises(ProtocolError):
        parse(topic, payload(**fields))


@pytest.mark.parametrize("data", [{"voucher_no": "AB12CD34EF"}, {"voucher_no": "abc", "member_no": "W7K3M9Q2XZ"},
                                  {"voucher_no": "AB12CD34EF", "member_no": "W7K3M9Q2XZ", "provisional": "yes"}])
def test_bad_voucher_claims_are_refused(data):
    body = json.dumps({"v": 1, "id": "a" * 32, "seq": 1, "ts": "2026-12-20T04:00:00.000Z", "data": data}).encode()
    with pytest.raises(ProtocolError):
        events.parse("station/s1/event/voucher_claim", body)
