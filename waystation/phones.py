"""Mainland China mobile numbers: normalise, check, mask (both apps use these; neither stores one in clear)."""

from __future__ import annotations

import re

# 11 digits starting 13-19.
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalise_mobile(text: str) -> str:
    """A mobile number without spaces, dashes or a +86 / 86 prefix."""
    digits = re.sub(r"[\s\-()]", "", text or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def is_mobile(text: str) -> bool:
    """Whether the text is a mainland mobile number (after normalising)."""
    return bool(MOBILE_RE.match(normalise_mobile(text)))


def mask_mobile(phone: str) -> str:
    """138****1234: what staff screens show."""
    phone = normalise_mobile(phone)
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "****"
