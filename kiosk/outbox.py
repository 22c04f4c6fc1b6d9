"""The outbox publisher: drains kiosk events to the broker in order, and resends what central did not confirm.

An event goes out at QoS 1 and is marked sent when the broker acknowledges it (PUBACK); it counts
as synced only when central's receipt names it. While the broker is away nothing is marked, and
when it comes back the oldest unsent events go first. An event the broker took but central never
confirmed (the broker crashed before saving it, say) is sent again after `confirm_timeout_s`, and
again with a doubling wait while central stays silent. A repeat is harmless: central ignores an
event id it already has, and confirms it again.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from paho.mqtt.client import MQTT_ERR_NO_CONN, MQTT_ERR_SUCCESS

from devices.mqtt import MqttLink
from devices.protocol import ProtocolError, heartbeat, receipts, utcnow
from kiosk.models import OutboxEvent, db

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 30.0
# Longest wait between resends of events central has not confirmed (while it stays silent).
MAX_RESEND_WAIT_S = 900.0


class OutboxPublisher:
    """A thread that publishes outbox events and the kiosk heartbeat, and takes central's receipts."""

    def __init__(self, link: MqttLink, station_id: str, device_id: str, *, window: int = 100,
                 ack_timeout_s: float = 10.0, heartbeat_s: float = 15.0, confirm_timeout_s: float = 60.0):
        self.link = link
        self.station_id = station_id
        self.device_id = device_id
        self.window = window
        self.ack_timeout_s = ack_timeout_s
        self.heartbeat_s = heartbeat_s
        self.confirm_timeout_s = confirm_timeout_s
        self._resend_wait = confirm_timeout_s
        self._next_resend_check = 0.0
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
        link.subscribe(receipts.PATTERN.format(station=station_id), self.on_receipt)

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
        """Look at the outbox now (a new event, a receipt, or the broker is back)."""
        self._wake.set()

    def on_receipt(self, message) -> None:
        """Central stored these events: they are synced."""
        try:
            receipt = receipts.parse(self.link.relative(message.topic), message.payload)
        except ProtocolError as e:
            log.warning("dropped invalid receipt on %s: %s", message.topic, e)
            return
        try:
            with db.connection_context():
                OutboxEvent.mark_confirmed(receipt.event_ids, utcnow())
        except Exception:
            log.exception("could not record a receipt; the events will be sent again")
            return
        self._resend_wait = self.confirm_timeout_s  # central answers: resend promptly if one is missing
        self.wake()

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
            wait = 1.0
            try:
                with db.connection_context():
                    self._maybe_heartbeat()
                    rows = self._due_rows() if self.link.connected.is_set() else []
                    if rows:
                        if self._send(rows):
                            backoff, wait = 0.0, 0.0
                        else:
                            backoff = min(max(backoff * 2, 0.5), MAX_BACKOFF_S)
                            wait = backoff
                            log.info("outbox: not all of %d events acknowledged, trying again in %.1f s",
                                     len(rows), backoff)
            except Exception:
                # A database or client error must not end the thread: what is unsent stays unsent.
                log.exception("outbox publisher failed; retrying")
                backoff = min(max(backoff * 2, 0.5), MAX_BACKOFF_S)
                wait = backoff
            if wait:
                # A new event, a receipt or a reconnect ends the wait early.
                self._wake.wait(wait)
                self._wake.clear()

    def _due_rows(self) -> list[OutboxEvent]:
        """Unsent events first; else, now and then, the oldest ones central has not confirmed."""
        rows = list(OutboxEvent.unsent(self.window))
        if rows or time.monotonic() < self._next_resend_check:
            return rows
        cutoff = utcnow() - timedelta(seconds=self.confirm_timeout_s)
        rows = list(OutboxEvent.unconfirmed_since(cutoff, self.window))
        if rows:
            oldest = rows[0]
            log.warning("central has not confirmed %d events sent before %s; sending them again (the oldest, "
                        "%s, has been sent %d times)", len(rows), cutoff, oldest.event_id, oldest.attempts)
            self._next_resend_check = time.monotonic() + self._resend_wait
            self._resend_wait = min(self._resend_wait * 2, MAX_RESEND_WAIT_S)
        else:
            self._next_resend_check = time.monotonic() + 1.0
        return rows

    def _send(self, rows: list[OutboxEvent]) -> bool:
        """Publish the rows in order, wait for the broker's acks, record them; whether all were acked."""
        inflight: dict[int, int] = {}
        with self._acks:
            self._acked.clear()
        for row in rows:
            info = self.link.publish(row.to_message(self.station_id))
            if info.rc not in (MQTT_ERR_SUCCESS, MQTT_ERR_NO_CONN):
                break
            # NO_CONN: paho keeps the message and sends it after reconnecting; its PUBACK still counts.
            inflight[info.mid] = row.seq
            if info.rc == MQTT_ERR_NO_CONN:
                break
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
        return len(acked) == len(rows)

    def _maybe_heartbeat(self) -> None:
        """Publish a heartbeat every `heartbeat_s`, and within a second when the backlog changes."""
        if not self.link.connected.is_set():
            return
        now = time.monotonic()
        pending = OutboxEvent.pending_count()
        since = now - self._last_heartbeat
        if since >= self.heartbeat_s or (pending != self._last_pending and since >= 1.0):
            self.link.publish(heartbeat.Heartbeat(self.station_id, self.device_id, utcnow(), pending))
            self._last_heartbeat = now
            self._last_pending = pending
