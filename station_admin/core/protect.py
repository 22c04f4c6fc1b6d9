"""Protecting what central stores about people: phone numbers encrypted, found by a keyed hash.

Everything derives from one secret, `central.data_key`: an AES-256-GCM key for phone numbers, an
HMAC key for look-ups (so "is this number a member?" needs no decryption and a copied database
file reveals neither), and the X25519 key kiosks seal riders' contact details to.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from functools import cached_property

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from waystation.phones import is_mobile, mask_mobile, normalise_mobile
from waystation.sealing import b64, open_sealed, public_key_text, unb64

__all__ = ["DataProtector", "is_mobile", "mask_mobile", "normalise_mobile"]



class DataProtector:
    """Encrypts, decrypts, hashes and masks personal data with keys derived from the data key."""

    def __init__(self, data_key: str):
        if len(data_key) < 32:
            raise ValueError("central.data_key must be at least 32 characters")
        self._root = data_key.encode()

    def _derive(self, purpose: str) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=b"waystation", info=purpose.encode()).derive(self._root)

    @cached_property
    def _aead(self) -> AESGCM:
        return AESGCM(self._derive("phone-encryption"))

    @cached_property
    def _lookup_key(self) -> bytes:
        return self._derive("phone-lookup")

    @cached_property
    def sealing_key(self) -> X25519PrivateKey:
        """The private key riders' contact details are sealed to at the kiosk."""
        return X25519PrivateKey.from_private_bytes(self._derive("request-sealing"))

    @property
    def sealing_public_key(self) -> str:
        """What kiosks receive to seal with."""
        return public_key_text(self.sealing_key)

    def join_key(self, station_code: str) -> str:
        """The key a station's kiosk signs its join QR codes with (sent in the station's configuration)."""
        return hmac.new(self._derive("join-links"), station_code.encode(), hashlib.sha256).hexdigest()

    def link_mac(self, purpose: str, text: str) -> str:
        """A keyed tag for a link central hands out (e.g. a phone upload link), so it cannot be forged."""
        return hmac.new(self._derive(f"links:{purpose}"), text.encode(), hashlib.sha256).hexdigest()[:32]

    def encrypt(self, text: str) -> str:
        """Ciphertext for storage (a fresh nonce each time, so equal numbers do not look equal)."""
        nonce = os.urandom(12)
        return b64(nonce + self._aead.encrypt(nonce, text.encode(), b"phone"))

    def decrypt(self, stored: str) -> str:
        """The clear text of a stored ciphertext; ValueError if it was not made with this key."""
        raw = unb64(stored)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], b"phone").decode()
        except InvalidTag:
            raise ValueError("stored ciphertext does not open with this data key") from None

    def encrypt_bytes(self, data: bytes, purpose: str) -> bytes:
        """Ciphertext of a file for storage (nonce first); `purpose` binds it to its use, e.g. "document"."""
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, data, purpose.encode())

    def decrypt_bytes(self, stored: bytes, purpose: str) -> bytes:
        """The clear bytes of a stored file; ValueError if made with another key or for another purpose."""
        raw = bytes(stored)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], purpose.encode())
        except InvalidTag:
            raise ValueError("stored ciphertext does not open with this data key") from None

    def lookup_hash(self, phone: str) -> str:
        """A keyed hash to find a record by phone number without decrypting any."""
        return hmac.new(self._lookup_key, normalise_mobile(phone).encode(), hashlib.sha256).hexdigest()

    def unseal(self, sealed: str) -> str:
        """Open what a kiosk sealed to central (raises waystation.sealing.SealError when damaged)."""
        return open_sealed(self.sealing_key, sealed)
