"""Pairing a station end to end, on the shipped broker config and a real central served over HTTP.

Central issues a code on its staff page; `waystation pair` on the "station PC" claims it and writes
the site file; the kiosk and the simulated devices start from that file alone over mqtts://, and
their check-in and health reach central. Pairing again replaces every credential (the old kiosk
password stops working); unpairing disconnects the devices, which cannot log in again.
"""

from __future__ import annotations

import re
import stat
import threading
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from devices.protocol.permissions import DEVICE_KINDS
from devices.simulators.run import SimulatedStation, Simulation
from station_admin.core.broker_accounts import BrokerAccounts
from tests.brokers import SecureMosquitto
from tests.charging_helpers import STATION
from tests.conftest import csrf_of, make_settings, wait_until
from tests.station_admin.test_auth import login
from tests.test_end_to_end import central_checkins, tap_checkin
from waystation import cli
from waystation.pairing import device_login
from waystation.settings import load_settings

pytestmark = pytest.mark.timeout(150)


@pytest.fixture
def secure_mosquitto(tmp_path):
    broker = SecureMosquitto(workdir=tmp_path / "mosquitto").start()
    yield broker
    broker.cleanup()


class ServedApp:
    """A WSGI app served by waitress on a free loopback port, in a thread."""

    def __init__(self, app):
        from waitress.server import create_server

        self.server = create_server(app, host="127.0.0.1", port=0, threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self._thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self):
        self._thread.start()

    def stop(self):
        self.server.close()


def start_paired_central(running, central_settings, broker, topic_root):
    """Central on `broker` with a broker admin account and its own bound account, served over HTTP."""
    from station_admin import create_app
    from station_admin.node.central import CentralNode

    ingest_id = f"ingest-{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    admin = make_settings(broker={"url": broker.url, "admin_url": broker.admin_url, "topic_root": topic_root}).broker
    with BrokerAccounts(admin) as accounts:
        accounts.set_default_access()
        accounts.ensure_central("central", password, client_id=ingest_id)
    settings = central_settings(f"mqtt://central:{password}@127.0.0.1:{broker.port}", template="demo",
                                broker={"admin_url": broker.admin_url}, ingest={"client_id": ingest_id},
                                central={"trust_publish_seconds": 0.5}, alarms={"evaluate_seconds": 0.5},
                                pairing={"station_broker_url": broker.tls_url(),
                                         "station_ca_file": str(broker.certs.ca_cert)})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    node = running.start(CentralNode(settings, app.extensions["waystation.protector"]))
    wait_until(node.link.subscribed.is_set, message="central subscribed")
    served = running.start(ServedApp(app))
    return app, served


def issue_code(app, station: str = STATION) -> str:
    """Sign in as the demo admin and issue a pairing code on the station's page."""
    staff = app.test_client()
    login(staff, "admin", "admin-demo")
    staff.get(f"/stations/{station}/pairing")
    page = staff.post(f"/stations/{station}/pairing/code", data={"csrf_token": csrf_of(staff)})
    assert page.status_code == 200
    return re.search(r'data-testid="code">(\d{6})<', page.get_data(as_text=True)).group(1)


def pair(capsys, code: str, central: str, site_file) -> tuple[int, str, str]:
    """Run `waystation pair` as the station PC would."""
    rc = cli.main(["pair", code, "--central", central, "--site-file", str(site_file)])
    out = capsys.readouterr()
    return rc, out.out, out.err


def refused_login(broker, username: str, password: str) -> bool:
    """Whether the broker's TLS listener refuses this user name and password (client id bound to it)."""
    import ssl

    result: list = []
    done = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=username)
    client.username_pw_set(username, password)
    client.tls_set_context(ssl.create_default_context(cafile=str(broker.certs.ca_cert)))

    def on_connect(c, u, flags, reason_code, properties):
        result.append(reason_code)
        done.set()
    client.on_connect = on_connect
    client.connect("localhost", broker.tls_port)
    client.loop_start()
    try:
        assert done.wait(10), "no answer from the broker"
    finally:
        client.disconnect()
        client.loop_stop()
    return result[0].is_failure


