"""Who publishes and who subscribes each message family: the wire contract's permissions.

The broker's access rules are made from this table and nothing else: the Dynamic Security roles
central gives each station's devices (`role_acls`), and the static ACL file for brokers without
the plugin (`static_acl`). A topic family's entry names the parties that publish it and the
parties that subscribe to it; a party gets exactly those rights, on its own station only.

Mosquitto's ACL wildcards match whole levels (`charger/+` does not cover `charger/3/session`), so
every rule is a family's own filter with the station part fixed and the other named parts `+`.
Devices of one kind at one station share a role, so the device part of a topic stays `+`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from devices.protocol import (
    availability,
    charger,
    classroom,
    commands,
    events,
    health,
    heartbeat,
    location,
    markers,
    occupancy,
    receipts,
    schedule,
    sessions,
    station_config,
    surveys,
    trust,
    vouchers,
)
from devices.protocol._base import ID_RE, TopicPattern


class Party(StrEnum):
    """Who is on the other end of an MQTT connection: a station's device kind, or central."""

    KIOSK = "kiosk"
    PEOPLE_COUNTER = "people_counter"
    CHARGER_CONTROLLER = "charger_controller"
    CENTRAL = "central"


DEVICE_KINDS = (Party.KIOSK, Party.PEOPLE_COUNTER, Party.CHARGER_CONTROLLER)
# The device id each kind uses on the wire unless configured otherwise (kiosk.device_id).
DEFAULT_DEVICE_IDS = {Party.KIOSK: "kiosk", Party.PEOPLE_COUNTER: "counter", Party.CHARGER_CONTROLLER: "charger"}

_K, _P, _C, _CENTRAL = Party.KIOSK, Party.PEOPLE_COUNTER, Party.CHARGER_CONTROLLER, Party.CENTRAL


@dataclass(frozen=True)
class Family:
    """One topic family of the contract and the parties that publish and subscribe to it."""

    name: str
    pattern: TopicPattern
    publishers: frozenset[Party]
    subscribers: frozenset[Party]

    @property
    def per_station(self) -> bool:
        """Whether the family's topics belong to one station (`station/{station}/...`)."""
        return "station" in self.pattern.names

    def filter_for(self, station: str | None) -> str:
        """The family's filter at one station (or at every station for None), other parts `+`."""
        if self.per_station and station is not None:
            return self.pattern.filter_with(station=station)
        return self.pattern.filter


def _family(name: str, pattern: TopicPattern, publishers, subscribers) -> Family:
    return Family(name, pattern, frozenset(publishers), frozenset(subscribers))


# Central subscribes to the whole station tree (ingest sees, logs and drops unknown topics there),
# so it is a subscriber of every per-station family; station-bound parties only of their own.
FAMILIES = (
    _family("availability", availability.PATTERN, (_K, _P, _C), (_K, _CENTRAL)),
    _family("occupancy", occupancy.PATTERN, (_P,), (_K, _CENTRAL)),
    _family("charger_slot", charger.PATTERN, (_C,), (_K, _CENTRAL)),
    _family("charge_session", sessions.PATTERN, (_C,), (_K, _CENTRAL)),
    _family("heartbeat", heartbeat.PATTERN, (_K, _P, _C), (_CENTRAL,)),
    _family("health", health.PATTERN, (_K,), (_CENTRAL,)),
    _family("event", events.PATTERN, (_K,), (_CENTRAL,)),
    _family("location", location.PATTERN, (_K,), (_CENTRAL,)),
    _family("receipt", receipts.PATTERN, (_CENTRAL,), (_K, _CENTRAL)),
    _family("station_config", station_config.PATTERN, (_CENTRAL,), (_K, _CENTRAL)),
    _family("command", commands.PATTERN, (_CENTRAL, _K), (_K, _C, _CENTRAL)),
    _family("command_reply", commands.REPLY_PATTERN, (_K, _C), (_K, _CENTRAL)),
    _family("voucher_policy", vouchers.POLICY_PATTERN, (_CENTRAL,), (_K, _CENTRAL)),
    _family("voucher_decision", vouchers.DECISION_PATTERN, (_CENTRAL,), (_K, _CENTRAL)),
    _family("schedule", schedule.PATTERN, (_CENTRAL,), (_K, _CENTRAL)),
    _family("classroom_manifest", classroom.MANIFEST_PATTERN, (_CENTRAL,), (_K, _CENTRAL)),
    _family("classroom_holdings", classroom.HOLDINGS_PATTERN, (_K,), (_CENTRAL,)),
    _family("surveys", surveys.SURVEYS_PATTERN, (_CENTRAL,), (_K, _CENTRAL)),
    _family("survey_invitation", surveys.INVITATION_PATTERN, (_CENTRAL,), (_K, _CENTRAL)),
    _family("trust", trust.TRUST_PATTERN, (_CENTRAL,), (_K,)),
    _family("revocations", trust.REVOCATIONS_PATTERN, (_CENTRAL,), (_K,)),
    _family("ingest_marker", markers.PATTERN, (_CENTRAL,), (_CENTRAL,)),
)
# The one filter central's ingest subscribes to (devices.protocol.STATION_TREE).
CENTRAL_SUBSCRIPTION = "station/#"
# The same through an MQTT 5 shared subscription (ingest.shared_group, any group): Mosquitto checks a
# subscription's ACL on the whole filter, `$share/<group>/` included (2.0.11 refuses it without this rule).
CENTRAL_SHARED_SUBSCRIPTION = f"$share/+/{{root}}/{CENTRAL_SUBSCRIPTION}"


