"""The shipped broker config with central's accounts: who may publish and read what, bound client ids, revocation.

Every test here runs Mosquitto with config/mosquitto/waystation.conf as shipped (Dynamic Security,
no anonymous access, a TLS listener with a CA made in the test); only paths and ports differ.
A refused publish is silently dropped by Mosquitto, so refusals are checked by what arrives.
"""

from __future__ import annotations

import queue
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol.permissions import (
    DEFAULT_DEVICE_IDS,
    DEVICE_KINDS,
    FAMILIES,
    Party,
    account_name,
    may_publish,
    may_subscribe,
    static_acl,
)
from station_admin.core.broker_accounts import BrokerAccountError, BrokerAccounts
from tests.brokers import AclFileMosquitto, SecureMosquitto
from tests.conftest import make_settings, wait_until

ROOT = "waystation/v1"
OWN, OTHER = "xh-longhua", "xh-xujiahui"
CENTRAL_USER, CENTRAL_CLIENT_ID = "central", "waystation-ingest-1"
# A refused subscription shows as nothing arriving: wait this long after a full-rights reader has it.
GRACE_S = 0.3
SAMPLE_PARTS = {"device": "probe", "slot": 3, "kind": "checkin", "shard": "7"}


def broker_settings(broker: SecureMosquitto, **extra):
    """Broker settings for this test's broker: the test CA, the admin account, the contract's root."""
    return make_settings(broker={"url": broker.url, "admin_url": broker.admin_url, "topic_root": ROOT,
                                 "ca_file": str(broker.certs.ca_cert), **extra}).broker


class Probe:
    """A plain paho client over TLS that records what it receives."""

    def __init__(self, broker: SecureMosquitto, username: str, password: str, client_id: str | None = None,
                 *, clean: bool = True):
        self.received: queue.Queue = queue.Queue()
        self.refused = None
        self.subacks: dict[int, list] = {}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id or username,
                                  clean_session=clean)
        self.client.username_pw_set(username, password)
        self.client.tls_set(ca_certs=str(broker.certs.ca_cert))
        self.connected = self.disconnected = None
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = lambda c, u, m: self.received.put((m.topic, m.payload))
        self.client.on_subscribe = lambda c, u, mid, codes, p: self.subacks.__setitem__(mid, codes)
        self.client.connect("localhost", broker.tls_port, keepalive=20)
        self.client.loop_start()
        wait_until(lambda: self.connected is not None, message=f"{username}'s CONNACK")

    def _on_connect(self, client, userdata, flags, reason_code, properties):
        self.connected = not reason_code.is_failure
        self.refused = reason_code if reason_code.is_failure else None
        if reason_code.is_failure:
            client.disconnect()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.disconnected = reason_code

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(timeout=5)

    def subscribe(self, topic_filter: str) -> list:
        mid = self.client.subscribe(topic_filter, qos=1)[1]
        return wait_until(lambda: self.subacks.get(mid), message=f"SUBACK for {topic_filter}")

    def got(self, payload: bytes, timeout: float) -> bool:
        """Whether `payload` arrives within `timeout` (other messages are skipped)."""
        try:
            while True:
                _, body = self.received.get(timeout=timeout)
                if body == payload:
                    return True
        except queue.Empty:
            return False

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    """The shipped config, with central's role and accounts and both stations' devices provisioned."""
    broker = SecureMosquitto(workdir=tmp_path_factory.mktemp("secure-mosquitto")).start()
    yield broker
    broker.cleanup()


@pytest.fixture(scope="module")
def accounts(broker):
    """Central's control connection to the plugin, with default access set and the test's accounts."""
    with BrokerAccounts(broker_settings(broker)) as accounts:
        accounts.set_default_access()
        yield accounts


