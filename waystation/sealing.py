"""Sealed messages: a kiosk encrypts a rider's contact details so that only central can read them.

A kiosk holds central's X25519 public key (sent retained over MQTT) and seals with an ephemeral key
(ECIES: X25519, HKDF-SHA256, AES-256-GCM). The kiosk's own database then holds only ciphertext it
cannot open itself, so a stolen kiosk gives away no phone numbers.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = b"\x01"
_INFO = b"waystation sealed v1"


class SealError(ValueError):
    """A sealed text that is damaged, or sealed for another key."""


def b64(data: bytes) -> str:
    """URL-safe base64 without padding (what goes on the wire and into settings)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """The bytes of a URL-safe base64 text with or without padding; ValueError when it is not one."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as e:
        raise ValueError(f"not base64: {e}") from None


def public_key_text(private_key: X25519PrivateKey) -> str:
    """The public half of a sealing key, as text."""
    return b64(private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw))


def _key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=ephemeral + recipient, info=_INFO).derive(shared)


def seal(recipient_public: str, plaintext: str) -> str:
    """`plaintext` encrypted for the holder of the private key of `recipient_public`."""
    recipient = unb64(recipient_public)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    key = _key(ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient)), ephemeral_public, recipient)
    nonce = os.urandom(12)
    return b64(VERSION + ephemeral_public + nonce + AESGCM(key).encrypt(nonce, plaintext.encode(), None))


def open_sealed(private_key: X25519PrivateKey, sealed: str) -> str:
    """The plaintext of a sealed text; SealError when it is damaged or not for this key."""
    try:
        raw = unb64(sealed)
    except ValueError as e:
        raise SealError(str(e)) from None
    if len(raw) < 1 + 32 + 12 + 16 or raw[:1] != VERSION:
        raise SealError("not a sealed text of version 1")
    ephemeral_public, nonce, body = raw[1:33], raw[33:45], raw[45:]
    recipient = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        return AESGCM(_key(shared, ephemeral_public, recipient)).decrypt(nonce, body, None).decode()
    except (InvalidTag, ValueError) as e:
        raise SealError("sealed text is damaged or for another key") from e
