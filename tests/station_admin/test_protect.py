"""Phone numbers: encrypted at rest, found by keyed hash, masked on screen."""

from __future__ import annotations

import pytest

from station_admin.core.protect import DataProtector, is_mobile, mask_mobile, normalise_mobile
from waystation.sealing import seal


def test_encryption_round_trip_and_no_clear_text():
    vault = DataProtector("k" * 40)
    stored = vault.encrypt("13812341234")
    assert "1381234" not in stored and stored != vault.encrypt("13812341234")
    assert vault.decrypt(stored) == "13812341234"
    with pytest.raises(ValueError):
        DataProtector("x" * 40).decrypt(stored)


def test_files_are_encrypted_bound_to_their_purpose():
    vault = DataProtector("k" * 40)
    data = b"%PDF-1.4 a medical record"
    stored = vault.encrypt_bytes(data, "document")
    assert b"medical" not in stored and stored != vault.encrypt_bytes(data, "document")
    assert vault.decrypt_bytes(memoryview(stored), "document") == data  # as PostgreSQL's bytea comes back
    with pytest.raises(ValueError):
        vault.decrypt_bytes(stored, "phone")  # a document's ciphertext is not a phone number's
    with pytest.raises(ValueError):
        DataProtector("x" * 40).decrypt_bytes(stored, "document")


def test_lookup_hash_is_keyed_and_ignores_formatting():
    vault = DataProtector("k" * 40)
    assert vault.lookup_hash("138 1234 1234") == vault.lookup_hash("+8613812341234") == vault.lookup_hash("13812341234")
    assert vault.lookup_hash("13812341234") != DataProtector("x" * 40).lookup_hash("13812341234")


def test_kiosk_sealed_details_open_at_central():
    vault = DataProtector("k" * 40)
    assert vault.unseal(seal(vault.sealing_public_key, "13912345678")) == "13912345678"


@pytest.mark.parametrize("text, ok", [("13812341234", True), ("+86 138-1234-1234", True), ("12812341234", False),
                                      ("1381234123", False), ("138123412345", False), ("abc", False), ("", False)])
def test_mobile_numbers(text, ok):
    assert is_mobile(text) is ok


def test_mask_and_normalise():
    assert mask_mobile("13812341234") == "138****1234"
    assert mask_mobile("12") == "****"
    assert normalise_mobile("+86 138 1234 1234") == "13812341234"
    with pytest.raises(ValueError):
        DataProtector("short")
