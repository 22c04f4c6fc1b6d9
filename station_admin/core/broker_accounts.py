"""Central's broker accounts: stations' device clients and their roles in Mosquitto's Dynamic Security plugin.

Spoken over the plugin's own topic API (`$CONTROL/dynamic-security/v1`, answers on `.../response`),
each request carrying a correlation id and waiting for its answer with a timeout. Roles are made
per station and device kind from the wire contract (`devices.protocol.permissions`), because
Mosquitto 2.0.11 has no `%u`/`%c` substitution in plugin ACLs. Every device client has its client
id bound to its user name (`station.device`), so a device cannot take another client's session.

Revoking is deleting the client: the broker disconnects it at once, and on 2.0.11 that is the only
way to end its subscriptions (removing an ACL leaves them: CVE-2021-34434).

Pairing calls `BrokerAccounts.provision_device` and `revoke_device`; both are idempotent.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import uuid
from dataclasses import dataclass

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

from devices.mqtt import broker_address, tls_context
from devices.protocol.permissions import (
    DEFAULT_DEVICE_IDS,
    DEVICE_KINDS,
    Party,
    account_name,
    role_acls,
    role_name,
)

log = logging.getLogger(__name__)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
# What a client may do when no role says otherwise: nothing but receive what it may subscribe to.
DEFAULT_ACL_ACCESS = {"publishClientSend": False, "publishClientReceive": True, "subscribe": False,
                      "unsubscribe": True}


class BrokerAccountError(RuntimeError):
    """The broker refused or did not answer an account command; the message says which and why."""


@dataclass(frozen=True)
class DeviceCredential:
    """What a device needs to log in: user name, password and the client id bound to them."""

    station: str
    kind: Party
    device: str
    username: str
    password: str

    @property
    def client_id(self) -> str:
        """The client id the broker accepts with this user name (the same text)."""
        return self.username


class BrokerAccounts:
    """One control connection to the broker's Dynamic Security plugin; use as a context manager."""

    def __init__(self, broker_settings, *, timeout: float = 5.0, client_id: str | None = None):
        self.root = broker_settings.topic_root
        if not broker_settings.admin_url:
            raise BrokerAccountError("broker.admin_url is empty: central has no broker admin account to use")
        self.address = broker_address(broker_settings, url=broker_settings.admin_url)
        self.timeout = timeout
        self._pending: dict[str, dict | None] = {}
        self._answered = threading.Condition()
        self._ready = threading.Event()
        self._refused: str | None = None
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv311,
                                  client_id=client_id or f"ws-accounts-{uuid.uuid4().hex[:8]}")
        if self.address.username:
            self.client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self.client.tls_set_context(tls_context(broker_settings))
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = self._on_subscribe
        self.client.on_message = self._on_message

    def __enter__(self) -> BrokerAccounts:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def connect(self) -> None:
        """Connect and subscribe to the plugin's answers; BrokerAccountError when that fails in time."""
        try:
            self.client.connect(self.address.host, self.address.port, keepalive=30)
        except OSError as e:
            raise BrokerAccountError(f"cannot reach the broker at {self.address.display()}: {e}") from None
        self.client.loop_start()
        if not self._ready.wait(self.timeout) or self._refused:
            self.close()
            raise BrokerAccountError(f"the broker at {self.address.display()} did not accept the admin account: "
                                     f"{self._refused or 'no answer'}")

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    def execute(self, *commands: dict, tolerate: tuple[str, ...] = ()) -> list[dict]:
        """Send commands in one request and return the plugin's answers, in order.

        An answer with an error raises BrokerAccountError unless its text contains one of `tolerate`
        (e.g. "not found" when deleting what may not exist).
        """
        ids = [uuid.uuid4().hex for _ in commands]
        with self._answered:
            self._pending.update(dict.fromkeys(ids))
        payload = {"commands": [{**c, "correlationData": i} for c, i in zip(commands, ids, strict=True)]}
        self.client.publish(CONTROL_TOPIC, json.dumps(payload), qos=1)
        with self._answered:
            done = self._answered.wait_for(lambda: all(self._pending[i] is not None for i in ids), self.timeout)
            answers = [self._pending.pop(i) for i in ids]
        if not done:
            raise BrokerAccountError(f"the broker did not answer {[c['command'] for c in commands]} in {self.timeout}s"
                                     " (is the Dynamic Security plugin loaded, and may this account use it?)")
        for command, answer in zip(commands, answers, strict=True):
            error = answer.get("error")
            if error and not any(t in error for t in tolerate):
                raise BrokerAccountError(f"{command['command']} refused by the broker: {error}")
        return answers

    def set_default_access(self) -> None:
        """Deny what no role allows (the topic API: `mosquitto_ctrl dynsec setDefaultACLAccess` breaks on 2.0.11)."""
        self.execute({"command": "setDefaultACLAccess",
                      "acls": [{"acltype": k, "allow": v} for k, v in DEFAULT_ACL_ACCESS.items()]})

    def ensure_role(self, party: Party, station: str | None = None) -> str:
        """Create the role of a device kind at a station (or central's), or bring its ACLs to the contract's."""
        name = role_name(party, station)
        wanted = role_acls(self.root, party, station)
        created = self.execute({"command": "createRole", "rolename": name, "acls": wanted},
                               tolerate=("already exists",))[0]
        if not created.get("error"):
            return name
        role = self.execute({"command": "getRole", "rolename": name})[0]["data"]["role"]
        have = {(a["acltype"], a["topic"]) for a in role.get("acls", [])}
        want = {(a["acltype"], a["topic"]) for a in wanted}
        changes = [{"command": "removeRoleACL", "rolename": name, "acltype": t, "topic": topic}
                   for t, topic in sorted(have - want)]
        changes += [{"command": "addRoleACL", "rolename": name, **a} for a in wanted
                    if (a["acltype"], a["topic"]) not in have]
        if changes:
            self.execute(*changes)
            log.info("role %s brought to the contract (%d changes)", name, len(changes))
        return name

    def ensure_station_roles(self, station: str) -> list[str]:
        """Every device kind's role at a station."""
        return [self.ensure_role(kind, station) for kind in DEVICE_KINDS]

    def provision_device(self, station: str, kind: Party | str, device: str | None = None) -> DeviceCredential:
        """Create or replace a device's account (a fresh password; a connected old one is disconnected).

        The client id is bound to the user name `station.device`; the device kind's role at the
        station is made or updated first.
        """
        kind = Party(kind)
        if kind is Party.CENTRAL:
            raise BrokerAccountError("central's accounts are made with ensure_central, not as a station device")
        device = device or DEFAULT_DEVICE_IDS[kind]
        username = account_name(station, device)
        role = self.ensure_role(kind, station)
        password = secrets.token_urlsafe(24)
        self.execute({"command": "deleteClient", "username": username},
                     {"command": "createClient", "username": username, "password": password, "clientid": username,
                      "textname": f"{kind} {device} at {station}", "roles": [{"rolename": role}]},
                     tolerate=("not found",))
        log.info("broker account %s (%s) provisioned", username, kind)
        return DeviceCredential(station, kind, device, username, password)

    def revoke_device(self, station: str, device: str) -> None:
        """Delete a device's account: the broker disconnects it now and refuses it from then on."""
        self.execute({"command": "deleteClient", "username": account_name(station, device)}, tolerate=("not found",))
        log.info("broker account %s revoked", account_name(station, device))

    def revoke_station(self, station: str) -> list[str]:
        """Delete every device account of a station and its roles (unpairing); the user names deleted."""
        names = self.device_accounts(station)
        commands = [{"command": "deleteClient", "username": name} for name in names]
        commands += [{"command": "deleteRole", "rolename": role_name(kind, station)} for kind in DEVICE_KINDS]
        self.execute(*commands, tolerate=("not found",))
        log.info("broker accounts of station %s revoked: %s", station, ", ".join(names) or "none")
        return names

    def disable_device(self, station: str, device: str) -> None:
        """Disable a device's account (kept, refused, disconnected now) until `enable_device`."""
        self.execute({"command": "disableClient", "username": account_name(station, device)})

    def enable_device(self, station: str, device: str) -> None:
        """Let a disabled device's account log in again."""
        self.execute({"command": "enableClient", "username": account_name(station, device)})

    def ensure_central(self, username: str, password: str, client_id: str | None = None) -> None:
        """Create or replace one of central's own clients with central's role (client id bound when given)."""
        role = self.ensure_role(Party.CENTRAL)
        client = {"command": "createClient", "username": username, "password": password,
                  "textname": "Waystation central", "roles": [{"rolename": role}]}
        if client_id:
            client["clientid"] = client_id
        self.execute({"command": "deleteClient", "username": username}, client, tolerate=("not found",))

    def device_accounts(self, station: str) -> list[str]:
        """The user names of a station's device accounts at the broker."""
        answer = self.execute({"command": "listClients", "verbose": False})[0]
        return sorted(u for u in answer["data"]["clients"] if u.startswith(f"{station}."))

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._refused = str(reason_code)
            self._ready.set()
            return
        client.subscribe(RESPONSE_TOPIC, qos=1)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        if any(code.is_failure for code in reason_codes):
            self._refused = f"subscription to {RESPONSE_TOPIC} refused"
        self._ready.set()

    def _on_message(self, client, userdata, message) -> None:
        try:
            responses = json.loads(message.payload)["responses"]
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable answer on %s dropped", message.topic)
            return
        with self._answered:
            for answer in responses:
                key = answer.get("correlationData") if isinstance(answer, dict) else None
                if key in self._pending:
                    self._pending[key] = answer
            self._answered.notify_all()
