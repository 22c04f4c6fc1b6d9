"""The identifiers that travel in messages and QR codes: member numbers, card key ids, voucher numbers.

They are part of the wire contract (docs/mqtt.md, docs/vouchers.md), so they live here; the card
and voucher formats (waystation.cards, waystation.vouchers) build on them.
"""

from __future__ import annotations

import re

# Crockford's base 32 without I, L, O, U: nothing a rider can misread when telling staff their number.
MEMBER_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# A member number central issues: W and nine letters of the alphabet above.
MEMBER_NO_RE = re.compile(r"^W[0-9A-HJKMNP-TV-Z]{9}$")
# A card signing key's id: four letters of RFC 4648 base 32.
KID_RE = re.compile(r"^[A-Z2-7]{4}$")
# A care-day voucher's number: ten letters of the member alphabet.
VOUCHER_NO_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{10}$")
