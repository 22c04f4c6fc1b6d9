"""The wire contract: what goes out parses back the same; what breaks the contract is refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from devices import protocol
from devices.protocol import (
    ProtocolError,
    availability,
    charger,
    commands,
    events,
    heartbeat,
    occupancy,
    station_config,
)

TS = datetime(2026, 11, 21, 6, 30, 0, 123000, tzinfo=UTC)

ROUND_TRIPS = [
    (availability, availability.Availability("xh-longhua", "counter", availability.DeviceKind.PEOPLE_COUNTER, True)),
    (occupancy, occupancy.Occupancy("xh-longhua", 7, 41, 34, TS)),
    (charger, charger.ChargerSlotState("xh-longhua", 3, charger.SlotStatus.CHARGING, 320, 85, TS)),
    (charger, charger.ChargerSlotState("xh-longhua", 4, charger.SlotStatus.FAULTED, 0, 0, TS, "overcurrent")),
    (heartbeat, heartbeat.Heartbeat("xh-longhua", "kiosk", TS, 12)),
    (events, events.StationEvent("xh-longhua", "a" * 32, 5, TS, events.CheckIn())),
    (events, events.StationEvent("xh-longhua", "b" * 32, 6, TS, events.CheckIn("card", "M12345678"))),
    (station_config, station_config.StationConfig("xh-longhua", {"zh": "龙华", "en": "Longhua"},
                                                  {"zh": "徐汇", "en": "Xuhui"}, 12, 4)),
    (commands, commands.Command("xh-longhua", "charger", "c" * 32, "slot_stop", TS, {"slot": 2})),
]


@pytest.mark.parametrize("family, message", ROUND_TRIPS, ids=lambda v: getattr(v, "__name__", type(v).__name__))
def test_round_trip(family, message):
    assert family.parse(message.topic, message.to_payload()) == message


def test_reply_round_trip():
    reply = commands.CommandReply("xh-longhua", "charger", "d" * 32, False, TS, "unknown slot")
    assert commands.parse_reply(reply.topic, reply.to_payload()) == reply


def test_dispatch_by_topic():
    message = occupancy.Occupancy("xh-longhua", 7, 0, 0, TS)
    assert protocol.parse_from_station(message.topic, message.to_payload()) == message
    with pytest.raises(ProtocolError, match="no message family"):
        protocol.parse_from_station("station/xh-longhua/nonsense", message.to_payload())
    assert protocol.from_central("station/xh-longhua/config")
    assert not protocol.from_central("station/xh-longhua/occupancy")


@pytest.mark.parametrize("payload, reason", [
    (b'{"v":1,"ts":"2026-11-21T06:30:00.000Z","inside":true}', "whole number"),
    (b'{"v":1,"ts":"2026-11-21T06:30:00.000Z","inside":1.5}', "whole number"),
    (b'{"v":1,"ts":"2026-11-21T06:30:00+08:00","inside":1}', "UTC"),
    (b'{"v":"1","ts":"2026-11-21T06:30:00.000Z","inside":1}', "schema version"),
    (b'{"ts":"2026-11-21T06:30:00.000Z","inside":1}', "schema version"),
    (b'{"v":1,"ts":"2026-11-21T06:30:00.000Z","inside":10001}', "whole number"),
    (b"", "not UTF-8 JSON"),
    (b"x" * 20000, "over the"),
])
def test_invalid_occupancy(payload, reason):
    with pytest.raises(ProtocolError, match=reason):
        occupancy.parse("station/xh-longhua/occupancy", payload)


@pytest.mark.parametrize("data, reason", [
    ({"method": "card"}, "member_no"),
    ({"method": "anonymous", "member_no": "M12345678"}, "member_no"),
    ({"method": "card", "member_no": "m1"}, "wrong form"),
    ({"method": "face"}, "one of"),
])
def test_invalid_checkin_bodies(data, reason):
    import json

    payload = json.dumps({"v": 1, "id": "e" * 32, "seq": 1, "ts": "2026-11-21T06:30:00.000Z", "data": data})
    with pytest.raises(ProtocolError, match=reason):
        events.parse("station/xh-longhua/event/checkin", payload.encode())


def test_topic_parts_are_checked_both_ways():
    with pytest.raises(ProtocolError, match="station"):
        _ = occupancy.Occupancy("Bad Station", 1, 0, 0, TS).topic
    with pytest.raises(ProtocolError, match="slot"):
        charger.PATTERN.match("station/s1/charger/0")
    assert charger.PATTERN.filter == "station/+/charger/+"
    assert charger.PATTERN.filter_with(station="s1") == "station/s1/charger/+"


def test_command_arguments_are_validated():
    bad = commands.Command("s1", "charger", "f" * 32, "slot_stop", TS, {"slot": 99})
    with pytest.raises(ProtocolError, match="slot"):
        commands.parse(bad.topic, bad.to_payload())
