"""Sealing riders' contact details at the kiosk so only central opens them."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from waystation.sealing import SealError, b64, open_sealed, public_key_text, seal, unb64


def test_sealed_text_opens_only_with_the_recipient_key():
    central, other = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    sealed = seal(public_key_text(central), "13812345678")
    assert "13812345678" not in sealed and sealed != seal(public_key_text(central), "13812345678")
    assert open_sealed(central, sealed) == "13812345678"
    with pytest.raises(SealError):
        open_sealed(other, sealed)


def test_every_flipped_byte_is_refused():
    central = X25519PrivateKey.generate()
    raw = unb64(seal(public_key_text(central), "13812345678"))
    for i in range(len(raw)):
        damaged = raw[:i] + bytes([raw[i] ^ 0x01]) + raw[i + 1:]
        with pytest.raises(SealError):
            open_sealed(central, b64(damaged))
    for junk in ("", "!!!", b64(b"\x01short")):
        with pytest.raises(SealError):
            open_sealed(central, junk)
