"""What the property-based tests share: the Hypothesis profile, hostile payloads, and one valid message per family.

The profile keeps example counts bounded so the suite stays fast (`HYPOTHESIS_PROFILE=thorough` runs
ten times as many). Example databases stay off: a failure prints its seed and the shrunk example.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from devices.protocol import (
    availability,
    charger,
    classroom,
    commands,
    events,
    health,
    heartbeat,
    location,
    occupancy,
    receipts,
    schedule,
    sessions,
    station_config,
    surveys,
    trust,
    vouchers,
)

settings.register_profile("waystation", max_examples=150, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("thorough", parent=settings.get_profile("waystation"), max_examples=1500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "waystation"))

TS = datetime(2026, 11, 21, 6, 30, 0, 123000, tzinfo=UTC)
STATION = "xh-longhua"
ID = "ab" * 16
TEXT = {"zh": "龙华", "en": "Longhua"}

# One valid message of every family, each in the form its parser takes: (parser, message).
VALID = [
    (events.parse, events.StationEvent(STATION, ID, 5, TS, events.CheckIn())),
    (events.parse, events.StationEvent(STATION, ID, 6, TS, events.CheckIn("card", "M12345678"))),
    (events.parse, events.StationEvent(STATION, ID, 7, TS, events.ServiceRequest(
        "legal_aid", "ABCDEFGH", (("matter", "wages"),), "morning", "xuhui", None, "sealed" * 10, "1234"))),
    (events.parse, events.StationEvent(STATION, ID, 8, TS, events.VoucherClaim("0123456789", "M12345678", True))),
    (events.parse, events.StationEvent(STATION, ID, 9, TS, events.Feedback(4, ("toilet", "water"), "M12345678"))),
    (availability.parse, availability.Availability(STATION, "kiosk", availability.DeviceKind.KIOSK, True)),
    (occupancy.parse, occupancy.Occupancy(STATION, 7, 41, 34, TS)),
    (charger.parse, charger.ChargerSlotState(STATION, 4, charger.SlotStatus.FAULTED, 0, 0, TS, "overcurrent")),
    (sessions.parse, sessions.ChargeSession(STATION, 2, ID, sessions.Phase.END, TS, TS, 120, 0, 3600, "M12345678",
                                            sessions.EndReason.FULL)),
    (heartbeat.parse, heartbeat.Heartbeat(STATION, "kiosk", TS, 12)),
    (health.parse, health.Health(STATION, "kiosk", TS, "0.1.0", 3600, 2**34, 2**22, 3, 40, TS)),
    (commands.parse, commands.Command(STATION, "kiosk", ID, "announce", TS,
                                      {"text": TEXT, "until": "2026-11-22T00:00:00.000Z"})),
    (commands.parse, commands.Command(STATION, "charger", ID, "slot_start", TS,
                                      {"slot": 2, "member_no": "M12345678", "limit_s": 600})),
    (commands.parse_reply, commands.CommandReply(STATION, "charger", ID, False, TS, "slot_busy")),
    (location.parse, location.Location(STATION, 31.2, 121.4, TS, "徐家汇")),
    (receipts.parse, receipts.Receipt(STATION, (ID, "cd" * 16), TS)),
    (schedule.parse, schedule.Schedule(STATION, (schedule.Occurrence(
        3, "legal_clinic", TEXT, TS, TS.replace(hour=8)),), TS)),
    (station_config.parse, station_config.StationConfig(
        STATION, TEXT, TEXT, 12, 4, "https://c.example/m/join", "k" * 20, "https://c.example", "xuhui",
        (("xuhui", "徐汇", "Xuhui"),))),
    (trust.parse_trust, trust.TrustAnchors((("ABCD", "a" * 43),), "b" * 43, TS)),
    (trust.parse_revocations, trust.Revocations("2", (("W23456789A", None), ("W2345678AB", TS)), TS)),
    (vouchers.parse_policy, vouchers.VoucherPolicy(STATION, 20, 300, TS)),
    (vouchers.parse_decision, vouchers.VoucherDecision(STATION, ID, "0123456789", "confirmed", TS, None, "WV1.x")),
    (vouchers.parse_decision, vouchers.VoucherDecision(STATION, ID, "0123456789", "refused", TS, "quota")),
    (events.parse, events.StationEvent(STATION, ID, 10, TS, events.ClassroomPlay(3, True))),
    (classroom.parse_manifest, classroom.Manifest(STATION, "https://c.example/classroom/files", "0f" * 16, (
        classroom.Video(3, TEXT, TEXT, classroom.FileRef("a" * 64, 123456), classroom.FileRef("b" * 64, 2048)),),
        TS)),
    (classroom.parse_holdings, classroom.Holdings(STATION, "kiosk", TS, (3,), (4, 5), 125504)),
    (events.parse, events.StationEvent(STATION, ID, 10, TS, surveys.SurveyResponse(
        "cd" * 16, 3, 2, "M12345678",
        (("hours", 9), ("needs", ("charging", "toilet")), ("rate", 4), ("where", "meal"))))),
    (surveys.parse_surveys, surveys.StationSurveys(STATION, (surveys.OpenSurvey(3, 2, TEXT, TS, True, (
        surveys.Question("where", "single", TEXT, (surveys.Choice("meal", TEXT), surveys.Choice("rest", TEXT))),
        surveys.Question("needs", "multiple", TEXT, (surveys.Choice("charging", TEXT), surveys.Choice("toilet", TEXT))),
        surveys.Question("rate", "rating", TEXT),
        surveys.Question("hours", "number", TEXT, (), 0, 24))),), TS)),
    (surveys.parse_invitation, surveys.SurveyInvitation(STATION, ID, "M12345678", (
        surveys.Invitation(3, 2, "https://c.example/m/survey/3/M12345678/abc"),), TS)),
]
PARSERS = sorted({parse for parse, _ in VALID}, key=lambda p: f"{p.__module__}.{p.__name__}")


def parser_id(parse) -> str:
    """A readable test id for a parser: `events.parse`."""
    return f"{parse.__module__.rsplit('.', 1)[-1]}.{parse.__name__}"


# Any JSON value, nested a few levels.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)


@st.composite
def deep_nesting(draw) -> bytes:
    """Brackets nested hundreds to thousands deep, alone or as a field of an otherwise plausible payload."""
    depth = draw(st.integers(min_value=500, max_value=6000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    nested = opener * depth + "0" + closer * depth
    field = draw(st.sampled_from(["data", "ts", "inside", "items", "args", "entries", "name"]))
    if draw(st.booleans()):
        return nested.encode()
    return f'{{"v":1,"ts":"2026-11-21T06:30:00.000Z","{field}":{nested}}}'.encode()


@st.composite
def huge_numbers(draw) -> bytes:
    """Integers past Python's 4,300-digit conversion limit, huge floats, NaN and Infinity."""
    number = draw(st.sampled_from(["9" * 4301, "-" + "9" * 5000, "1e400", "-1e400", "NaN", "Infinity",
                                   "-Infinity", "1" + "0" * 400, "-1" + "0" * 19]))
    field = draw(st.sampled_from(["v", "inside", "seq", "slot", "lat", "care_day", "id", "ts"]))
    return f'{{"v":1,"ts":"2026-11-21T06:30:00.000Z","{field}":{number}}}'.encode()


