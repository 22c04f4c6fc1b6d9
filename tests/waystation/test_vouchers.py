"""Voucher texts: signed by central, provisional from a kiosk, and everything else told apart."""

from __future__ import annotations

from waystation import cards
from waystation.vouchers import (
    VoucherStatus,
    new_voucher_no,
    provisional_voucher,
    read_voucher,
    sign_voucher,
)

MEMBER = "W7K3M9Q2XZ"


def test_signed_voucher_reads_back_and_fits_a_small_qr():
    key, public = cards.new_signing_key()
    number = new_voucher_no()
    text = sign_voucher(key, "TSTK", number, MEMBER, "202612")
    assert text.isascii() and len(text) <= 130
    read = read_voucher(text, {"TSTK": public})
    assert (read.status, read.voucher_no, read.member_no, read.month) == (VoucherStatus.SIGNED, number, MEMBER,
                                                                         "202612")


def test_forged_tampered_and_unknown_are_refused():
    key, public = cards.new_signing_key()
    rogue, _ = cards.new_signing_key()
    text = sign_voucher(key, "TSTK", new_voucher_no(), MEMBER, "202612")
    assert read_voucher(sign_voucher(rogue, "TSTK", new_voucher_no(), MEMBER, "202612"),
                        {"TSTK": public}).status is VoucherStatus.TAMPERED
    assert read_voucher(text, {"OTHR": public}).status is VoucherStatus.UNKNOWN_KEY
    assert read_voucher(text.replace("202612", "202611"), {"TSTK": public}).status is VoucherStatus.TAMPERED
    for i in range(len(text)):
        changed = text[:i] + ("A" if text[i] != "A" else "B") + text[i + 1:]
        assert read_voucher(changed, {"TSTK": public}).status is not VoucherStatus.SIGNED, i
    for junk in ("", "hello", "WS1.ABCD", "WV1." + "x" * 200, "WV1.é"):
        assert read_voucher(junk, {"TSTK": public}).status in (VoucherStatus.NOT_A_VOUCHER, VoucherStatus.TAMPERED)


def test_provisional_voucher_has_no_signature_and_says_so():
    number = new_voucher_no()
    read = read_voucher(provisional_voucher(number, MEMBER, "202612"), {})
    assert (read.status, read.voucher_no) == (VoucherStatus.PROVISIONAL, number)