@pytest.fixture(scope="module", params=["dynsec", "acl_file"])
def parties(request, tmp_path_factory):
    """A connected client of every party at station OWN, and a full-rights reader, on either kind of broker.

    `dynsec`: the shipped config, accounts made by central over the plugin's API. `acl_file`: the
    shipped config without the plugin, with a password file and the ACL file `waystation broker-acl`
    generates (docs/operations.md, "A broker without the Dynamic Security plugin").
    """
    if request.param == "dynsec":
        broker, accounts = request.getfixturevalue("broker"), request.getfixturevalue("accounts")
        central_password = uuid.uuid4().hex
        accounts.ensure_central(CENTRAL_USER, central_password)
        # A test-only client with every right, to publish what no party may and to see what arrived.
        accounts.execute({"command": "createRole", "rolename": "test-everything", "acls": [
            {"acltype": "publishClientSend", "topic": "#", "allow": True},
            {"acltype": "subscribePattern", "topic": "#", "allow": True}]},
            {"command": "createClient", "username": "test-everything", "password": "everything",
             "roles": [{"rolename": "test-everything"}]})
        logins = {Party.CENTRAL: (CENTRAL_USER, central_password, "central-probe")}
        for kind in DEVICE_KINDS:
            credential = accounts.provision_device(OWN, kind)
            logins[kind] = (credential.username, credential.password, credential.client_id)
        accounts.ensure_station_roles(OTHER)
    else:
        logins = {Party.CENTRAL: (CENTRAL_USER, uuid.uuid4().hex, CENTRAL_USER)}
        for kind in DEVICE_KINDS:
            user = account_name(OWN, DEFAULT_DEVICE_IDS[kind])
            logins[kind] = (user, uuid.uuid4().hex, user)
        acl = static_acl(ROOT, [OWN, OTHER], CENTRAL_USER) + "\nuser test-everything\ntopic readwrite #\n"
        users = {user: password for user, password, _ in logins.values()} | {"test-everything": "everything"}
        broker = AclFileMosquitto(acl, users, workdir=tmp_path_factory.mktemp("acl-file-mosquitto")).start()
        request.addfinalizer(broker.cleanup)
    clients = {party: Probe(broker, *login) for party, login in logins.items()}
    everything = Probe(broker, "test-everything", "everything")
    everything.subscribe(f"{ROOT}/#")
    assert all(c.connected for c in clients.values())
    yield clients, everything
    for client in [*clients.values(), everything]:
        client.close()


def sample_topic(family, station: str) -> str:
    """A concrete topic of the family at a station."""
    values = {name: SAMPLE_PARTS.get(name, station) for name in family.pattern.names}
    return f"{ROOT}/{family.pattern.format(**values)}"


def sentinel_topic(party: Party) -> str:
    """A topic the party may publish on, sent after a probe: once it arrives, the probe would have too."""
    if party is Party.CENTRAL:
        return f"{ROOT}/station/{OWN}/config"
    return f"{ROOT}/station/{OWN}/availability/{DEFAULT_DEVICE_IDS[party]}"


CASES = [(family, party, own) for family in FAMILIES for party in Party
         for own in ((True, False) if family.per_station else (True,))]
IDS = [f"{f.name}-{p}-{'own' if own else 'other'}" for f, p, own in CASES]


@pytest.mark.parametrize(("family", "party", "own"), CASES, ids=IDS)
def test_publish_matrix(parties, family, party, own):
    clients, everything = parties
    topic = sample_topic(family, OWN if own else OTHER)
    probe, sentinel = f"probe-{uuid.uuid4().hex}".encode(), f"sentinel-{uuid.uuid4().hex}".encode()
    seen = []
    everything.received = queue.Queue()

    clients[party].publish(topic, probe)
    clients[party].publish(sentinel_topic(party), sentinel)

    def arrived():
        while not everything.received.empty():
            seen.append(everything.received.get())
        return any(body == sentinel for _, body in seen)

    wait_until(arrived, timeout=5, message="the sentinel")
    assert ((topic, probe) in seen) == may_publish(party, family, own), (
        f"{party} publishing on {topic}: expected {'delivery' if may_publish(party, family, own) else 'refusal'}")


