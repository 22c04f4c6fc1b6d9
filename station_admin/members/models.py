"""Members and the keys that sign their cards: join, approve, revoke, re-issue, recover a lost card link, rotate keys.

A member's phone number is stored encrypted with a keyed hash beside it for look-ups
(station_admin.core.protect); the card carries only the opaque member number. Card signing keys are kept
encrypted with the same data key; the newest key signs, older ones stay valid until retired.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta

import peewee

from station_admin.core.audit import audit
from station_admin.core.models import BaseModel, CheckIn, District, Federation, StaffUser, Station, StationManager
from station_admin.core.protect import DataProtector, mask_mobile
from waystation import cards
from waystation.db import UTCDateTimeField
from waystation.sealing import b64, unb64

PLATFORMS = ("meituan", "eleme", "sf", "jd", "didi", "dada", "other")
# The worker groups surveys are targeted by; a member says theirs when joining.
WORKER_GROUPS = ("delivery_rider", "courier", "ride_hailing", "sanitation", "other")
# The group a platform's workers most likely belong to: the join form's first choice, and what
# migration 18 gave members who joined before the question was asked.
PLATFORM_GROUPS = {"meituan": "delivery_rider", "eleme": "delivery_rider", "dada": "delivery_rider",
                   "sf": "courier", "jd": "courier", "didi": "ride_hailing"}
STATUSES = ("pending", "active", "revoked")


class MembershipError(ValueError):
    """A membership action that cannot be done; `key` is its message in the locale files."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


class CardKey(BaseModel):
    """An Ed25519 key that signs member cards; its private half is stored encrypted."""

    kid = peewee.CharField(unique=True, max_length=4)
    public_key = peewee.CharField()
    private_key_enc = peewee.TextField()
    created_at = UTCDateTimeField()
    retired_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "card_key"

    @classmethod
    def active(cls):
        """Keys whose cards kiosks accept, newest first (the first one signs)."""
        return cls.select().where(cls.retired_at.is_null()).order_by(cls.created_at.desc(), cls.id.desc())

    @classmethod
    def signer(cls) -> CardKey | None:
        """The key new cards are signed with."""
        return cls.active().first()

    @classmethod
    def rotate(cls, protector: DataProtector, now: datetime) -> CardKey:
        """Make a new signing key; cards signed by older keys stay valid until those are retired."""
        used = {k.kid for k in cls.select(cls.kid)}
        kid = cards.new_kid()
        while kid in used:
            kid = cards.new_kid()
        key, public = cards.new_signing_key()
        return cls.create(kid=kid, public_key=public, created_at=now,
                          private_key_enc=protector.encrypt(b64(cards.private_bytes(key))))

    def retire(self, now: datetime) -> None:
        """Stop accepting cards of this key everywhere (members re-issue with the current key)."""
        if self.retired_at is None:
            self.retired_at = now
            self.save()

    def sign(self, protector: DataProtector, member_no: str, issued_at: datetime, expires_at: datetime) -> str:
        """A card text signed with this key."""
        key = cards.private_key_from(unb64(protector.decrypt(self.private_key_enc)))
        return cards.sign_card(key, self.kid, member_no, issued_at, expires_at)


