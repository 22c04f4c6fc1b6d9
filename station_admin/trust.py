"""Keeping every kiosk's copy of the card keys and revocations current, over retained MQTT messages.

Runs in every process that holds central's MQTT link (central with ingest, or an ingest worker). It
reads the database every `central.trust_publish_seconds` and publishes what changed, so a
revocation made on any web process reaches every online kiosk within that time plus delivery; on
each (re)connect it publishes everything again. Several workers publish the same retained content,
which is harmless.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from devices.protocol import trust, utcnow
from station_admin.membership import CardKey, revocation_entries
from station_admin.models import db
from station_admin.protect import DataProtector

log = logging.getLogger(__name__)


def current_messages(protector: DataProtector) -> list:
    """The trust anchors (when a card key exists) and every revocation shard, as they should be now."""
    now = utcnow()
    messages = []
    keys = [(k.kid, k.public_key) for k in CardKey.active().limit(trust.MAX_KEYS)]
    if keys:
        messages.append(trust.TrustAnchors(tuple(keys), protector.sealing_public_key, now))
    shards = defaultdict(list)
    for member_no, before in revocation_entries(now):
        shards[trust.shard_of(member_no)].append((member_no, before))
    messages.extend(trust.Revocations(shard, tuple(shards.get(shard, ())), now) for shard in trust.SHARDS)
    return messages


def _content(message) -> tuple:
    """What a message says, without its timestamp (so an unchanged list is not sent again)."""
    if isinstance(message, trust.TrustAnchors):
        return message.card_keys, message.sealing_key
    return message.entries


class TrustPublisher:
    """Publishes card keys and revocations on connect and whenever they change."""

    def __init__(self, link, protector: DataProtector, interval_s: float):
        self.link = link
        self.protector = protector
        self.interval_s = interval_s
        self._sent: dict[str, tuple] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        link.on_connect(self._on_connect)

    def _on_connect(self) -> None:
        self._sent = {}
        self._wake.set()

    def start(self) -> None:
        """Start the publishing loop (the link connects on its own)."""
        self._thread = threading.Thread(target=self._run, name="trust-publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def publish_changes(self) -> int:
        """Publish what differs from what was last sent on this connection; returns how many messages."""
        with db.connection_context():
            messages = current_messages(self.protector)
        sent = 0
        for message in messages:
            content = _content(message)
            if self._sent.get(message.topic) == content:
                continue
            self.link.publish(message)
            self._sent[message.topic] = content
            sent += 1
        if sent:
            log.info("published %d trust messages (card keys, revocation shards)", sent)
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
                log.exception("could not publish card keys and revocations; trying again")