@pytest.mark.parametrize(("family", "party", "own"), CASES, ids=IDS)
def test_subscribe_matrix(parties, family, party, own):
    clients, everything = parties
    station = OWN if own else OTHER
    reader = clients[party]
    topic_filter = f"{ROOT}/{family.filter_for(station)}"
    topic = sample_topic(family, station)
    reader.received = queue.Queue()
    everything.received = queue.Queue()
    reader.subscribe(topic_filter)
    try:
        probe = f"probe-{uuid.uuid4().hex}".encode()
        everything.publish(topic, probe)
        assert everything.got(probe, timeout=5), "the full-rights reader did not get the probe"
        allowed = may_subscribe(party, family, own)
        assert reader.got(probe, timeout=5 if allowed else GRACE_S) == allowed, (
            f"{party} subscribed to {topic_filter}: expected {'delivery' if allowed else 'nothing'}")
    finally:
        reader.client.unsubscribe(topic_filter)


def test_a_device_with_central_s_client_id_cannot_take_central_s_session(broker, accounts):
    password = uuid.uuid4().hex
    accounts.ensure_central("central-ingest", password, client_id=CENTRAL_CLIENT_ID)
    central = Probe(broker, "central-ingest", password, CENTRAL_CLIENT_ID, clean=False)
    assert central.connected
    kiosk = accounts.provision_device(OWN, Party.KIOSK, "kiosk-takeover")

    intruder = Probe(broker, kiosk.username, kiosk.password, CENTRAL_CLIENT_ID, clean=False)
    assert intruder.connected is False and intruder.refused is not None
    # Central's own user name with a wrong password gets nowhere either.
    guess = Probe(broker, "central-ingest", "wrong", CENTRAL_CLIENT_ID, clean=False)
    assert guess.connected is False
    # Central was never kicked off.
    assert central.disconnected is None and central.client.is_connected()
    for client in (intruder, guess, central):
        client.close()


def test_a_device_connects_only_with_its_own_client_id(broker, accounts):
    counter = accounts.provision_device(OWN, Party.PEOPLE_COUNTER, "counter-bound")
    assert counter.client_id == f"{OWN}.counter-bound"
    wrong = Probe(broker, counter.username, counter.password, f"{OWN}.kiosk")
    assert wrong.connected is False
    right = Probe(broker, counter.username, counter.password)
    assert right.connected
    for client in (wrong, right):
        client.close()


@pytest.mark.parametrize("how", ["disable", "revoke"])
def test_a_disabled_or_revoked_device_is_disconnected_and_cannot_reconnect(broker, accounts, how):
    charger = accounts.provision_device(OWN, Party.CHARGER_CONTROLLER, f"charger-{how}")
    device = Probe(broker, charger.username, charger.password)
    assert device.connected

    (accounts.disable_device if how == "disable" else accounts.revoke_device)(OWN, charger.device)

    wait_until(lambda: device.disconnected is not None, timeout=5, message="the device disconnected")
    device.close()
    again = Probe(broker, charger.username, charger.password)
    assert again.connected is False
    again.close()
    if how == "disable":
        accounts.enable_device(OWN, charger.device)
        back = Probe(broker, charger.username, charger.password)
        assert back.connected
        back.close()
    else:
        assert charger.username not in accounts.device_accounts(OWN)


def test_re_provisioning_replaces_the_password_and_disconnects_the_old_one(broker, accounts):
    first = accounts.provision_device(OWN, Party.KIOSK, "kiosk-again")
    old = Probe(broker, first.username, first.password)
    assert old.connected
    second = accounts.provision_device(OWN, Party.KIOSK, "kiosk-again")
    assert second.password != first.password
    wait_until(lambda: old.disconnected is not None, timeout=5, message="the old connection dropped")
    old.close()
    assert Probe(broker, first.username, first.password).connected is False
    fresh = Probe(broker, second.username, second.password)
    assert fresh.connected
    fresh.close()


