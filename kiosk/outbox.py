"""The outbox publisher: drains unsent kiosk events to the broker, in order, at QoS 1.

A row is marked sent only when the broker has acknowledged it (PUBACK). While the broker is away
nothing is marked, and when it comes back the oldest unsent events go first. A redelivered event
is harmless: central ignores an event id it already has.
"""

from __future__ import annotations

import logging
import threading
import time

from paho.mqtt.client import MQTT_ERR_SUCCESS

from devices.mqtt import MqttLink
from devices.protocol import heartbeat, utcnow
from kiosk.models import OutboxEvent, db

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0


class OutboxPublisher:
    """A thread that publishes pending outbox events and the kiosk heartbeat."""

    def __init__(self, link: MqttLink, station_id: str, device_id: str, *, window: int = 100,
                 ack_timeout_s: float = 10.0, heartbeat_s: float = 15.0):
        self.link = link
        self.station_id = station_id
        self.device_id = device_id
        self.window = window
        self.ack_timeout_s = ack_timeout_s
        self.heartbeat_s = heartbeat_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._acks = threading.Condition()
        self._acked: set[int] = set()
        self._thread: threading.Thread | None = None
        self._last_heartbeat = 0.0
        self._last_pending: int | None = None
        link.on_publish(self._on_ack)
        link.on_connect(self.wake)
        link.on_disconnect(self._on_disconnect)
        link.client.max_inflight_messages_set(window)

    def start(self) -> None:
        """Start draining in a background thread."""
        self._thread = threading.Thread(target=self._run, name="outbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current window."""
        self._stop.set()
        self._wake.set()
        with self._acks:
            self._acks.notify_all()
        if self._thread:
            self._thread.join(timeout=self.ack_timeout_s + 2)

    def wake(self) -> None:
        """Look at the outbox now (a new event, or the broker is back)."""
        self._wake.set()

    def _on_ack(self, mid: int) -> None:
        with self._acks:
            self._acked.add(mid)
            self._acks.notify_all()

    def _on_disconnect(self) -> None:
        with self._acks:
            self._acks.notify_all()

    def _run(self) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            try:
                with db.connection_context():
                    self._maybe_heartbeat()
                    if not self.link.connected.is_set():
                        self._wake.wait(1.0)
                        self._wake.clear()
                        continue
                    sent, complete = self._send_window()
                    if complete:
                        backoff = 0.0
                    if not sent:
                        self._wake.wait(1.0)
                        self._wake.clear()
                        continue
            except Exception:
                # A database or client error must not end the thread: what is unsent stays unsent.
                log.exception("outbox publisher failed; retrying")
                complete = False
            if not complete:
                backoff = min(max(backoff * 2, 0.5), MAX_BACKOFF_S)
                log.info("outbox: window not fully acknowledged, retrying in %.1f s", backoff)
                self._stop.wait(backoff)

    def _send_window(self) -> tuple[int, bool]:
        """Publish up to `window` oldest events, wait for their acks, mark the acked ones sent."""
        rows = list(OutboxEvent.pending(self.window))
        if not rows:
            return 0, True
        inflight: dict[int, int] = {}
        with self._acks:
            self._acked.clear()
        for row in rows:
            info = self.link.publish(row.to_message(self.station_id))
            if info.rc != MQTT_ERR_SUCCESS:
                break
            inflight[info.mid] = row.seq
        deadline = time.monotonic() + self.ack_timeout_s
        with self._acks:
            while not self._stop.is_set() and self.link.connected.is_set():
                if all(mid in self._acked for mid in inflight):
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._acks.wait(remaining)
            acked = [seq for mid, seq in inflight.items() if mid in self._acked]
        if acked:
            OutboxEvent.mark_sent(acked, utcnow())
        unacked = [seq for mid, seq in inflight.items() if mid not in self._acked]
        if unacked:
            OutboxEvent.update(attempts=OutboxEvent.attempts + 1).where(OutboxEvent.seq.in_(unacked)).execute()
        complete = len(acked) == len(rows)
        if acked:
            self._maybe_heartbeat(force_on_change=True)
        return len(rows), complete

    def _maybe_heartbeat(self, force_on_change: bool = False) -> None:
        if not self.link.connected.is_set():
            return
        now = time.monotonic()
        pending = OutboxEvent.pending_count()
        changed = pending != self._last_pending
        if now - self._last_heartbeat >= self.heartbeat_s or (changed and (force_on_change or now - self._last_heartbeat >= 1.0)):
            self.link.publish(heartbeat.Heartbeat(self.station_id, self.device_id, utcnow(), pending))
            self._last_heartbeat = now
            self._last_pending = pending