class ConsentText(BaseModel):
    """A version of the personal-information notice members agree to at joining; never changed once
    published (a new text is a new version). Version 1 came with migration 22."""

    version = peewee.IntegerField(unique=True)
    text_zh = peewee.TextField()
    text_en = peewee.TextField()
    text_hash = peewee.CharField(max_length=64)
    published_at = UTCDateTimeField()
    published_by = peewee.CharField()

    class Meta:
        table_name = "consent_text"

    MAX_CHARS = 4000

    @staticmethod
    def hash_of(text_zh: str, text_en: str) -> str:
        """The SHA-256 of both languages' text, as stored beside each member who agreed to it."""
        canonical = json.dumps({"en": text_en, "zh": text_zh}, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def current(cls) -> ConsentText | None:
        """The newest version: what the join form shows."""
        return cls.select().order_by(cls.version.desc()).first()

    @classmethod
    def publish(cls, text_zh: str, text_en: str, by: str, now: datetime) -> ConsentText:
        """A new version (the next number) that the join form shows from now on; audited."""
        text_zh, text_en = text_zh.strip().replace("\r\n", "\n"), text_en.strip().replace("\r\n", "\n")
        if not text_zh or not text_en:
            raise MembershipError("consent_missing")
        if len(text_zh) > cls.MAX_CHARS or len(text_en) > cls.MAX_CHARS:
            raise MembershipError("consent_long")
        current = cls.current()
        digest = cls.hash_of(text_zh, text_en)
        if current is not None and current.text_hash == digest:
            raise MembershipError("consent_unchanged")
        version = (current.version if current else 0) + 1
        row = cls.create(version=version, text_zh=text_zh, text_en=text_en, text_hash=digest, published_at=now,
                         published_by=by)
        audit("consent.publish", "consent", version, hash=digest)
        return row


class Member(BaseModel):
    """A union member who joined at a station; the phone number is stored encrypted."""

    member_no = peewee.CharField(unique=True, max_length=10)
    name = peewee.CharField(max_length=40)
    phone_enc = peewee.TextField()
    phone_hash = peewee.CharField(unique=True, max_length=64)
    platform = peewee.CharField(max_length=20)
    worker_group = peewee.CharField(max_length=20, default="other")
    district = peewee.ForeignKeyField(District, backref="members")
    join_station = peewee.CharField(null=True, index=True)
    status = peewee.CharField(default="pending", index=True)
    created_at = UTCDateTimeField()
    approved_at = UTCDateTimeField(null=True)
    revoked_at = UTCDateTimeField(null=True)
    card_kid = peewee.CharField(null=True, max_length=4)
    card_issued_at = UTCDateTimeField(null=True)
    card_expires_at = UTCDateTimeField(null=True)
    card_enc = peewee.TextField(null=True)
    # Cards issued before this moment are revoked (a lost card replaced by a new one).
    replaced_before = UTCDateTimeField(null=True)
    # The newest expiry among this member's revoked cards: the revocation matters until then.
    revocation_until = UTCDateTimeField(null=True, index=True)
    page_token_hash = peewee.CharField(unique=True, max_length=64)
    # The consent text the member agreed to at joining (its version and hash), and when.
    consent_version = peewee.IntegerField(null=True)
    consent_hash = peewee.CharField(null=True, max_length=64)
    consent_at = UTCDateTimeField(null=True)
    # Set when the member's identity was erased at their request (the row stays, so counts do).
    erased_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "member"

    @staticmethod
    def token_hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def by_page_token(cls, token: str) -> Member | None:
        """The member whose card page this secret link opens."""
        return cls.get_or_none(cls.page_token_hash == cls.token_hash(token)) if token else None

    @classmethod
    def by_phone(cls, protector: DataProtector, phone: str) -> Member | None:
        """The member with this mobile number, found by keyed hash."""
        return cls.get_or_none(cls.phone_hash == protector.lookup_hash(phone))

    @classmethod
    def visible_to(cls, user: StaffUser):
        """Members a staff user may list: all for admins; a manager those who joined at or visited their stations."""
        query = cls.select(cls, District).join(District).order_by(cls.created_at.desc(), cls.id.desc())
        if user.role == "admin":
            return query
        if user.role == "manager":
            stations = Station.select(Station.code).join(StationManager).where(StationManager.user == user.id)
            visited = CheckIn.select(CheckIn.member_no).where(CheckIn.station_code.in_(stations),
                                                               CheckIn.member_no.is_null(False))
            return query.where(cls.join_station.in_(stations) | cls.member_no.in_(visited))
        return query.where(peewee.SQL("1 = 0"))

    @classmethod
    def search(cls, query, protector: DataProtector, text: str):
        """Narrow a member query by member number, mobile number (exact) or part of a name."""
        text = text.strip()[:40]
        if not text:
            return query
        if cards.MEMBER_NO_RE.match(text.upper()):
            return query.where(cls.member_no == text.upper())
        digits = text.replace(" ", "").replace("-", "")
        if digits.lstrip("+").isdigit() and len(digits) >= 11:
            return query.where(cls.phone_hash == protector.lookup_hash(digits))
        return query.where(cls.name.contains(text))

    @classmethod
    def counts(cls, federation_id: int) -> dict[str, int]:
        """Members of a federation by status (what federation users see instead of a list)."""
        rows = (cls.select(cls.status, peewee.fn.COUNT(cls.id).alias("n")).join(District)
                .where(District.federation == federation_id).group_by(cls.status))
        found = {row.status: row.n for row in rows}
        return {status: found.get(status, 0) for status in STATUSES}

    @classmethod
    def consent_counts(cls) -> dict[int | None, int]:
        """How many members agreed to each consent version (None: joined before consent was recorded)."""
        return {row.consent_version: row.n for row in cls.select(
            cls.consent_version, peewee.fn.COUNT(cls.id).alias("n")).group_by(cls.consent_version)}

    def masked_phone(self, protector: DataProtector) -> str:
        return "—" if self.erased_at is not None else mask_mobile(protector.decrypt(self.phone_enc))

    def card_text(self, protector: DataProtector) -> str | None:
        """The current card, when the member has one."""
        return protector.decrypt(self.card_enc) if self.card_enc and self.status == "active" else None


def ensure_signing_key(protector: DataProtector, now: datetime) -> CardKey:
    """The current signing key, made the first time central starts."""
    return CardKey.signer() or CardKey.rotate(protector, now)


def join(protector: DataProtector, *, name: str, phone: str, platform: str, district: District,
         station_code: str | None, now: datetime, card_days: int, consent: ConsentText,
         worker_group: str | None = None) -> tuple[Member, str]:
    """A new member and the secret token of their card page; active at once unless the federation approves first.

    `consent` is the consent text the joiner was shown and agreed to: its version and hash are kept."""
    if Member.by_phone(protector, phone) is not None:
        raise MembershipError("already_member")
    federation = Federation.get_by_id(district.federation_id)
    token = secrets.token_urlsafe(24)
    member_no = cards.new_member_no()
    while Member.select().where(Member.member_no == member_no).exists():
        member_no = cards.new_member_no()
    member = Member.create(member_no=member_no, name=name, phone_enc=protector.encrypt(phone),
                           phone_hash=protector.lookup_hash(phone), platform=platform, district=district,
                           worker_group=worker_group or PLATFORM_GROUPS.get(platform, "other"),
                           join_station=station_code, created_at=now, page_token_hash=Member.token_hash(token),
                           consent_version=consent.version, consent_hash=consent.text_hash, consent_at=now)
    audit("member.join", "member", member.member_no, actor=None, station=station_code,
          consent_version=consent.version)
    if not federation.members_need_approval:
        activate(protector, member, now, card_days)
    return member, token


def issue_card(protector: DataProtector, member: Member, now: datetime, card_days: int) -> str:
    """Sign a new card for the member with the current key (the caller saves the member)."""
    key = CardKey.signer()
    if key is None:
        raise MembershipError("no_card_key")
    issued = now.replace(second=0, microsecond=0)
    if member.card_issued_at is not None and issued <= member.card_issued_at:
        # Cards carry minutes: a replacement made within the minute of the card it replaces is dated
        # one minute later, so "issued before the replacement" still tells the old card from the new.
        issued = member.card_issued_at + timedelta(minutes=1)
    expires = issued + timedelta(days=card_days)
    text = key.sign(protector, member.member_no, issued, expires)
    member.card_kid, member.card_issued_at, member.card_expires_at = key.kid, issued, expires
    member.card_enc = protector.encrypt(text)
    return text


def activate(protector: DataProtector, member: Member, now: datetime, card_days: int) -> None:
    """Approve a pending member: active, with a card."""
    if member.status != "pending":
        raise MembershipError("not_pending")
    member.status, member.approved_at = "active", now
    issue_card(protector, member, now, card_days)
    member.save()
    audit("member.approve", "member", member.member_no)


def revoke(member: Member, now: datetime, reason: str) -> None:
    """Revoke a member: every card of theirs is refused at every kiosk from the next trust update."""
    if member.status == "revoked":
        raise MembershipError("already_revoked")
    member.status, member.revoked_at = "revoked", now
    member.revocation_until = max(filter(None, [member.card_expires_at, member.revocation_until]), default=None)
    member.save()
    audit("member.revoke", "member", member.member_no, reason=reason)


def reissue(protector: DataProtector, member: Member, now: datetime, card_days: int) -> str:
    """A replacement card and a new card-page link; the old card and link stop working."""
    if member.status != "active":
        raise MembershipError("not_active")
    old_expiry = member.card_expires_at
    issue_card(protector, member, now, card_days)
    # The new card is issued on this minute; everything issued before it is revoked.
    member.replaced_before = member.card_issued_at
    member.revocation_until = max(filter(None, [old_expiry, member.revocation_until]), default=None)
    token = secrets.token_urlsafe(24)
    member.page_token_hash = Member.token_hash(token)
    member.save()
    audit("member.reissue", "member", member.member_no, kid=member.card_kid)
    return token


def recoverable(protector: DataProtector, member_no: str, last4: str) -> Member | None:
    """The member a lost card link may be given back to: the number and the phone's last four digits match,
    and the membership stands (pending or active; never a member who was revoked, left or was erased)."""
    member = Member.get_or_none(Member.member_no == member_no)
    if member is None or member.erased_at is not None or member.status not in ("pending", "active"):
        return None
    phone = protector.decrypt(member.phone_enc)
    return member if hmac.compare_digest(phone[-4:].encode(), last4.encode()) else None


def recover_link(member: Member) -> str:
    """A new card-page link for a member who lost theirs (the card itself stays valid); the old link stops
    opening the page, so a lost phone or a forwarded link shows nothing more. Audited."""
    token = secrets.token_urlsafe(24)
    member.page_token_hash = Member.token_hash(token)
    member.save()
    audit("member.card_link_recover", "member", member.member_no, actor=None, by="member_no_and_last4")
    return token


def revocation_entries(now: datetime) -> list[tuple[str, datetime | None]]:
    """Every revocation kiosks must hold: revoked members and replaced cards that have not expired yet."""
    rows = (Member.select(Member.member_no, Member.status, Member.replaced_before)
            .where(Member.revocation_until > now, (Member.status == "revoked") | Member.replaced_before.is_null(False))
            .order_by(Member.member_no))
    return [(m.member_no, None if m.status == "revoked" else m.replaced_before) for m in rows]