def valid_object(message) -> dict:
    """The JSON object of a valid message's payload."""
    return json.loads(message.to_payload())


@st.composite
def mutated(draw, message) -> bytes:
    """A valid message with one field (at any depth) replaced, removed, or one unknown field added."""
    obj = valid_object(message)
    paths = list(_paths(obj))
    path = draw(st.sampled_from(paths))
    target = obj
    for key in path[:-1]:
        target = target[key]
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    if action == "replace":
        target[path[-1]] = draw(json_values)
    elif action == "remove" and isinstance(target, dict):
        del target[path[-1]]
    elif isinstance(target, dict):
        target[draw(st.text(max_size=8))] = draw(json_values)
    else:
        target.append(draw(json_values))
    return json.dumps(obj, ensure_ascii=draw(st.booleans())).encode()


def _paths(value, prefix=()):
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, inner in items:
        yield (*prefix, key)
        yield from _paths(inner, (*prefix, key))


# Every kind of garbage a payload may be; `hostile_payloads(message)` adds mutations of a valid one.
garbage = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.text(max_size=8), json_values, max_size=6).map(lambda d: json.dumps({"v": 1, **d}).encode()),
    deep_nesting(),
    huge_numbers(),
    st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
)


def hostile_payloads(message):
    """Garbage, or this valid message with one field mutated."""
    return st.one_of(garbage, mutated(message))