def may_publish(party: Party, family: Family, own_station: bool = True) -> bool:
    """Whether the contract lets `party` publish on `family` at its own station (or another one)."""
    if party not in family.publishers:
        return False
    return own_station or party is Party.CENTRAL or not family.per_station


def may_subscribe(party: Party, family: Family, own_station: bool = True) -> bool:
    """Whether the contract lets `party` subscribe to `family` at its own station (or another one)."""
    if party not in family.subscribers:
        return False
    return own_station or party is Party.CENTRAL or not family.per_station


@dataclass(frozen=True)
class Rule:
    """One access rule: publish or subscribe on a full topic filter."""

    action: str  # "publish" or "subscribe"
    topic: str


def rules_for(root: str, party: Party, station: str | None = None) -> list[Rule]:
    """Every rule of `party` (at `station`, for a device kind) under the topic root, in contract order."""
    if party is Party.CENTRAL:
        station = None
    elif station is None or not ID_RE.match(station):
        raise ValueError(f"a {party} needs a station code (lower-case letters, digits, - or _), got {station!r}")
    out = [Rule("publish", f"{root}/{f.filter_for(station)}") for f in FAMILIES if party in f.publishers]
    if party is Party.CENTRAL:
        out.append(Rule("subscribe", f"{root}/{CENTRAL_SUBSCRIPTION}"))
        out.append(Rule("subscribe", CENTRAL_SHARED_SUBSCRIPTION.format(root=root)))
        out.extend(Rule("subscribe", f"{root}/{f.filter_for(None)}") for f in FAMILIES
                   if party in f.subscribers and not f.per_station)
    else:
        out.extend(Rule("subscribe", f"{root}/{f.filter_for(station)}") for f in FAMILIES if party in f.subscribers)
    return out


def role_name(party: Party, station: str | None = None) -> str:
    """The broker role of a device kind at a station (`ws-xh-longhua-kiosk`), or central's (`ws-central`)."""
    return "ws-central" if party is Party.CENTRAL else f"ws-{station}-{party}"


def account_name(station: str, device: str) -> str:
    """A device's broker user name and client id: `station.device` (ids never contain a dot)."""
    if not ID_RE.match(station) or not ID_RE.match(device):
        raise ValueError(f"station and device ids are lower-case letters, digits, - or _: {station!r}, {device!r}")
    return f"{station}.{device}"


def role_acls(root: str, party: Party, station: str | None = None) -> list[dict]:
    """The role's ACL list for Mosquitto's Dynamic Security plugin (exact levels, allow only)."""
    kinds = {"publish": "publishClientSend", "subscribe": "subscribePattern"}
    return [{"acltype": kinds[r.action], "topic": r.topic, "allow": True, "priority": 0}
            for r in rules_for(root, party, station)]


def static_acl(root: str, stations: list[str], central_user: str = "central") -> str:
    """A Mosquitto `acl_file` for brokers without Dynamic Security: one user per station device.

    User names are `account_name(station, device)` with each kind's default device id; the broker
    sets `use_username_as_clientid true` on each listener so a client id cannot be borrowed.
    """
    lines = [
        "# Mosquitto ACL file for Waystation, for brokers without the Dynamic Security plugin.",
        "# Generated from devices/protocol/permissions.py by `waystation broker-acl`: do not edit by hand.",
        "# Set `use_username_as_clientid true` under each listener; see docs/mqtt.md (Who may publish",
        "# and subscribe what) and docs/operations.md (A broker without the Dynamic Security plugin).",
        f"# Stations: {', '.join(stations) or '(none)'}; regenerate with `waystation broker-acl --station CODE ...`.",
        "",
        f"user {central_user}",
        *_acl_lines(rules_for(root, Party.CENTRAL)),
    ]
    for station in stations:
        for kind in DEVICE_KINDS:
            lines += ["", f"user {account_name(station, DEFAULT_DEVICE_IDS[kind])}",
                      *_acl_lines(rules_for(root, kind, station))]
    return "\n".join(lines) + "\n"


def _acl_lines(rules: list[Rule]) -> list[str]:
    # A publish needs `write`; a subscription needs `read` (Mosquitto checks it on subscribe and on delivery).
    return [f"topic {'write' if r.action == 'publish' else 'read'} {r.topic}" for r in rules]
