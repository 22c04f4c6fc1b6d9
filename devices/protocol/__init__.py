"""The MQTT wire contract between stations and central (docs/mqtt.md describes it for device makers).

Each family module owns its topic pattern (relative to the configured root, e.g. `waystation/v1`),
a frozen message class with `topic` and `to_payload()`, and `parse(topic, payload)`. Nothing outside
this package spells a topic.
"""

from __future__ import annotations

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
from devices.protocol._base import ID_RE, MAX_PAYLOAD_BYTES, SCHEMA_VERSION, ProtocolError, format_time, utcnow

# Topic pattern -> parser, for everything that flows from stations to central.
_STATION_TO_CENTRAL = (
    (events.PATTERN, events.parse),
    (availability.PATTERN, availability.parse),
    (occupancy.PATTERN, occupancy.parse),
    (charger.PATTERN, charger.parse),
    (sessions.PATTERN, sessions.parse),
    (heartbeat.PATTERN, heartbeat.parse),
    (health.PATTERN, health.parse),
    (commands.REPLY_PATTERN, commands.parse_reply),
    (location.PATTERN, location.parse),
    (classroom.HOLDINGS_PATTERN, classroom.parse_holdings),
)
# Families central sends to stations; ingest sees them under its subscription and leaves them alone.
_CENTRAL_TO_STATION = (station_config.PATTERN, commands.PATTERN, receipts.PATTERN, schedule.PATTERN,
                       vouchers.POLICY_PATTERN, vouchers.DECISION_PATTERN, classroom.MANIFEST_PATTERN,
                       surveys.SURVEYS_PATTERN, surveys.INVITATION_PATTERN)


def _route_key(topic: str) -> tuple[str, int]:
    """Families differ in their third part (`station/{station}/<family>/...`) and their length."""
    parts = topic.split("/")
    return (parts[2] if len(parts) > 2 else "", len(parts))


# One dictionary look-up finds a topic's family, so each message is matched against one pattern.
_ROUTES = {_route_key(p.template): parse for p, parse in _STATION_TO_CENTRAL}
_ROUTES.update({_route_key(p.template): None for p in _CENTRAL_TO_STATION})
# Everything below this filter is a station's: ingest subscribes to it as a whole, so a message on a
# topic that fits no family is seen, logged and dropped rather than silently missed.
STATION_TREE = "station/#"

__all__ = [
    "ID_RE", "MAX_PAYLOAD_BYTES", "SCHEMA_VERSION", "ProtocolError", "availability", "charger", "classroom", "commands",
    "events", "format_time", "health", "heartbeat", "join", "location", "occupancy", "parse_from_station", "receipts",
    "schedule", "sessions", "split", "station_config", "surveys", "STATION_TREE", "from_central", "trust", "utcnow",
    "vouchers",
]


def join(root: str, relative: str) -> str:
    """The full topic: root plus a family's relative topic or filter."""
    return f"{root}/{relative}"


def split(root: str, topic: str) -> str:
    """The part of a full topic below the root; ProtocolError for a topic outside it."""
    if not topic.startswith(root + "/"):
        raise ProtocolError(f"topic {topic!r} is outside the root {root!r}")
    return topic[len(root) + 1:]


def from_central(topic: str) -> bool:
    """Whether a relative topic is one central itself publishes to stations (config, commands, receipts)."""
    key = _route_key(topic)
    return key in _ROUTES and _ROUTES[key] is None


def parse_from_station(topic: str, payload: bytes):
    """Any station-to-central message from a relative topic and payload; ProtocolError when invalid."""
    parse = _ROUTES.get(_route_key(topic))
    if parse is None:
        raise ProtocolError(f"topic {topic!r} belongs to no message family")
    return parse(topic, payload)
