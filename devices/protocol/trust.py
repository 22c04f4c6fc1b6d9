"""Trust: what central tells every kiosk so it can check member cards offline. Retained, QoS 1.

Two families, both from central to all stations:

- `central/trust`: the public keys that sign member cards (by key id) and central's sealing key (the
  X25519 key kiosks encrypt riders' contact details to). A key that is no longer listed is retired:
  cards it signed are refused.
- `central/revocations/{shard}`: revoked cards, split into 32 shards by the second character of the
  member number so each retained message stays small. An entry `[member_no, null]` revokes every
  card of the member; `[member_no, "<time>"]` revokes the member's cards issued before that time
  (a card re-issued to replace a lost one). A shard's message replaces the whole shard.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from devices.protocol._base import (
    Message,
    ProtocolError,
    TopicPattern,
    decode,
    encode,
    format_time,
    get_str,
    get_time,
    show,
)
from devices.protocol.identifiers import KID_RE, MEMBER_ALPHABET, MEMBER_NO_RE

TRUST_PATTERN = TopicPattern("central/trust")
REVOCATIONS_PATTERN = TopicPattern("central/revocations/{shard}")
SHARDS = tuple(MEMBER_ALPHABET.lower())
# A revocation shard may be larger than other messages: 1,400 entries fit in 64 KB (the broker's limit
# in config/mosquitto/), so 32 shards hold about 45,000 revoked cards that have not expired yet.
MAX_REVOCATION_BYTES = 65000
MAX_KEYS = 16


def shard_of(member_no: str) -> str:
    """The revocation shard a member number belongs to."""
    return member_no[1].lower()


@dataclass(frozen=True)
class TrustAnchors(Message):
    """The card keys kiosks accept and the key they seal contact details to."""

    PATTERN: ClassVar[TopicPattern] = TRUST_PATTERN
    RETAIN: ClassVar[bool] = True

    card_keys: tuple[tuple[str, str], ...]  # (kid, public key) pairs
    sealing_key: str
    ts: datetime

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "sealing_key": self.sealing_key,
                       "card_keys": [{"kid": kid, "pub": pub} for kid, pub in self.card_keys]})


@dataclass(frozen=True)
class Revocations(Message):
    """Every revoked, unexpired card of one shard."""

    PATTERN: ClassVar[TopicPattern] = REVOCATIONS_PATTERN
    RETAIN: ClassVar[bool] = True

    shard: str
    entries: tuple[tuple[str, datetime | None], ...]  # (member_no, revoked cards issued before; None: all)
    ts: datetime

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts),
                       "entries": [[m, format_time(before) if before else None] for m, before in self.entries]})


def parse_trust(topic: str, payload: bytes) -> TrustAnchors:
    """TrustAnchors from a topic below the root and its payload; ProtocolError when invalid."""
    TRUST_PATTERN.parts(topic)
    obj = decode(payload)
    keys = obj.get("card_keys")
    if not isinstance(keys, list) or not 1 <= len(keys) <= MAX_KEYS:
        raise ProtocolError(f"field card_keys must be a list of 1 to {MAX_KEYS} keys")
    pairs = []
    for key in keys:
        if not isinstance(key, dict):
            raise ProtocolError("each card key must be an object with kid and pub")
        kid = get_str(key, "kid", pattern=KID_RE, max_len=4)
        pub = get_str(key, "pub", max_len=43)
        if len(pub) != 43:
            raise ProtocolError(f"card key {kid} must be 43 characters of base64 (32 bytes)")
        pairs.append((kid, pub))
    sealing = get_str(obj, "sealing_key", max_len=43)
    if len(sealing) != 43:
        raise ProtocolError("field sealing_key must be 43 characters of base64 (32 bytes)")
    return TrustAnchors(tuple(pairs), sealing, get_time(obj))


def parse_revocations(topic: str, payload: bytes) -> Revocations:
    """Revocations from a topic below the root and its payload; ProtocolError when invalid."""
    shard = REVOCATIONS_PATTERN.parts(topic)["shard"]
    if shard not in SHARDS:
        raise ProtocolError(f"revocation shard must be one of {''.join(SHARDS)}, got {show(shard)}")
    obj = decode(payload, max_bytes=MAX_REVOCATION_BYTES)
    raw = obj.get("entries")
    if not isinstance(raw, list):
        raise ProtocolError("field entries must be a list")
    entries = []
    for entry in raw:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
                and MEMBER_NO_RE.fullmatch(entry[0]) and shard_of(entry[0]) == shard):
            raise ProtocolError(f"revocation entry {show(entry)} is not [member number of this shard, time or null]")
        before = None if entry[1] is None else get_time({"t": entry[1]}, "t")
        entries.append((entry[0], before))
    return Revocations(shard, tuple(entries), get_time(obj))
