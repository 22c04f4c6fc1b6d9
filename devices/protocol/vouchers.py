"""Care-day vouchers, central → kiosk: the station's voucher policy (retained) and central's
decision on each claim (QoS 1, not retained). The claim itself is a kiosk event (`voucher_claim`).

- `station/{station}/voucher/policy`: the day of the month vouchers are given out and this
  station's quota for the month; the kiosk keeps the last one and refuses on other days.
- `station/{station}/voucher/decision`: central's answer to one claim, named by the claim's event
  id: `confirmed` with central's signed voucher text, `refused` (the kiosk was online and waiting,
  nothing was issued) or `flagged` (a provisional voucher the kiosk issued offline is not valid).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from devices.protocol._base import (
    EVENT_ID_RE,
    Message,
    ProtocolError,
    TopicPattern,
    decode,
    encode,
    format_time,
    get_int,
    get_str,
    get_time,
)
from devices.protocol.identifiers import VOUCHER_NO_RE

POLICY_PATTERN = TopicPattern("station/{station}/voucher/policy")
DECISION_PATTERN = TopicPattern("station/{station}/voucher/decision")
STATUSES = ("confirmed", "refused", "flagged")
# Why a claim was not confirmed; each has its message on the kiosk and the rider's card page.
REASONS = ("already_claimed", "quota", "not_care_day", "not_member", "unknown_station")
MAX_QUOTA = 100_000


@dataclass(frozen=True)
class VoucherPolicy(Message):
    """When this station gives out vouchers and how many it may give this month."""

    PATTERN: ClassVar[TopicPattern] = POLICY_PATTERN
    RETAIN: ClassVar[bool] = True

    station: str
    care_day: int
    quota: int
    ts: datetime

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "care_day": self.care_day, "quota": self.quota})


@dataclass(frozen=True)
class VoucherDecision(Message):
    """Central's decision on one voucher claim."""

    PATTERN: ClassVar[TopicPattern] = DECISION_PATTERN

    station: str
    claim_id: str
    voucher_no: str
    status: str
    ts: datetime
    reason: str | None = None
    voucher: str | None = None

    def to_payload(self) -> bytes:
        fields = {"ts": format_time(self.ts), "claim": self.claim_id, "voucher_no": self.voucher_no,
                  "status": self.status}
        if self.reason:
            fields["reason"] = self.reason
        if self.voucher:
            fields["voucher"] = self.voucher
        return encode(fields)


def parse_policy(topic: str, payload: bytes) -> VoucherPolicy:
    """A VoucherPolicy from a topic below the root and its payload; ProtocolError when invalid."""
    parts = POLICY_PATTERN.parts(topic)
    obj = decode(payload)
    return VoucherPolicy(parts["station"], get_int(obj, "care_day", low=1, high=28),
                         get_int(obj, "quota", high=MAX_QUOTA), get_time(obj))


def parse_decision(topic: str, payload: bytes) -> VoucherDecision:
    """A VoucherDecision from a topic below the root and its payload; ProtocolError when invalid."""
    parts = DECISION_PATTERN.parts(topic)
    obj = decode(payload)
    status = get_str(obj, "status", choices=set(STATUSES))
    reason = get_str(obj, "reason", choices=set(REASONS), optional=True)
    voucher = get_str(obj, "voucher", max_len=130, optional=True)
    if (status == "confirmed") != (voucher is not None):
        raise ProtocolError("field voucher is required for a confirmed claim and only then")
    if (status == "confirmed") == (reason is not None):
        raise ProtocolError("field reason is required for a refused or flagged claim and only then")
    return VoucherDecision(parts["station"], get_str(obj, "claim", pattern=EVENT_ID_RE, max_len=32),
                           get_str(obj, "voucher_no", pattern=VOUCHER_NO_RE, max_len=10), status,
                           get_time(obj), reason, voucher)
