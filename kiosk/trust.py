"""Card keys and revocations from central, kept in the kiosk database, and checking scanned cards with them.

Everything needed to check a member card is local, so a kiosk with its network cut still tells a
valid card from a forged, tampered, expired, revoked or unknown-key one.
"""

from __future__ import annotations

import logging
from datetime import datetime

from devices.protocol import trust, utcnow
from kiosk.listener import stored
from kiosk.models import Revocation, TrustedKey, db
from waystation.cards import CardCheck, CardVerifier

log = logging.getLogger(__name__)
SEALING = "sealing"


class TrustListener:
    """Subscribes to central's card keys and revocation shards (retained) and stores them."""

    def __init__(self, link):
        self.link = link

    def subscribe(self) -> None:
        """Register the subscriptions (kept across reconnects by the link)."""
        self.link.subscribe(trust.TRUST_PATTERN.filter, stored(self.link, trust.parse_trust, on_trust))
        self.link.subscribe(trust.REVOCATIONS_PATTERN.filter,
                            stored(self.link, trust.parse_revocations, on_revocations))


def on_trust(anchors: trust.TrustAnchors) -> None:
    """Replace the card keys and the sealing key with central's current ones."""
    now = utcnow()
    with db.atomic():
        TrustedKey.delete().execute()
        TrustedKey.insert_many([{"kid": kid, "public_key": pub, "received_at": now} for kid, pub in anchors.card_keys]
                               + [{"kid": SEALING, "public_key": anchors.sealing_key, "received_at": now}]).execute()
    log.info("card keys now %s", ", ".join(kid for kid, _ in anchors.card_keys))


def on_revocations(shard: trust.Revocations) -> None:
    """Replace one shard of the revocation list."""
    with db.atomic():
        Revocation.delete().where(Revocation.shard == shard.shard).execute()
        rows = [{"member_no": m, "shard": shard.shard, "before": before} for m, before in shard.entries]
        for start in range(0, len(rows), 300):
            Revocation.insert_many(rows[start:start + 300]).execute()


def sealing_key() -> str | None:
    """Central's key to seal riders' contact details to, once central has sent it."""
    row = TrustedKey.get_or_none(TrustedKey.kid == SEALING)
    return row.public_key if row else None


def check_card(text: str, now: datetime | None = None) -> CardCheck:
    """What a scanned code is, by the keys and revocations this kiosk holds (no network)."""
    keys = {k.kid: k.public_key for k in TrustedKey.select().where(TrustedKey.kid != SEALING)}
    return CardVerifier(keys, Revocation.covers).check(text, now or utcnow())
