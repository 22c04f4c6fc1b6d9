"""Care-day meal vouchers: the text in a voucher's QR code (docs/vouchers.md has the rules).

Two forms, both ASCII and short enough for a small QR code:

    WV1.<kid>.<voucher_no>.<member_no>.<month>.<signature>    confirmed: signed by central
    WP1.<voucher_no>.<member_no>.<month>                      provisional: made by a kiosk offline

`kid` is the card signing key that signed it (vouchers reuse the member-card keys, so kiosks and
shops need no second key), `voucher_no` ten base-32 characters, `month` YYYYMM (local), and the
signature the Ed25519 signature (URL-safe base64) of everything before the last dot. A provisional
voucher carries no signature: a kiosk holds no private key. It is worth something only once
central has recorded and confirmed its claim; until then a shop is told to wait.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from devices.protocol.identifiers import MEMBER_ALPHABET, MEMBER_NO_RE, VOUCHER_NO_RE  # noqa: F401
from waystation.sealing import b64, unb64

MAX_LENGTH = 130
MONTH_RE = re.compile(r"^20[0-9]{2}(0[1-9]|1[0-2])$")
_SIGNED_RE = re.compile(r"^WV1\.([A-Z2-7]{4})\.([0-9A-HJKMNP-TV-Z]{10})\.(W[0-9A-HJKMNP-TV-Z]{9})\."
                        r"(20[0-9]{2}(?:0[1-9]|1[0-2]))\.([A-Za-z0-9_-]{86})$")
_PROVISIONAL_RE = re.compile(r"^WP1\.([0-9A-HJKMNP-TV-Z]{10})\.(W[0-9A-HJKMNP-TV-Z]{9})\."
                             r"(20[0-9]{2}(?:0[1-9]|1[0-2]))$")
# Both voucher forms as regular expressions both Python and JavaScript read (the kiosk's scanner code).
VOUCHER_PATTERNS = (_SIGNED_RE.pattern, _PROVISIONAL_RE.pattern)


class VoucherStatus(StrEnum):
    """What reading a scanned voucher text found (before central looks it up)."""

    SIGNED = "signed"
    PROVISIONAL = "provisional"
    NOT_A_VOUCHER = "not_a_voucher"
    UNKNOWN_KEY = "unknown_key"
    TAMPERED = "tampered"


@dataclass(frozen=True)
class VoucherText:
    """A voucher text read and, when signed, checked."""

    status: VoucherStatus
    voucher_no: str = ""
    member_no: str = ""
    month: str = ""

    @property
    def readable(self) -> bool:
        return self.status in (VoucherStatus.SIGNED, VoucherStatus.PROVISIONAL)


def new_voucher_no() -> str:
    """A fresh random voucher number (ten base-32 characters: 2**50 of them)."""
    return "".join(secrets.choice(MEMBER_ALPHABET) for _ in range(10))


def sign_voucher(private_key: Ed25519PrivateKey, kid: str, voucher_no: str, member_no: str, month: str) -> str:
    """The confirmed voucher text, signed by central."""
    if not (VOUCHER_NO_RE.match(voucher_no) and MEMBER_NO_RE.match(member_no) and MONTH_RE.match(month)):
        raise ValueError("voucher number, member number or month has the wrong form")
    body = f"WV1.{kid}.{voucher_no}.{member_no}.{month}"
    text = f"{body}.{b64(private_key.sign(body.encode()))}"
    assert len(text) <= MAX_LENGTH
    return text


def provisional_voucher(voucher_no: str, member_no: str, month: str) -> str:
    """The provisional voucher text a kiosk shows when central did not answer in time."""
    return f"WP1.{voucher_no}.{member_no}.{month}"


def read_voucher(text: str, public_keys: dict[str, str]) -> VoucherText:
    """What a scanned text is: a correctly signed voucher, a provisional one, or exactly why not."""
    text = (text or "").strip()
    if len(text) > MAX_LENGTH or not text.isascii() or not text.startswith(("WV1.", "WP1.")):
        return VoucherText(VoucherStatus.NOT_A_VOUCHER)
    provisional = _PROVISIONAL_RE.match(text)
    if provisional:
        return VoucherText(VoucherStatus.PROVISIONAL, *provisional.groups())
    signed = _SIGNED_RE.match(text)
    if signed is None:
        return VoucherText(VoucherStatus.TAMPERED)
    kid, voucher_no, member_no, month, signature = signed.groups()
    found = VoucherText(VoucherStatus.SIGNED, voucher_no, member_no, month)
    if kid not in public_keys:
        return VoucherText(VoucherStatus.UNKNOWN_KEY, voucher_no, member_no, month)
    try:
        raw = unb64(signature)
        if b64(raw) != signature:  # one voucher, one spelling
            return VoucherText(VoucherStatus.TAMPERED)
        Ed25519PublicKey.from_public_bytes(unb64(public_keys[kid])).verify(raw, text.rpartition(".")[0].encode())
    except (InvalidSignature, ValueError):
        return VoucherText(VoucherStatus.TAMPERED)
    return found