def test_unpairing_a_station_revokes_every_device_and_its_roles(broker, accounts):
    devices = [accounts.provision_device("xh-unpaired", kind) for kind in DEVICE_KINDS]
    connected = [Probe(broker, d.username, d.password) for d in devices]
    assert all(c.connected for c in connected)
    other = accounts.provision_device("xh-unpaired-not", Party.KIOSK)  # a station whose code starts alike

    assert accounts.revoke_station("xh-unpaired") == sorted(d.username for d in devices)

    for client in connected:
        wait_until(lambda c=client: c.disconnected is not None, timeout=5, message="every device disconnected")
        client.close()
    assert accounts.device_accounts("xh-unpaired") == []
    assert accounts.device_accounts("xh-unpaired-not") == [other.username]
    listed = accounts.execute({"command": "listRoles", "verbose": False})[0]["data"]["roles"]
    assert not [r for r in listed if r.startswith("ws-xh-unpaired-") and not r.startswith("ws-xh-unpaired-not")]
    assert accounts.revoke_station("xh-unpaired") == []  # again: nothing left, no error


def test_roles_are_brought_back_to_the_contract(broker, accounts):
    name = accounts.ensure_role(Party.PEOPLE_COUNTER, "xh-drift")
    accounts.execute({"command": "addRoleACL", "rolename": name, "acltype": "publishClientSend",
                      "topic": f"{ROOT}/station/xh-drift/event/+", "allow": True})
    accounts.ensure_role(Party.PEOPLE_COUNTER, "xh-drift")
    role = accounts.execute({"command": "getRole", "rolename": name})[0]["data"]["role"]
    assert not any("/event/" in acl["topic"] for acl in role["acls"])
    assert len(role["acls"]) == 3


def test_anonymous_and_unknown_users_are_refused(broker):
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="anonymous")
    client.tls_set(ca_certs=str(broker.certs.ca_cert))
    codes = []
    client.on_connect = lambda c, u, f, rc, p: codes.append(rc)
    client.connect("localhost", broker.tls_port)
    client.loop_start()
    wait_until(lambda: codes, message="CONNACK")
    client.loop_stop()
    assert codes[0].is_failure


def test_a_wrong_admin_password_is_a_clear_error(broker):
    settings = broker_settings(broker, admin_url=f"mqtt://ws-admin:wrong@127.0.0.1:{broker.port}")
    with pytest.raises(BrokerAccountError, match="did not accept the admin account"):
        BrokerAccounts(settings, timeout=3).connect()


def test_the_roles_command_brings_an_older_central_role_to_this_version(broker, accounts, monkeypatch, capsys):
    """An upgrade that adds to the contract (here the ingest markers) is one command for an existing broker."""
    from waystation.cli import main

    name = accounts.ensure_role(Party.CENTRAL)
    marker = f"{ROOT}/central/ingest/+/marker"
    accounts.execute(*({"command": "removeRoleACL", "rolename": name, "acltype": kind, "topic": marker}
                       for kind in ("publishClientSend", "subscribePattern")))  # central's role as it was before
    for key, value in {"URL": broker.url, "ADMIN_URL": broker.admin_url, "TOPIC_ROOT": ROOT,
                       "CA_FILE": str(broker.certs.ca_cert)}.items():
        monkeypatch.setenv(f"WAYSTATION_BROKER_{key}", value)
    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    assert main(["broker-account", "roles", "xh-rolled"]) == 0
    assert "ws-central" in capsys.readouterr().out
    role = accounts.execute({"command": "getRole", "rolename": name})[0]["data"]["role"]
    assert {("publishClientSend", marker), ("subscribePattern", marker)} <= {(a["acltype"], a["topic"])
                                                                            for a in role["acls"]}
    listed = accounts.execute({"command": "listRoles", "verbose": False})[0]["data"]["roles"]
    assert {"ws-xh-rolled-kiosk", "ws-xh-rolled-people_counter", "ws-xh-rolled-charger_controller"} <= set(listed)
