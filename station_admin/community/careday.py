"""Care-day vouchers (关爱日) at central: the federation's policy, deciding claims, redeeming at shops.

Central decides every claim (docs/vouchers.md): the first claim of a member in a month that
reaches central, on the care day, within the station's quota, is confirmed and signed; any other
is refused (the kiosk was waiting online, so nothing was given) or flagged (the kiosk had issued a
provisional voucher offline). A partial unique index holds "one confirmed voucher per member per
month" even when several ingest workers decide at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import peewee

from devices.protocol import events, vouchers
from station_admin.core.audit import audit
from station_admin.core.models import BaseModel, District, StaffUser, Station
from station_admin.core.protect import DataProtector
from station_admin.members.models import CardKey, Member
from waystation import cards
from waystation.db import UTCDateTimeField
from waystation.sealing import unb64
from waystation.vouchers import VoucherStatus, read_voucher, sign_voucher

log = logging.getLogger(__name__)


class VoucherPolicy(BaseModel):
    """A district's care day (day of the month) and its monthly voucher quota, split over its stations."""

    district = peewee.ForeignKeyField(District, unique=True, on_delete="CASCADE")
    care_day = peewee.IntegerField()
    district_quota = peewee.IntegerField()
    updated_at = UTCDateTimeField()

    class Meta:
        table_name = "voucher_policy"

    @classmethod
    def for_district(cls, district_id: int, defaults) -> tuple[int, int]:
        """(care day, district quota) of a district, the configured defaults when the federation set none."""
        row = cls.get_or_none(cls.district == district_id)
        return (row.care_day, row.district_quota) if row else (defaults.care_day, defaults.district_quota)


def station_quotas(district_quota: int, codes: list[str]) -> dict[str, int]:
    """A district's quota split over its stations: equal shares, the remainder to the first by code."""
    codes = sorted(codes)
    if not codes:
        return {}
    share, rest = divmod(district_quota, len(codes))
    return {code: share + (1 if i < rest else 0) for i, code in enumerate(codes)}


def station_policy(station: Station, defaults) -> tuple[int, int]:
    """(care day, this month's quota) of one station."""
    care_day, district_quota = VoucherPolicy.for_district(station.district_id, defaults)
    codes = [s.code for s in Station.select(Station.code).where(Station.district == station.district_id)]
    return care_day, station_quotas(district_quota, codes).get(station.code, 0)


def station_policies(defaults) -> dict[str, tuple[int, int]]:
    """(care day, this month's quota) of every station, by code: two queries, whatever the number of stations."""
    policies = {row.district_id: (row.care_day, row.district_quota) for row in VoucherPolicy.select()}
    by_district: dict[int, list[str]] = {}
    for code, district in Station.select(Station.code, Station.district).tuples():
        by_district.setdefault(district, []).append(code)
    found: dict[str, tuple[int, int]] = {}
    for district, codes in by_district.items():
        care_day, district_quota = policies.get(district, (defaults.care_day, defaults.district_quota))
        found.update({code: (care_day, quota) for code, quota in station_quotas(district_quota, codes).items()})
    return dict(sorted(found.items()))


class Voucher(BaseModel):
    """Every voucher claim and what became of it: confirmed (maybe redeemed), refused or flagged."""

    voucher_no = peewee.CharField(unique=True, max_length=10)
    claim_event_id = peewee.CharField(unique=True, max_length=32)
    member_no = peewee.CharField(max_length=20)
    station_code = peewee.CharField()
    month = peewee.CharField(max_length=6)  # YYYYMM, local
    claimed_at = UTCDateTimeField()
    provisional = peewee.BooleanField(default=False)
    status = peewee.CharField()  # confirmed, refused, flagged
    reason = peewee.CharField(null=True)
    decided_at = UTCDateTimeField()
    text = peewee.CharField(null=True, max_length=130)  # the signed voucher, when confirmed
    redeemed_at = UTCDateTimeField(null=True)
    redeemed_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "voucher"
        indexes = ((("member_no", "month"), False), (("station_code", "month"), False))

    @classmethod
    def confirmed_count(cls, station_code: str, month: str) -> int:
        """Vouchers confirmed at a station in a month (what its quota limits)."""
        return cls.select().where(cls.station_code == station_code, cls.month == month,
                                  cls.status == "confirmed").count()

    @classmethod
    def of_member(cls, member_no: str, month: str):
        """A member's claims in a month, newest first (what the card page shows)."""
        return cls.select().where(cls.member_no == member_no, cls.month == month).order_by(cls.claimed_at.desc())

    @classmethod
    def flagged(cls, codes: list[str], month: str):
        """Flagged and refused claims at these stations in a month, for staff to look at."""
        return (cls.select().where(cls.station_code.in_(codes), cls.month == month, cls.status != "confirmed")
                .order_by(cls.claimed_at.desc()))

    @classmethod
    def month_counts(cls, codes: list[str], month: str) -> dict[str, dict[str, int]]:
        """Claims per station and outcome in a month (confirmed, redeemed, refused, flagged)."""
        counts: dict[str, dict[str, int]] = {c: {"confirmed": 0, "redeemed": 0, "refused": 0, "flagged": 0}
                                             for c in codes}
        for row in cls.select().where(cls.station_code.in_(codes), cls.month == month):
            counts[row.station_code][row.status] += 1
            if row.redeemed_at:
                counts[row.station_code]["redeemed"] += 1
        return counts


