"""Keeping retained state at the broker current: publish on every (re)connect and whenever it changes.

Runs in every process that holds central's MQTT link. A publisher reads the database every
`interval_s` and publishes only the messages whose content (timestamp aside) differs from what it
last sent on this connection; a reconnect sends everything again. Several processes publishing the
same retained content is harmless.
"""

from __future__ import annotations

import logging
import threading

from station_admin.core.models import db

log = logging.getLogger(__name__)


class ChangePublisher:
    """Base of the publishers of retained central-to-station state; subclasses say what and how it compares."""

    name = "retained state"

    def __init__(self, link, interval_s: float):
        self.link = link
        self.interval_s = interval_s
        self._sent: dict[str, tuple] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        link.on_connect(self._on_connect)

    def messages(self) -> list:
        """Every message as it should be now (called inside a database connection)."""
        raise NotImplementedError

    def content(self, message) -> tuple:
        """What a message says, without its timestamp (so an unchanged one is not sent again)."""
        raise NotImplementedError

    def _on_connect(self) -> None:
        self._sent = {}
        self._wake.set()

    def start(self) -> None:
        """Start the publishing loop (the link connects on its own)."""
        self._thread = threading.Thread(target=self._run, name=f"{self.name} publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the loop."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def publish_changes(self) -> int:
        """Publish what differs from what was last sent on this connection; returns how many messages."""
        with db.connection_context():
            messages = self.messages()
        sent = 0
        for message in messages:
            content = self.content(message)
            if self._sent.get(message.topic) == content:
                continue
            self.link.publish(message)
            self._sent[message.topic] = content
            sent += 1
        if sent:
            log.info("published %d %s messages", sent, self.name)
        return sent

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stop.is_set() or not self.link.connected.is_set():
                continue
            try:
                self.publish_changes()
            except Exception:
                log.exception("could not publish %s; trying again", self.name)
