"""Keeping every kiosk's copy of the card keys and revocations current, over retained MQTT messages.

Runs in every process that holds central's MQTT link (central with ingest, or an ingest worker). It
reads the database every `central.trust_publish_seconds` and publishes what changed, so a
revocation made on any web process reaches every online kiosk within that time plus delivery; on
each (re)connect it publishes everything again. Several workers publish the same retained content,
which is harmless.
"""

from __future__ import annotations

import logging
from collections import defaultdict

from devices.protocol import trust, utcnow
from station_admin.core.protect import DataProtector
from station_admin.members.models import CardKey, revocation_entries
from station_admin.node.publishing import ChangePublisher

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


class TrustPublisher(ChangePublisher):
    """Publishes card keys and revocations on connect and whenever they change."""

    name = "card trust"

    def __init__(self, link, protector: DataProtector, interval_s: float):
        super().__init__(link, interval_s)
        self.protector = protector

    def messages(self) -> list:
        return current_messages(self.protector)

    def content(self, message) -> tuple:
        return _content(message)