# One confirmed voucher per member per month across all stations: the database refuses a second.
Voucher.add_index(peewee.ModelIndex(Voucher, (Voucher.member_no, Voucher.month), unique=True,
                                    name="voucher_one_per_member_month", where=Voucher.status == "confirmed"))


def local_month(moment: datetime, timezone: str) -> str:
    """The YYYYMM of a moment in local time."""
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y%m")


def _refusal(claim: events.StationEvent, member: Member | None, station: Station | None, defaults,
             timezone: str, month: str) -> str | None:
    """Why a claim cannot be confirmed, or None."""
    if member is None or member.status != "active":
        return "not_member"
    if station is None:
        return "unknown_station"
    care_day, quota = station_policy(station, defaults)
    if claim.ts.astimezone(ZoneInfo(timezone)).day != care_day:
        return "not_care_day"
    if Voucher.select().where(Voucher.member_no == member.member_no, Voucher.month == month,
                              Voucher.status == "confirmed").exists():
        return "already_claimed"
    if Voucher.confirmed_count(station.code, month) >= quota:
        return "quota"
    return None


def decide_claims(claims: list[events.StationEvent], protector: DataProtector, defaults, timezone: str,
                  now: datetime) -> list[vouchers.VoucherDecision]:
    """Decide new claims in arrival order (inside the ingest transaction) and answer known ones again."""
    decisions = []
    for claim in claims:
        row = Voucher.get_or_none(Voucher.claim_event_id == claim.event_id)
        if row is None:
            row = _decide(claim, protector, defaults, timezone, now)
        if row is not None:
            decisions.append(vouchers.VoucherDecision(claim.station, claim.event_id, row.voucher_no, row.status, now,
                                                      row.reason, row.text))
    return decisions


def _decide(claim: events.StationEvent, protector, defaults, timezone: str, now: datetime) -> Voucher | None:
    body: events.VoucherClaim = claim.body
    month = local_month(claim.ts, timezone)
    member = Member.get_or_none(Member.member_no == body.member_no)
    station = Station.get_or_none(Station.code == claim.station)
    reason = _refusal(claim, member, station, defaults, timezone, month)
    fields = {"voucher_no": body.voucher_no, "claim_event_id": claim.event_id, "member_no": body.member_no,
              "station_code": claim.station, "month": month, "claimed_at": claim.ts,
              "provisional": body.provisional, "decided_at": now}
    if reason is None:
        key = CardKey.signer()
        if key is None:
            log.error("no card signing key: voucher claim %s cannot be signed yet", claim.event_id)
            return None
        private = cards.private_key_from(unb64(protector.decrypt(key.private_key_enc)))
        text = sign_voucher(private, key.kid, body.voucher_no, body.member_no, month)
        try:
            # A savepoint: losing the one-per-month race to another worker must not undo the batch.
            with Voucher._meta.database.atomic():
                return Voucher.create(status="confirmed", text=text, **fields)
        except peewee.IntegrityError:
            reason = "already_claimed"
    status = "flagged" if body.provisional else "refused"
    try:
        with Voucher._meta.database.atomic():
            row = Voucher.create(status=status, reason=reason, **fields)
    except peewee.IntegrityError:
        log.warning("voucher claim %s reuses voucher number %s: dropped", claim.event_id, body.voucher_no)
        return None
    log.info("voucher claim %s of %s at %s: %s (%s)", claim.event_id, body.member_no, claim.station, status, reason)
    return row


@dataclass(frozen=True)
class Redemption:
    """What scanning a voucher at a shop came to: redeemed, or the message key of why not."""

    ok: bool
    key: str
    voucher: Voucher | None = None


def redeem(text: str, user: StaffUser, now: datetime, timezone: str) -> Redemption:
    """Redeem a scanned voucher once (an update guarded by its status), or say exactly why not."""
    keys = {k.kid: k.public_key for k in CardKey.active()}
    read = read_voucher(text[:200], keys)
    if read.status in (VoucherStatus.TAMPERED, VoucherStatus.UNKNOWN_KEY):
        return Redemption(False, "forged")
    if not read.readable:
        return Redemption(False, "not_a_voucher")
    row = Voucher.get_or_none(Voucher.voucher_no == read.voucher_no)
    if row is None:
        return Redemption(False, "not_synced" if read.status is VoucherStatus.PROVISIONAL else "forged")
    if row.member_no != read.member_no or row.month != read.month:
        return Redemption(False, "forged")
    if row.status != "confirmed":
        return Redemption(False, "not_valid", row)
    if row.month != local_month(now, timezone):
        return Redemption(False, "expired", row)
    done = (Voucher.update(redeemed_at=now, redeemed_by=user.id)
            .where(Voucher.id == row.id, Voucher.status == "confirmed", Voucher.redeemed_at.is_null())
            .execute())
    if done != 1:
        return Redemption(False, "already_redeemed", Voucher.get_by_id(row.id))
    audit("voucher.redeem", "voucher", row.voucher_no, actor=user, member=row.member_no, station=row.station_code)
    return Redemption(True, "redeemed", Voucher.get_by_id(row.id))


def set_policy(district: District, care_day: int, district_quota: int, now: datetime) -> None:
    """Save a district's care day and quota (kiosks hear it within the publish interval)."""
    (VoucherPolicy.insert(district=district, care_day=care_day, district_quota=district_quota, updated_at=now)
     .on_conflict(conflict_target=[VoucherPolicy.district],
                  update={VoucherPolicy.care_day: care_day, VoucherPolicy.district_quota: district_quota,
                          VoucherPolicy.updated_at: now})
     .execute())
    audit("voucher.policy", "district", district.code, care_day=care_day, quota=district_quota)
