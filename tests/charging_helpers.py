"""What the charging tests share: central with its node, a kiosk with its node, a driven charger agent."""

from __future__ import annotations

import queue
import random
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from devices.agents.charger import ChargerAgent
from devices.mqtt import parse_broker_url
from devices.simulators.charger import SimulatedChargerHardware
from tests.conftest import csrf_of, wait_until

STATION = "xh-xujiahui"
# The station of barrier markers: no test looks at it.
MARKER_STATION = "xh-marker"


def start_central(running, central_settings, broker_url: str, **sections):
    """A migrated, seeded central app and its running MQTT node (ingest, trust, operations)."""
    from station_admin import create_app
    from station_admin.node.central import CentralNode

    sections.setdefault("central", {"trust_publish_seconds": 0.5})
    sections.setdefault("operations", {"command_poll_seconds": 0.2, "command_timeout_s": 3.0})
    sections.setdefault("alarms", {"evaluate_seconds": 0.5})
    settings = central_settings(broker_url, template="seeded", **sections)
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    node = running.start(CentralNode(settings, app.extensions["waystation.protector"]))
    wait_until(node.link.subscribed.is_set, message="central subscribed")
    return app, node


def start_kiosk(running, kiosk_settings, broker_url: str):
    """A migrated kiosk app of STATION with its running node, as `waystation kiosk` wires them."""
    from kiosk import create_app
    from kiosk.node import KioskNode

    settings = kiosk_settings(broker_url, migrated=True, operations={"command_timeout_s": 5.0})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    node = KioskNode(settings)
    app.extensions["waystation.outbox_wake"] = node.publisher.wake
    app.extensions["waystation.broker_connected"] = node.link.connected
    app.extensions["waystation.operations"] = node.operations
    running.start(node)
    wait_until(node.link.subscribed.is_set, message="kiosk subscribed")
    return app, node


class DrivenCharger:
    """The charger agent on simulated hardware (no random plug-ins), polled every 0.1 s by a thread."""

    def __init__(self, broker_settings, slots: int = 8, station: str = STATION):
        self.hardware = SimulatedChargerHardware(slots, random.Random(1), busy=0)
        self.agent = ChargerAgent(broker_settings, station, self.hardware, heartbeat_s=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.polls = 0  # hardware polls finished so far

    def start(self):
        self.agent.start()
        self._thread.start()
        wait_until(self.agent.link.subscribed.is_set, message="charger agent subscribed")

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self.agent.stop()

    def _run(self):
        while not self._stop.wait(0.1):
            self.agent.poll()
            self.polls += 1

    def polled(self, timeout: float = 10) -> None:
        """Wait until a whole poll has run since now: the agent has read the hardware and sent what changed."""
        after = self.polls + 1  # the poll running now may have read the hardware before the change
        wait_until(lambda: self.polls > after, timeout=timeout, message="the charger agent to poll")

    def heard(self, timeout: float = 10) -> None:
        """A barrier: a heartbeat sent now by the agent reached central, so did all it sent before."""
        from devices.protocol import utcnow

        marker = utcnow()
        self.agent.beat(marker)
        wait_until(lambda: device_heard_since(self.agent.station, self.agent.device, marker), timeout=timeout,
                   message="central to handle the agent's marker heartbeat")

    def charge(self, slot: int, energy_wh: int, finish: bool = False) -> None:
        """The battery on a slot has taken `energy_wh` so far; `finish`: it is full."""
        from devices.protocol.charger import SlotStatus

        with self.agent._lock:
            s = self.hardware.slots[slot]
            s.energy_wh = float(energy_wh)
            if finish:
                s.status, s.power_w = SlotStatus.FINISHED, 0


class Recorder:
    """A plain MQTT client on the real broker: records what arrives on a filter, publishes raw bytes."""

    def __init__(self, broker_url: str, topic_root: str, relative_filter: str):
        address = parse_broker_url(broker_url)
        self.root = topic_root
        self.messages: queue.Queue = queue.Queue()
        self.received: list[tuple[str, bytes]] = []  # everything that arrived, drained or not
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        self.client.on_message = self._on_message
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.username_pw_set(address.username, address.password)
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        self.client.subscribe(f"{topic_root}/{relative_filter}", qos=1)
        assert subscribed.wait(10), "recorder not subscribed"

    def _on_message(self, _client, _userdata, message) -> None:
        self.messages.put((message.topic, message.payload))
        self.received.append((message.topic, message.payload))

    def start(self):
        """Connected already (for `running.start`, which stops it at the end)."""

    def wait_for(self, payload_part: bytes, timeout: float = 10) -> None:
        """Wait until a message whose payload contains `payload_part` has arrived."""
        wait_until(lambda: any(payload_part in payload for _, payload in list(self.received)), timeout=timeout,
                   message=f"a message with {payload_part!r} at the recorder")

    def handled_by_central(self, timeout: float = 10) -> None:
        """A barrier: publish a marker check-in and wait until central stored it. Central has one
        subscription and one queue, in order: everything published before it has been handled too."""
        from devices.protocol import events, utcnow
        from station_admin.core.models import StationEvent, db

        marker = events.StationEvent(MARKER_STATION, events.new_event_id(), 1, utcnow(), events.CheckIn())
        self.publish_message(marker)

        def stored():
            with db.connection_context():
                return StationEvent.select().where(StationEvent.event_id == marker.event_id).exists()
        wait_until(stored, timeout=timeout, message="central to store the marker event")

    def drain(self) -> list[tuple[str, bytes]]:
        out = []
        while not self.messages.empty():
            out.append(self.messages.get())
        return out

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(timeout=5)

    def publish_message(self, message) -> None:
        self.publish(f"{self.root}/{message.topic}", message.to_payload())

    def stop(self):
        self.client.loop_stop()
        self.client.disconnect()


def member_card(central_app, station: str = STATION) -> tuple[str, str]:
    """A demo member's number and card text."""
    from station_admin.core.models import db
    from station_admin.members.models import Member

    with db.connection_context():
        member = Member.select().where(Member.status == "active").order_by(Member.id).first()
        return member.member_no, member.card_text(central_app.extensions["waystation.protector"])


def sessions_at(station: str = STATION) -> list:
    """Every charge session central holds for a station, oldest first."""
    from station_admin.core.models import db
    from station_admin.live.charging import ChargeSession

    with db.connection_context():
        return list(ChargeSession.select().where(ChargeSession.station_code == station).order_by(ChargeSession.id))


def device_heard_since(station: str, device: str, since) -> bool:
    """Whether central has handled a heartbeat of this device sent at or after `since`."""
    from station_admin.core.models import DeviceState, db

    with db.connection_context():
        state = DeviceState.get_or_none(DeviceState.station_code == station, DeviceState.device == device)
        return state is not None and state.heartbeat_at is not None and state.heartbeat_at >= since


def open_alarms() -> dict[tuple[str, str], object]:
    from station_admin.core.models import db
    from station_admin.live.alarms import Alarm

    with db.connection_context():
        return {(a.kind, a.source): a for a in Alarm.open()}


def kiosk_post(client, url: str, **form) -> str:
    response = client.post(url, data=form, headers={"HX-Request": "true", "X-CSRF-Token": csrf_of(client)})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)
