"""A station on the production broker setup: kiosk and simulated devices over mqtts:// with their own accounts.

Mosquitto runs the shipped config (Dynamic Security, no anonymous access, TLS with a CA made here);
central's node logs in on the loopback listener with central's role and its client id bound; the
kiosk, the people counter and the charger controller each log in over TLS with the account central
made for them. What they say reaches central, and what central and the kiosk say reaches them.
"""

from __future__ import annotations

import re
import threading
import uuid

import pytest

from devices.protocol.permissions import DEVICE_KINDS, Party
from devices.simulators.run import SimulatedStation, Simulation
from station_admin.core.broker_accounts import BrokerAccounts
from tests.brokers import SecureMosquitto
from tests.charging_helpers import STATION, kiosk_post, member_card, sessions_at, start_central
from tests.conftest import make_settings, wait_until
from tests.test_end_to_end import central_checkins, tap_checkin

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def secure_mosquitto(tmp_path):
    broker = SecureMosquitto(workdir=tmp_path / "mosquitto").start()
    yield broker
    broker.cleanup()


class SteppedSimulation:
    """The simulators of one station, stepped every 0.1 s without random plug-ins (time does not move)."""

    def __init__(self, simulation: Simulation):
        self.simulation = simulation
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.simulation.start()
        self._thread.start()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.simulation.stop()

    def _run(self):
        while not self._stop.wait(0.1):
            for _, _, charger, _ in self.simulation.units:
                charger.poll()


def test_a_station_over_mqtts_with_per_device_accounts(secure_mosquitto, running, central_settings, kiosk_settings,
                                                     topic_root):
    from kiosk import create_app, models
    from kiosk.migrations import MIGRATIONS
    from kiosk.node import KioskNode
    from station_admin.core.models import DeviceState, StationLive, db
    from waystation.db import migrate

    broker = secure_mosquitto
    ca = str(broker.certs.ca_cert)
    ingest_id = f"ingest-{uuid.uuid4().hex[:8]}"
    central_password = uuid.uuid4().hex
    admin = make_settings(broker={"url": broker.url, "admin_url": broker.admin_url, "topic_root": topic_root}).broker
    with BrokerAccounts(admin) as accounts:
        accounts.set_default_access()
        accounts.ensure_central("central", central_password, client_id=ingest_id)
        credentials = {kind: accounts.provision_device(STATION, kind) for kind in DEVICE_KINDS}

    central, _ = start_central(running, central_settings, f"mqtt://central:{central_password}@127.0.0.1:{broker.port}",
                               ingest={"client_id": ingest_id})
    kiosk_account = credentials[Party.KIOSK]
    settings = kiosk_settings(broker.tls_url(kiosk_account.username, kiosk_account.password),
                              broker={"ca_file": ca}, operations={"command_timeout_s": 5.0})
    kiosk = create_app(settings.as_dict())
    kiosk.config["TESTING"] = True
    migrate(models.db, MIGRATIONS)
    node = KioskNode(settings)
    kiosk.extensions["waystation.outbox_wake"] = node.publisher.wake
    kiosk.extensions["waystation.broker_connected"] = node.link.connected
    kiosk.extensions["waystation.operations"] = node.operations
    running.start(node)
    assert node.link.address.tls and node.link.client._client_id == b"xh-xujiahui.kiosk"

    device_broker = kiosk_settings(broker.tls_url(), broker={"ca_file": ca}).broker
    simulation = Simulation(device_broker, [SimulatedStation(STATION, 20, 8)], mean_interval_s=0,
                            credentials=lambda station, kind: (credentials[kind].username, credentials[kind].password))
    running.start(SteppedSimulation(simulation))
    counter = simulation.units[0][0]

    def kiosk_ready():
        with kiosk.app_context():
            return (models.StationInfo.for_station(STATION).charger_slots == 8
                    and models.ChargerSlot.select().count() == 8
                    and models.TrustedKey.select().where(models.TrustedKey.kid != "sealing").exists())
    wait_until(kiosk_ready, timeout=20, message="config and trust from central, slots from the charger, at the kiosk")

    # A check-in at the kiosk reaches central, and central's receipt reaches the kiosk.
    screen = kiosk.test_client()
    tap_checkin(screen)
    rows = wait_until(central_checkins, message="the check-in at central")
    assert [(r.station_code, r.method) for r in rows] == [(STATION, "anonymous")]
    with kiosk.app_context():
        wait_until(lambda: models.OutboxEvent.pending_count() == 0, message="central's receipt at the kiosk")

    # The people counter's count reaches central and the kiosk.
    counter.crossed(3, 0)

    def counted():
        with db.connection_context():
            live = StationLive.get_or_none(StationLive.station_code == STATION)
        with kiosk.app_context():
            return live and live.people_inside == 3 and models.StationInfo.for_station(STATION).people_inside == 3
    wait_until(counted, message="the count at central and at the kiosk")

    # A charge started at the kiosk: its slot_start reaches the controller, the reply the kiosk,
    # and the controller's session reports reach central.
    member_no, card = member_card(central)
    chosen = kiosk_post(screen, "/charging/card", code=card)
    assert 'data-testid="start-slot-2"' in chosen
    pending = kiosk_post(screen, "/charging/start", slot="2")
    command_id = re.search(r"/charging/start/([0-9a-f]{32})", pending).group(1)
    wait_until(lambda: 'data-status="accepted"' in screen.get(
        f"/charging/start/{command_id}", headers={"HX-Request": "true"}).get_data(as_text=True),
        message="the controller's answer on the kiosk")
    session = wait_until(sessions_at, message="the session at central")[0]
    assert (session.slot, session.member_no) == (2, member_no)

    def devices_online():
        with db.connection_context():
            return {d.kind for d in DeviceState.select().where(DeviceState.station_code == STATION, DeviceState.online)}
    assert wait_until(lambda: devices_online() == {"kiosk", "people_counter", "charger_controller"},
                      message="every device online at central")
    # Nothing any of them sent in normal work was refused (Mosquitto logs what its ACLs drop).
    assert "Denied PUBLISH" not in broker.log()