# Topics: random text, and every family's real pattern with random parts.
topic_parts = st.one_of(st.sampled_from(["xh-longhua", "kiosk", "1", "64", "0", "65", "01", "²", "١", "a\n", "",
                                         "+", "#", "A", "x" * 41]), st.text(max_size=12))


# Messages as the ingest worker sees them from a station: the station-to-central families only.
FROM_STATIONS = [(parse, m) for parse, m in VALID if parse in (
    events.parse, availability.parse, occupancy.parse, charger.parse, sessions.parse, heartbeat.parse,
    commands.parse_reply, location.parse, health.parse, classroom.parse_holdings)]


def mqtt_message(topic: str, payload: bytes, qos: int = 1):
    """A paho MQTTMessage as paho's network thread hands it over (topic bytes, payload, QoS)."""
    import paho.mqtt.client as mqtt

    message = mqtt.MQTTMessage(mid=0, topic=topic.encode("utf-8", "surrogatepass"))
    message.payload = payload
    message.qos = qos
    message.timestamp = time.monotonic()  # as paho stamps a message off the network
    return message


def refused(topic: str, payload: bytes) -> bool:
    """Whether the wire contract refuses this message (so it must change nothing anywhere)."""
    from devices import protocol

    try:
        protocol.parse_from_station(topic, payload)
    except protocol.ProtocolError:
        return True
    return False


@st.composite
def station_garbage(draw):
    """(topic below the root, payload) that the wire contract refuses: on a real family's topic or any topic."""
    _, message = draw(st.sampled_from(FROM_STATIONS))
    topic = draw(st.one_of(st.just(message.topic), st.text(max_size=40), st.sampled_from([
        "station/xh-longhua/event/checkin", "station/xh-longhua/event/nonsense", "station/²/occupancy",
        "station/xh-longhua/charger/01"])))
    payload = draw(hostile_payloads(message))
    from hypothesis import assume

    assume(refused(topic, payload))
    return topic, payload


def table_dump(database) -> dict[str, list]:
    """Every row of every table, in a stable order: what `nothing changed` is checked against."""
    dump = {}
    for table in sorted(database.get_tables()):
        cursor = database.execute_sql(f'SELECT * FROM "{table}"')
        dump[table] = sorted(tuple(str(v) for v in row) for row in cursor.fetchall())
    return dump


def random_json(rng, depth: int = 0):
    """A random JSON value from a seeded random.Random (fast enough for thousands of messages)."""
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, 1, -1, 2**53, 2**63, -(2**63), rng.randrange(-10**6, 10**6)])
    if kind == 3:
        return rng.choice([0.5, -1e308, 1e-308, rng.uniform(-1e6, 1e6)])
    if kind in (4, 5):
        return "".join(rng.choice("az09-_ZÅ驿站\n\"\\\u2028") for _ in range(rng.randrange(0, 12)))
    if kind in (6, 7):
        return [random_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {random_json(rng, 3) if rng.random() < 0.2 else rng.choice(["v", "ts", "id", "data", "x"]):
            random_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))}


def random_station_message(rng) -> tuple[str, bytes]:
    """One random (topic below the root, payload) of the kinds the property tests draw, from a seeded rng."""
    _, message = rng.choice(FROM_STATIONS)
    topic = message.topic
    kind = rng.randrange(8)
    if kind == 0:
        payload = rng.randbytes(rng.randrange(0, 300))
    elif kind == 1:
        payload = json.dumps(random_json(rng)).encode()
    elif kind == 2:
        depth = rng.randrange(500, 6000)
        payload = b'{"v":1,"ts":"2026-11-21T06:30:00.000Z","data":' + b"[" * depth + b"]" * depth + b"}"
    elif kind == 3:
        field = rng.choice(["inside", "seq", "v", "lat", "energy_wh"])
        payload = f'{{"v":1,"{field}":{rng.choice(["9" * 4301, "NaN", "Infinity", "1e400", "-" + "9" * 30])}}}'.encode()
    else:
        obj = valid_object(message)
        paths = list(_paths(obj))
        path = rng.choice(paths)
        target = obj
        for key in path[:-1]:
            target = target[key]
        if rng.random() < 0.3 and isinstance(target, dict):
            del target[path[-1]]
        else:
            target[path[-1]] = random_json(rng)
        payload = json.dumps(obj).encode()
    if rng.random() < 0.15:
        parts = topic.split("/")
        parts[rng.randrange(len(parts))] = rng.choice(["", "²", "01", "65", "A", "x" * 41, "nonsense", "é"])
        topic = "/".join(parts)
    return topic, payload
