"""Property tests over every message family's parser: nothing but the family's ProtocolError escapes.

Random bytes, random JSON, deep nesting, huge numbers, NaN, wrong types, missing and extra fields,
and every valid message with one field mutated. What a parser accepts is a well-formed message
that goes out and parses back the same.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices import protocol
from devices.protocol import ProtocolError
from tests.fuzzing import PARSERS, VALID, deep_nesting, garbage, hostile_payloads, huge_numbers, parser_id, topic_parts


def parse_or_refuse(parse, topic: str, payload: bytes):
    """Parse; the message, or None when the parser refused it with its own error. Anything else fails the test."""
    try:
        message = parse(topic, payload)
    except ProtocolError:
        return None
    # Accepted: it must be a whole, well-formed message that survives the round trip.
    assert parse(message.topic, message.to_payload()) == message
    return message


@pytest.mark.parametrize("parse, message", VALID, ids=[parser_id(p) + f"-{i}" for i, (p, _) in enumerate(VALID)])
def test_every_valid_sample_parses(parse, message):
    assert parse(message.topic, message.to_payload()) == message


@pytest.mark.parametrize("parse, message", VALID, ids=[parser_id(p) + f"-{i}" for i, (p, _) in enumerate(VALID)])
@given(data=st.data())
def test_hostile_payload_on_a_real_topic_raises_only_protocol_error(parse, message, data):
    parse_or_refuse(parse, message.topic, data.draw(hostile_payloads(message)))


@pytest.mark.parametrize("parse", PARSERS, ids=parser_id)
@given(payload=st.one_of(deep_nesting(), huge_numbers()))
def test_deep_nesting_and_huge_numbers_are_refused(parse, payload):
    topic = next(m.topic for p, m in VALID if p is parse)
    with pytest.raises(ProtocolError):
        parse(topic, payload)


@pytest.mark.parametrize("parse, message", VALID, ids=[parser_id(p) + f"-{i}" for i, (p, _) in enumerate(VALID)])
@given(data=st.data())
def test_random_topic_parts_raise_only_protocol_error(parse, message, data):
    parts = message.topic.split("/")
    index = data.draw(st.integers(0, len(parts) - 1))
    parts[index] = data.draw(topic_parts)
    accepted = parse_or_refuse(parse, "/".join(parts), message.to_payload())
    if accepted is not None:
        # A part it takes is one it formats back the same way (no "01" for slot 1, no trailing newline).
        assert accepted.topic == "/".join(parts)


@given(topic=st.text(max_size=60), payload=garbage)
def test_dispatch_of_any_topic_and_payload_raises_only_protocol_error(topic, payload):
    parse_or_refuse(protocol.parse_from_station, topic, payload)


def test_a_nested_array_check_in_under_the_size_limit_is_refused():
    """The message of issue 11: 5,000 nested arrays as a check-in's data (10 KB) made json.loads recurse too deep."""
    payload = b'{"v":1,"id":"' + b"a" * 32 + b'","seq":1,"ts":"2026-11-21T06:30:00.000Z","data":' \
        + b"[" * 5000 + b"]" * 5000 + b"}"
    assert len(payload) < protocol.MAX_PAYLOAD_BYTES
    with pytest.raises(ProtocolError, match="nested too deeply"):
        protocol.parse_from_station("station/xh-longhua/event/checkin", payload)



@pytest.mark.parametrize("opening, closing", [(b"[", b"]"), (b'{"a":', b"}")])
def test_a_payload_nests_at_most_max_depth_levels_and_one_more_is_refused(opening, closing):
    """The nesting limit at its edge, for arrays and objects alike (a payload with no more opening brackets
    than the limit is not walked; one more must be, and refused)."""
    from devices.protocol._base import MAX_DEPTH, decode

    def nested(levels: int) -> bytes:  # the outer object is the first level
        return b'{"v":1,"inside":' + opening * (levels - 1) + b"1" + closing * (levels - 1) + b"}"

    assert decode(nested(MAX_DEPTH))["v"] == 1
    with pytest.raises(ProtocolError, match="nested too deeply"):
        decode(nested(MAX_DEPTH + 1))
    # Brackets inside strings count towards the shortcut but not the depth: still accepted.
    assert decode(b'{"v":1,"inside":"' + b"[{" * 40 + b'"}')["v"] == 1

@pytest.mark.parametrize("payload, reason", [
    (b'{"v":1,"ts":"2026-11-21T06:30:00.000Z","inside":' + b"9" * 4301 + b"}", "too large"),
    (b'{"v":1,"ts":"2026-11-21T06:30:00.000Z","inside":NaN}', "NaN"),
    (b'{"v":1,"ts":"2026-11-21T06:30:00.000Z","inside":-Infinity}', "Infinity"),
    (b'{"v":1,"ts":"2026-11-21T06:30:00.000Z","inside":1}\xff', "not UTF-8"),
    (b'{"v":1,"ts":"2026-11-21T06:30:00+08:00Z","inside":1}', "UTC time"),
    (b'{"v":1,"ts":"2026-11-21Z","inside":1}', "UTC time"),
])
def test_what_the_fuzzers_found_is_refused_with_a_reason(payload, reason):
    with pytest.raises(ProtocolError, match=reason):
        protocol.parse_from_station("station/xh-longhua/occupancy", payload)


@pytest.mark.parametrize("topic", ["station/xh-longhua\n/occupancy", "station/xh-longhua/charger/²",
                                   "station/xh-longhua/charger/01", "station/xh-longhua/charger/١"])
def test_topic_parts_must_be_exact(topic):
    payload = (b'{"v":1,"ts":"2026-11-21T06:30:00.000Z","inside":1,"status":"available","power_w":0,'
               b'"energy_wh":0}')
    with pytest.raises(ProtocolError, match="topic"):
        protocol.parse_from_station(topic, payload)