def start_station(running, site_file, tmp_path, kiosk_overrides=None):
    """The kiosk and the simulators of the paired station, from the site file (and a test database path)."""
    from kiosk import create_app, models
    from kiosk.migrations import MIGRATIONS
    from kiosk.node import KioskNode
    from tests.test_station_over_tls import SteppedSimulation
    from waystation.db import migrate

    settings = load_settings(site_file, env={}, overrides={
        "kiosk": {"database_path": str(tmp_path / "kiosk-{station}.db"), "heartbeat_seconds": 1,
                  "health_seconds": 1, **(kiosk_overrides or {})},
        "broker": {"reconnect_min_s": 1, "reconnect_max_s": 2}})
    kiosk = create_app(settings.as_dict())
    kiosk.config["TESTING"] = True
    migrate(models.db, MIGRATIONS)
    node = KioskNode(settings)
    kiosk.extensions["waystation.outbox_wake"] = node.publisher.wake
    kiosk.extensions["waystation.broker_connected"] = node.link.connected
    kiosk.extensions["waystation.operations"] = node.operations
    running.start(node)
    simulation = Simulation(settings.broker, [SimulatedStation(settings.kiosk.station_id, 20, 4)],
                            mean_interval_s=0, credentials=lambda st, kind: device_login(settings, str(kind), st))
    running.start(SteppedSimulation(simulation))
    return kiosk, node, simulation, settings


def test_pair_start_repair_unpair(secure_mosquitto, running, central_settings, topic_root, tmp_path, capsys):
    from station_admin.core.audit import AuditEntry
    from station_admin.core.models import DeviceState, db
    from station_admin.live.health import StationHealth
    from station_admin.pairing.models import PairedDevice

    broker = secure_mosquitto
    app, served = start_paired_central(running, central_settings, broker, topic_root)
    with db.connection_context():
        assert not PairedDevice.of_station(STATION)  # a station central knows, never paired

    # Pair: the site file holds everything the station needs, owner-only.
    site_file = tmp_path / "etc" / "site.toml"
    code = issue_code(app)
    rc, out, err = pair(capsys, code, served.url, site_file)
    assert rc == 0, err
    assert f"as station {STATION}" in out and "3 device accounts" in out and "ca.crt" in out
    assert stat.S_IMODE(site_file.stat().st_mode) == 0o600
    assert stat.S_IMODE((site_file.parent / "ca.crt").stat().st_mode) == 0o600
    paired = load_settings(site_file, env={})
    assert paired.kiosk.station_id == STATION and paired.broker.url.startswith("mqtts://")
    assert len(paired.kiosk.secret_key) >= 32 and paired.accounts.kiosk_user == f"{STATION}.kiosk"
    with db.connection_context():
        assert {d.kind for d in PairedDevice.of_station(STATION)} == {str(k) for k in DEVICE_KINDS}
        assert AuditEntry.select().where(AuditEntry.action == "station.paired").count() == 1
    # The same code a second time: refused with central's message, the site file untouched.
    written = site_file.read_text()
    rc, out, err = pair(capsys, code, served.url, tmp_path / "other" / "site.toml")
    assert rc == 1 and "already used" in err and not (tmp_path / "other" / "site.toml").exists()
    assert site_file.read_text() == written

    # Start the station from the site file: a check-in and the kiosk's health reach central.
    kiosk, node, simulation, settings = start_station(running, site_file, tmp_path)
    assert node.link.address.tls
    wait_until(node.link.connected.is_set, message="kiosk connected over TLS with its own account")
    tap_checkin(kiosk.test_client())
    rows = wait_until(central_checkins, timeout=20, message="the check-in at central")
    assert [r.station_code for r in rows] == [STATION]

    def health():
        with db.connection_context():
            return StationHealth.get_or_none(StationHealth.station_code == STATION)
    report = wait_until(health, timeout=20, message="the kiosk's health at central")
    assert report.version and report.disk_free_bytes > 0 and report.db_bytes > 0
    assert abs(report.clock_offset_s) < 5

    def devices_online():
        with db.connection_context():
            return {d.kind for d in DeviceState.select().where(DeviceState.station_code == STATION, DeviceState.online)}
    wait_until(lambda: devices_online() == {"kiosk", "people_counter", "charger_controller"}, timeout=20,
               message="every device online at central")
    staff = app.test_client()
    login(staff, "admin", "admin-demo")
    assert b'data-testid="health"' in staff.get("/").data

    # Re-pair (the PC was wiped): new credentials; the old kiosk password stops working at once.
    old_password = settings.accounts.kiosk_password
    site_file.unlink()
    rc, out, err = pair(capsys, issue_code(app), served.url, site_file)
    assert rc == 0, err
    repaired = load_settings(site_file, env={})
    assert repaired.accounts.kiosk_password != old_password
    assert refused_login(broker, f"{STATION}.kiosk", old_password)
    assert not refused_login(broker, f"{STATION}.kiosk", repaired.accounts.kiosk_password)
    with db.connection_context():
        assert len(PairedDevice.of_station(STATION)) == 3  # replaced, not added; station and history kept
        assert [r.station_code for r in central_checkins()] == [STATION]
    running.stop_all()

    # Remove a device, then unpair: the re-paired station's devices are disconnected and cannot log in again.
    running.items.clear()
    kiosk, node, simulation, settings = start_station(running, site_file, tmp_path / "again")
    counter, _, charger, _ = simulation.units[0]
    wait_until(lambda: node.link.connected.is_set() and counter.link.connected.is_set()
               and charger.link.connected.is_set(), timeout=20, message="the re-paired station connected")
    staff = app.test_client()
    login(staff, "admin", "admin-demo")
    staff.get(f"/stations/{STATION}/pairing")
    # Removing one device disconnects that one only.
    page = staff.post(f"/stations/{STATION}/pairing/devices/counter/remove", data={"csrf_token": csrf_of(staff)})
    assert page.status_code == 200 and 'data-device="counter"' not in page.get_data(as_text=True)
    wait_until(lambda: not counter.link.connected.is_set(), timeout=5, message="the counter disconnected")
    assert node.link.connected.is_set() and charger.link.connected.is_set()
    assert not counter.link.connected.wait(3)  # and refused when it tries again
    with db.connection_context():
        assert {d.device for d in PairedDevice.of_station(STATION)} == {"kiosk", "charger"}
        assert AuditEntry.get(AuditEntry.action == "station.device_remove").details["device"] == "counter"
    page = staff.post(f"/stations/{STATION}/pairing/unpair", data={"csrf_token": csrf_of(staff)})
    assert page.status_code == 200 and b'data-testid="pairing-notice"' in page.data
    wait_until(lambda: not (node.link.connected.is_set() or counter.link.connected.is_set()
                            or charger.link.connected.is_set()), timeout=5, message="every device disconnected")
    assert refused_login(broker, f"{STATION}.counter", settings.accounts.people_counter_password)
    assert not node.link.connected.wait(3)  # its reconnects are refused
    with db.connection_context():
        assert not PairedDevice.of_station(STATION)
        assert AuditEntry.select().where(AuditEntry.action == "station.unpair").count() == 1


