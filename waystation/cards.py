"""Member cards: the signed text in a member's QR code, made at central and checked at any kiosk offline.

A card is ASCII (a USB scanner types nothing else) of at most 130 characters:

    WS1.<kid>.<member_no>.<issued>.<expires>.<signature>

`WS1` is the format version; `kid` the signing key's 4-character id; `member_no` the opaque member
number; `issued` and `expires` minutes since 1970-01-01 UTC in base 36; `signature` the Ed25519
signature (URL-safe base64, 86 characters) of everything before the last dot. No name, no phone.
Central holds the private keys; kiosks hold only public keys and a revocation list, so any station
checks any card with no network and no kiosk can make one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from devices.protocol.identifiers import KID_RE, MEMBER_ALPHABET, MEMBER_NO_RE  # noqa: F401  (part of this module's API)
from waystation.sealing import b64, unb64

VERSION = "WS1"
MAX_LENGTH = 130
_CARD_RE = re.compile(r"^WS1\.([A-Z2-7]{4})\.(W[0-9A-HJKMNP-TV-Z]{9})\."
                      r"([0-9a-z]{1,7})\.([0-9a-z]{1,7})\.([A-Za-z0-9_-]{86})$")
# The card's form as a regular expression both Python and JavaScript read (the kiosk's scanner code
# tells a card scan from typing by it).
CARD_PATTERN = _CARD_RE.pattern
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CardStatus(StrEnum):
    """What checking a scanned code found; each has its own message on the kiosk."""

    VALID = "valid"
    NOT_A_CARD = "not_a_card"
    WRONG_VERSION = "wrong_version"
    UNKNOWN_KEY = "unknown_key"
    TAMPERED = "tampered"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class Card:
    """The fields a card carries."""

    kid: str
    member_no: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class CardCheck:
    """The outcome of checking a code: a status and, when the code is a well-formed card, the card."""

    status: CardStatus
    card: Card | None = None

    @property
    def valid(self) -> bool:
        return self.status is CardStatus.VALID


def new_member_no() -> str:
    """A fresh opaque member number: W and nine random base-32 characters (no order, no meaning)."""
    return "W" + "".join(secrets.choice(MEMBER_ALPHABET) for _ in range(9))


def new_kid() -> str:
    """A fresh key id: four base-32 capitals."""
    return "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(4))


def _minutes(moment: datetime) -> str:
    return _base36(int((moment - _EPOCH).total_seconds() // 60))


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _moment(text: str) -> datetime:
    return _EPOCH + timedelta(minutes=int(text, 36))


def sign_card(private_key: Ed25519PrivateKey, kid: str, member_no: str, issued_at: datetime,
              expires_at: datetime) -> str:
    """The card text for these fields, signed (times are kept to the minute)."""
    if not KID_RE.match(kid) or not MEMBER_NO_RE.match(member_no):
        raise ValueError("kid or member number has the wrong form")
    body = f"{VERSION}.{kid}.{member_no}.{_minutes(issued_at)}.{_minutes(expires_at)}"
    text = f"{body}.{b64(private_key.sign(body.encode()))}"
    assert len(text) <= MAX_LENGTH
    return text


def read_card(text: str) -> Card | None:
    """The fields of a well-formed card text (signature not checked), or None."""
    match = _CARD_RE.match(text)
    if match is None:
        return None
    kid, member_no, issued, expires, _ = match.groups()
    return Card(kid, member_no, _moment(issued), _moment(expires))


class CardVerifier:
    """Checks card texts against the public keys and revocations a kiosk holds; no network needed.

    `revoked(member_no, issued_at)` says whether a card of that member issued then is revoked (a
    revoked member, or a card replaced by a newer one).
    """

    def __init__(self, public_keys: dict[str, str], revoked=lambda member_no, issued_at: False):
        self._keys = {kid: Ed25519PublicKey.from_public_bytes(unb64(pub)) for kid, pub in public_keys.items()}
        self._revoked = revoked

    def check(self, text: str, now: datetime) -> CardCheck:
        """What this code is: a valid card, or exactly why not."""
        text = text.strip()
        if len(text) > MAX_LENGTH or not text.isascii() or not text.startswith("WS"):
            return CardCheck(CardStatus.NOT_A_CARD)
        if not text.startswith(VERSION + "."):
            return CardCheck(CardStatus.WRONG_VERSION if re.match(r"^WS\d+\.", text) else CardStatus.NOT_A_CARD)
        card = read_card(text)
        if card is None:
            return CardCheck(CardStatus.TAMPERED)  # our prefix, but damaged
        key = self._keys.get(card.kid)
        if key is None:
            return CardCheck(CardStatus.UNKNOWN_KEY, card)
        body, _, signature = text.rpartition(".")
        try:
            raw = unb64(signature)
            # Only the canonical spelling counts: base64's spare bits must not give one card many texts.
            if b64(raw) != signature:
                return CardCheck(CardStatus.TAMPERED, card)
            key.verify(raw, body.encode())
        except (InvalidSignature, ValueError):
            return CardCheck(CardStatus.TAMPERED, card)
        if card.issued_at > now + timedelta(minutes=5):  # a little slack for the kiosk's clock
            return CardCheck(CardStatus.NOT_YET_VALID, card)
        if card.expires_at <= now:
            return CardCheck(CardStatus.EXPIRED, card)
        if self._revoked(card.member_no, card.issued_at):
            return CardCheck(CardStatus.REVOKED, card)
        return CardCheck(CardStatus.VALID, card)


def new_signing_key() -> tuple[Ed25519PrivateKey, str]:
    """A fresh Ed25519 key and its public half as text."""
    key = Ed25519PrivateKey.generate()
    return key, public_text(key)


def public_text(key: Ed25519PrivateKey) -> str:
    """The public half of a signing key, as text (what kiosks receive)."""
    return b64(key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def private_bytes(key: Ed25519PrivateKey) -> bytes:
    """The raw private key (central stores it encrypted)."""
    return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())


def private_key_from(raw: bytes) -> Ed25519PrivateKey:
    """A signing key from its raw bytes."""
    return Ed25519PrivateKey.from_private_bytes(raw)


def join_link_query(join_key: str, station: str, now: datetime) -> str:
    """The query string of a kiosk's join QR: the station, when it was made, and a signature.

    The kiosk signs with its station's join key (sent by central in the station's configuration);
    central checks it and the age, so a join link names its station truthfully and expires.
    """
    minutes = _minutes(now)
    return f"s={station}&t={minutes}&h={_join_signature(join_key, station, minutes)}"


def check_join_link(join_key: str, station: str, minutes: str, signature: str, now: datetime,
                    max_age: timedelta) -> bool:
    """Whether a join link's signature is right and it is younger than `max_age`."""
    if not re.fullmatch(r"[0-9a-z]{1,7}", minutes or ""):
        return False
    if not hmac.compare_digest(_join_signature(join_key, station, minutes), signature or ""):
        return False
    made = _moment(minutes)
    return made - timedelta(minutes=2) <= now <= made + max_age


def _join_signature(join_key: str, station: str, minutes: str) -> str:
    return hmac.new(join_key.encode(), f"{station}.{minutes}".encode(), hashlib.sha256).hexdigest()[:20]
