"""One process's MQTT connection: connect with a Last Will, reconnect, resubscribe, publish messages.

Owned by the serve command of a kiosk, device agent, simulator or ingest worker; never started by
an app factory, so tests and command-line tools do not connect by accident.
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from devices import protocol

log = logging.getLogger(__name__)

# How long a persistent MQTT 5 session outlives its connection at the broker (seconds).
SESSION_EXPIRY_S = 7 * 24 * 3600


class BrokerConfigError(ValueError):
    """The broker settings cannot be used as they are; the message names the setting and the fix."""


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker is, how to log in, and whether the connection is TLS."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @property
    def loopback(self) -> bool:
        """Whether the broker is on this machine (plain MQTT never leaves it)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def display(self) -> str:
        """The address without credentials, for logs and messages."""
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker_url(url: str) -> BrokerAddress:
    """mqtt[s]://[user:password@]host[:port] as a BrokerAddress; ValueError names what is wrong."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise BrokerConfigError(f"broker.url must look like mqtts://host:port or mqtt://host:port, got {url!r}")
    tls = parts.scheme == "mqtts"
    try:
        port = parts.port or (8883 if tls else 1883)
    except ValueError:
        raise BrokerConfigError(f"broker.url has a bad port: {url!r}") from None
    return BrokerAddress(parts.hostname, port, unquote(parts.username) if parts.username else None,
                         unquote(parts.password) if parts.password else None, tls)


def broker_address(broker_settings, *, url: str | None = None, username: str | None = None,
                   password: str | None = None) -> BrokerAddress:
    """The address to connect to, refusing plain MQTT beyond this machine unless explicitly allowed.

    `username`/`password` (a device's own broker account) replace the ones in the URL.
    """
    address = parse_broker_url(url or broker_settings.url)
    if username is not None:
        address = BrokerAddress(address.host, address.port, username, password, address.tls)
    if not address.tls and not address.loopback and not broker_settings.get("allow_plain_remote", False):
        raise BrokerConfigError(
            f"broker.url: plain {address.display()} would send passwords, member numbers and riders' answers "
            "unencrypted over the network; use mqtts:// (TLS, docs/operations.md) or, on a network you trust, "
            "set broker.allow_plain_remote = true")
    return address


def tls_context(broker_settings) -> ssl.SSLContext:
    """TLS that verifies the broker's certificate and host name against the system store or broker.ca_file."""
    ca_file = broker_settings.get("ca_file", "")
    try:
        context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file or None)
    except (FileNotFoundError, ssl.SSLError) as e:
        raise BrokerConfigError(f"broker.ca_file: cannot read a CA certificate from {ca_file!r}: {e}") from None
    cert, key = broker_settings.get("client_cert", ""), broker_settings.get("client_key", "")
    if cert or key:
        try:
            context.load_cert_chain(cert, key or None)
        except (FileNotFoundError, ssl.SSLError) as e:
            raise BrokerConfigError(f"broker.client_cert / broker.client_key: cannot load {cert!r}: {e}") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class MqttLink:
    """An MQTT client that keeps itself connected and announces itself with retained availability."""

    def __init__(self, broker_settings, client_id: str, *, online=None, offline=None,
                 persistent_session: bool = False, manual_ack: bool = False, receive_window: int = 0,
                 username: str | None = None, password: str | None = None):
        self.root = broker_settings.topic_root
        self.address = broker_address(broker_settings, username=username, password=password)
        self.connected = threading.Event()
        # Set once the broker has granted every subscription of the current connection.
        self.subscribed = threading.Event()
        self._pending_subscriptions: set[int] = set()
        # Whether the broker resumed this client's session on the last connect (it kept the subscriptions).
        self.session_present = False
        self._v5 = broker_settings.protocol == "5"
        self._persistent = persistent_session
        self._keepalive = broker_settings.keepalive
        self._receive_window = receive_window
        self._online = online
        self._subscriptions: list[tuple[str, int]] = []
        self._connect_hooks: list[Callable[[], None]] = []
        self._disconnect_hooks: list[Callable[[], None]] = []
        self._publish_hooks: list[Callable[[int], None]] = []
        kwargs = {"protocol": MQTTProtocolVersion.MQTTv5} if self._v5 else {
            "protocol": MQTTProtocolVersion.MQTTv311, "clean_session": not persistent_session}
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, manual_ack=manual_ack, **kwargs)
        if self.address.username:
            self.client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self.client.tls_set_context(tls_context(broker_settings))
        if offline is not None:
            self.client.will_set(self.full(offline.topic), offline.to_payload(), offline.QOS, offline.RETAIN)
        self.client.reconnect_delay_set(broker_settings.reconnect_min_s, broker_settings.reconnect_max_s)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self._offline = offline

    def full(self, relative: str) -> str:
        """The full topic for a family's relative topic."""
        return protocol.join(self.root, relative)

    def relative(self, topic: str) -> str:
        """A full topic's part below the root."""
        return protocol.split(self.root, topic)

    def subscribe(self, relative_filter: str, callback: Callable[[mqtt.MQTTMessage], None], qos: int = 1,
                  shared_group: str = "") -> None:
        """Route messages on a filter to `callback` (in the network thread); kept across reconnects."""
        topic_filter = self.full(relative_filter)
        self.client.message_callback_add(topic_filter, lambda _c, _u, message: callback(message))
        if shared_group:
            topic_filter = f"$share/{shared_group}/{topic_filter}"
        self._subscriptions.append((topic_filter, qos))
        if self.connected.is_set():
            self.subscribed.clear()
            self._pending_subscriptions.add(self.client.subscribe(topic_filter, qos)[1])

    def on_connect(self, hook: Callable[[], None]) -> None:
        """Run `hook` (in the network thread) after every successful connect."""
        self._connect_hooks.append(hook)

    def on_disconnect(self, hook: Callable[[], None]) -> None:
        """Run `hook` (in the network thread) after every lost connection."""
        self._disconnect_hooks.append(hook)

    def on_publish(self, hook: Callable[[int], None]) -> None:
        """Run `hook(mid)` when the broker acknowledges a QoS 1 publish (or a QoS 0 one is written)."""
        self._publish_hooks.append(hook)

    def publish(self, message, *, qos: int | None = None) -> mqtt.MQTTMessageInfo:
        """Publish a protocol message with its family's QoS and retain flag."""
        return self.client.publish(self.full(message.topic), message.to_payload(),
                                   message.QOS if qos is None else qos, message.RETAIN)

    def publish_raw(self, relative_topic: str, payload: bytes, qos: int, retain: bool = False):
        """Publish pre-encoded bytes (the kiosk outbox stores payloads as they will be sent)."""
        return self.client.publish(self.full(relative_topic), payload, qos, retain)

    def ack(self, mid: int, qos: int) -> None:
        """Acknowledge a received message (manual-ack clients, after its effect is committed)."""
        self.client.ack(mid, qos)

    def start(self) -> None:
        """Connect in the background; paho's network thread reconnects with backoff on its own."""
        kwargs = {}
        if self._v5:
            props = Properties(PacketTypes.CONNECT)
            if self._persistent:
                props.SessionExpiryInterval = SESSION_EXPIRY_S
            if self._receive_window:
                props.ReceiveMaximum = self._receive_window
            kwargs = {"clean_start": not self._persistent, "properties": props}
        log.info("connecting to %s as %s", self.address.display(), self.client._client_id)
        self.client.connect_async(self.address.host, self.address.port, self._keepalive, **kwargs)
        self.client.loop_start()

    def stop(self) -> None:
        """Say offline (a clean disconnect does not fire the Last Will), disconnect, end the thread."""
        if self._offline is not None and self.connected.is_set():
            info = self.publish(self._offline)
            try:
                info.wait_for_publish(timeout=2)
            except RuntimeError:
                pass
        self.client.disconnect()
        self.client.loop_stop()
        self.connected.clear()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        log.info("connected to the broker (session present: %s)", flags.session_present)
        self.session_present = bool(self._persistent and flags.session_present)
        self.subscribed.clear()
        # A resumed session keeps its subscriptions at the broker: subscribing again would make the
        # broker send every retained message once more (hundreds of thousands in a province).
        self._pending_subscriptions = set() if self.session_present else {
            client.subscribe(topic_filter, qos)[1] for topic_filter, qos in self._subscriptions}
        if not self._pending_subscriptions:
            self.subscribed.set()
        if self._online is not None:
            self.publish(self._online)
        self.connected.set()
        for hook in self._connect_hooks:
            hook()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        refused = [code for code in reason_codes if code.is_failure]
        if refused:
            log.error("the broker refused a subscription: %s", refused)
            return
        self._pending_subscriptions.discard(mid)
        if not self._pending_subscriptions:
            self.subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self.connected.clear()
        self.subscribed.clear()
        if reason_code.is_failure:
            log.warning("disconnected from the broker: %s", reason_code)
        else:
            log.info("disconnected from the broker: %s", reason_code)
        for hook in self._disconnect_hooks:
            hook()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        for hook in self._publish_hooks:
            hook(mid)