def test_pair_refuses_plain_http_to_another_machine(tmp_path, capsys, monkeypatch):
    from waystation.pairing import PairingError, claim_url

    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    site_file = tmp_path / "site.toml"
    rc, out, err = pair(capsys, "123456", "http://central.example.org", site_file)
    assert rc == 1 and "refusing plain http://central.example.org" in err and "https://" in err
    assert not site_file.exists()
    assert claim_url("http://central.example.org", allow_plain_http=True) == "http://central.example.org/pair/claim"
    assert claim_url("http://127.0.0.1:8000/", allow_plain_http=False) == "http://127.0.0.1:8000/pair/claim"
    with pytest.raises(PairingError, match="must look like"):
        claim_url("ftp://central.example.org", allow_plain_http=True)
    # The setting that allows it comes from the environment on a PC with no site file yet.
    assert load_settings(env={"WAYSTATION_PAIRING_ALLOW_PLAIN_HTTP": "true"}).pairing.allow_plain_http is True


def test_pair_over_https_checks_central_s_certificate(central_app, tmp_path, capsys, monkeypatch):
    from werkzeug.serving import make_server

    from tests.brokers import make_certificates

    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    certs = make_certificates(tmp_path / "certs")
    server = make_server("127.0.0.1", 0, central_app, threaded=True,
                         ssl_context=(str(certs.server_cert), str(certs.server_key)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        central = f"https://localhost:{server.server_port}"
        site_file = tmp_path / "site.toml"
        # Central's certificate is signed by a CA this machine does not trust: refused, nothing written.
        rc, out, err = pair(capsys, "000000", central, site_file)
        assert rc == 1 and "cannot reach central" in err and "CERTIFICATE_VERIFY_FAILED" in err
        # With the federation's CA the TLS connection is made, and central's own answer comes through.
        rc = cli.main(["pair", "000000", "--central", central, "--site-file", str(site_file),
                       "--central-ca", str(certs.ca_cert)])
        err = capsys.readouterr().err
        assert rc == 1 and "That pairing code is not known" in err
        assert not site_file.exists()
    finally:
        server.shutdown()
