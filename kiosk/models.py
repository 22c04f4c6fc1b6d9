"""The kiosk's own SQLite database: station state as last heard, check-ins, and the event outbox.

Every event is written here first, in the same transaction as the local change it records; the
outbox publisher sends it later. The kiosk database never holds a name or a phone number.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import peewee

from devices.protocol import events, utcnow
from devices.protocol.charger import SlotStatus
from waystation.db import SQLITE_LOCK, UTCDateTimeField, sqlite_pragmas

db = peewee.SqliteDatabase(None, lock_type=SQLITE_LOCK)


class BaseModel(peewee.Model):
    class Meta:
        database = db


class StationInfo(BaseModel):
    """This kiosk's station as central configured it and as its devices last reported it (one row)."""

    station_id = peewee.CharField(primary_key=True)
    name_zh = peewee.CharField(default="")
    name_en = peewee.CharField(default="")
    district_zh = peewee.CharField(default="")
    district_en = peewee.CharField(default="")
    capacity = peewee.IntegerField(default=0)
    charger_slots = peewee.IntegerField(default=0)
    configured_at = UTCDateTimeField(null=True)
    people_inside = peewee.IntegerField(null=True)
    occupancy_at = UTCDateTimeField(null=True)
    join_url = peewee.CharField(null=True)
    join_key = peewee.CharField(null=True)
    public_url = peewee.CharField(null=True)
    district_code = peewee.CharField(null=True)
    districts = peewee.TextField(default="[]")  # JSON: [[code, zh, en], ...] a rider may choose

    @classmethod
    def for_station(cls, station_id: str) -> StationInfo:
        """The station's row, created empty the first time."""
        info, _ = cls.get_or_create(station_id=station_id)
        return info

    @property
    def configured(self) -> bool:
        return self.configured_at is not None

    @property
    def free_seats(self) -> int | None:
        """Capacity minus people inside, never below zero; None until both are known."""
        if not self.configured or self.people_inside is None:
            return None
        return max(self.capacity - self.people_inside, 0)


class ChargerSlot(BaseModel):
    """A charger slot's latest reported state."""

    slot = peewee.IntegerField(primary_key=True)
    status = peewee.CharField()
    power_w = peewee.IntegerField(default=0)
    energy_wh = peewee.IntegerField(default=0)
    reported_at = UTCDateTimeField()

    # How the home screen counts slots for a rider: free, charging and faulted get a tile each; the
    # rest are named for what they are (a finished slot still has a bike plugged in, it is not out of
    # service), with "unknown" for a slot that has not reported.
    RIDER_BUCKETS = {SlotStatus.AVAILABLE: "free", SlotStatus.CHARGING: "charging", SlotStatus.FAULTED: "faulted",
                     SlotStatus.FINISHED: "finished", SlotStatus.UNAVAILABLE: "unavailable"}

    @classmethod
    def counts(cls, slot_count: int) -> dict[str, int]:
        """Slots by what a rider cares about: free, charging, faulted, finished, unavailable, unknown."""
        found = {s.slot: s.status for s in cls.select() if s.slot <= slot_count}
        counts = dict.fromkeys(("free", "charging", "faulted", "finished", "unavailable", "unknown"), 0)
        for slot in range(1, slot_count + 1):
            counts[cls.RIDER_BUCKETS.get(found.get(slot), "unknown")] += 1
        return counts


class CheckIn(BaseModel):
    """A rider checked in at this kiosk."""

    event_id = peewee.CharField(unique=True)
    checked_in_at = UTCDateTimeField(index=True)
    method = peewee.CharField(default="anonymous")
    member_no = peewee.CharField(null=True)


# What a confirmed outbox row keeps of its event, per kind: only what says nothing about a rider.
# Everything else (tracking codes, phone last four, the sealed contact, request answers, district and
# best time, member and voucher numbers) is erased once central confirms the event. A kind or field
# not named here is erased too; kiosk migration 8 holds the same rule for rows confirmed before it.
KEPT_WHEN_CONFIRMED = {"checkin": ("method",), "service_request": ("service",), "voucher_claim": ("provisional",),
                       "feedback": ("score", "categories")}


def erased(kind: str, data: str) -> str:
    """An outbox row's data with everything personal removed (what stays once central has it)."""
    fields = json.loads(data)
    return json.dumps({name: fields[name] for name in KEPT_WHEN_CONFIRMED.get(kind, ()) if name in fields})


class OutboxEvent(BaseModel):
    """An event on its way to central; `seq` is the station-local sequence number.

    `sent_at` is set when the broker acknowledges it (PUBACK), `confirmed_at` when central's receipt
    names it. Only a confirmed event is synced: one the broker acknowledged but central never
    confirmed is sent again. A confirmed row keeps only its non-personal fields (`erased`).
    """

    seq = peewee.AutoField()
    event_id = peewee.CharField(unique=True)
    kind = peewee.CharField()
    occurred_at = UTCDateTimeField()
    data = peewee.TextField()
    sent_at = UTCDateTimeField(null=True)
    confirmed_at = UTCDateTimeField(null=True, index=True)
    attempts = peewee.IntegerField(default=0)

    @classmethod
    def add(cls, body, occurred_at: datetime) -> OutboxEvent:
        """Queue an event; call inside the transaction that makes the change it records."""
        return cls.create(event_id=events.new_event_id(), kind=body.KIND, occurred_at=occurred_at,
                          data=json.dumps(body.to_fields()))

    @classmethod
    def unsent(cls, limit: int):
        """The oldest events the broker has not acknowledged yet, in sequence order."""
        return (cls.select().where(cls.confirmed_at.is_null(), cls.sent_at.is_null())
                .order_by(cls.seq).limit(limit))

    @classmethod
    def unconfirmed_since(cls, sent_before: datetime, limit: int):
        """The oldest events the broker took before `sent_before` that central has not confirmed."""
        return (cls.select().where(cls.confirmed_at.is_null(), cls.sent_at < sent_before)
                .order_by(cls.seq).limit(limit))

    @classmethod
    def pending_count(cls) -> int:
        """Events central has not confirmed: what the "not synced" badge shows."""
        return cls.select().where(cls.confirmed_at.is_null()).count()

    @classmethod
    def overdue_count(cls, occurred_before: datetime) -> int:
        """Events from before `occurred_before` central has still not confirmed: the outbox is stuck if any."""
        return cls.select().where(cls.confirmed_at.is_null(), cls.occurred_at < occurred_before).count()

    @classmethod
    def mark_sent(cls, seqs, sent_at: datetime) -> int:
        """Record the broker's acknowledgement of these events."""
        return cls.update(sent_at=sent_at, attempts=cls.attempts + 1).where(cls.seq.in_(list(seqs))).execute()

    @classmethod
    def mark_confirmed(cls, event_ids, confirmed_at: datetime) -> int:
        """Record central's receipt for these events and erase what they said about the rider (ids this
        kiosk never sent are ignored): a confirmed event is never sent again, so nothing personal need stay."""
        with db.atomic():
            rows = list(cls.select(cls.seq, cls.kind, cls.data)
                        .where(cls.event_id.in_(list(event_ids)), cls.confirmed_at.is_null()))
            for row in rows:
                (cls.update(confirmed_at=confirmed_at, data=erased(row.kind, row.data))
                 .where(cls.seq == row.seq).execute())
        return len(rows)

    def to_message(self, station_id: str) -> events.StationEvent:
        """The wire message for this row (the body is checked again on the way out)."""
        body = events.KINDS[self.kind].from_fields(json.loads(self.data))
        return events.StationEvent(station_id, self.event_id, self.seq, self.occurred_at, body)


class TrustedKey(BaseModel):
    """A key central trusts this kiosk with: card-signing public keys, and the sealing key."""

    kid = peewee.CharField(primary_key=True)  # a card key id, or "sealing"
    public_key = peewee.CharField()
    received_at = UTCDateTimeField()


class Revocation(BaseModel):
    """A revoked card: every card of the member (`before` empty) or those issued before `before`."""

    member_no = peewee.CharField(primary_key=True)
    shard = peewee.CharField(index=True)
    before = UTCDateTimeField(null=True)

    @classmethod
    def covers(cls, member_no: str, issued_at: datetime) -> bool:
        """Whether a card of this member issued at this moment is revoked."""
        row = cls.get_or_none(cls.member_no == member_no)
        return row is not None and (row.before is None or issued_at < row.before)


class CarePolicy(BaseModel):
    """This station's care-day voucher policy as central last sent it (one row)."""

    station_id = peewee.CharField(primary_key=True)
    care_day = peewee.IntegerField()
    quota = peewee.IntegerField()
    received_at = UTCDateTimeField()


class VoucherClaim(BaseModel):
    """A voucher claimed at this kiosk and what central decided (docs/vouchers.md).

    `status`: waiting (for central's answer), confirmed (`text` is central's signed voucher),
    provisional (central did not answer in time: the rider got a provisional voucher), refused, or
    flagged (a provisional voucher central did not confirm).
    """

    voucher_no = peewee.CharField(unique=True)
    event_id = peewee.CharField(unique=True)
    member_no = peewee.CharField(index=True)
    month = peewee.CharField()
    claimed_at = UTCDateTimeField()
    status = peewee.CharField()
    reason = peewee.CharField(null=True)
    text = peewee.CharField(null=True)

    HOLDING = ("waiting", "confirmed", "provisional")

    @classmethod
    def of_member(cls, member_no: str, month: str) -> VoucherClaim | None:
        """This member's latest claim here this month."""
        return (cls.select().where(cls.member_no == member_no, cls.month == month)
                .order_by(cls.id.desc()).first())

    @classmethod
    def issued(cls, month: str) -> int:
        """Vouchers this kiosk has given out (or is giving out) this month."""
        return cls.select().where(cls.month == month, cls.status.in_(cls.HOLDING)).count()


class ScheduleItem(BaseModel):
    """One event occurrence at this station, from the schedule central last sent."""

    event_id = peewee.IntegerField()
    kind = peewee.CharField()
    title_zh = peewee.CharField()
    title_en = peewee.CharField()
    starts = UTCDateTimeField(index=True)
    ends = UTCDateTimeField()

    @classmethod
    def between(cls, start: datetime, end: datetime):
        """Occurrences that have not ended by `start` and begin before `end`, in time order."""
        return cls.select().where(cls.ends > start, cls.starts < end).order_by(cls.starts, cls.event_id)


class OpenSurvey(BaseModel):
    """A survey this kiosk offers, as central last sent the station's list (questions as JSON)."""

    survey_id = peewee.IntegerField(primary_key=True)
    version = peewee.IntegerField()
    title_zh = peewee.CharField()
    title_en = peewee.CharField()
    ends = UTCDateTimeField()
    anonymous = peewee.BooleanField()
    questions = peewee.TextField()  # JSON: the wire's question objects

    class Meta:
        table_name = "open_survey"

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    @classmethod
    def running(cls, survey_id: int, now: datetime) -> OpenSurvey | None:
        """The survey if this kiosk offers it now (central's list holds it and it has not ended)."""
        return cls.get_or_none(cls.survey_id == survey_id, cls.ends >= now)


class SurveyInvite(BaseModel):
    """Central's invitation of a member to a survey after a check-in here; shown at most once a day,
    answered at most once (the answer itself goes out as an outbox event)."""

    checkin_event_id = peewee.CharField(index=True)
    member_no = peewee.CharField(index=True)
    survey_id = peewee.IntegerField()
    version = peewee.IntegerField()
    link = peewee.CharField(null=True)
    received_at = UTCDateTimeField()
    shown_on = peewee.DateField(null=True)  # the local day it was last shown
    answered_at = UTCDateTimeField(null=True)
    response_id = peewee.CharField(null=True, unique=True)

    class Meta:
        table_name = "survey_invite"
        indexes = ((("checkin_event_id", "survey_id"), True),)


MODELS = [StationInfo, ChargerSlot, CheckIn, OutboxEvent, TrustedKey, Revocation, CarePolicy, VoucherClaim,
          ScheduleItem, OpenSurvey, SurveyInvite]



def visit_checkin(member_no: str, window_minutes: float) -> CheckIn | None:
    """This member's check-in here within the visit window, if any: a card scanned again during one
    visit is that visit's check-in, not a new one."""
    since = utcnow() - timedelta(minutes=window_minutes)
    return (CheckIn.select().where(CheckIn.member_no == member_no, CheckIn.checked_in_at >= since)
            .order_by(CheckIn.id.desc()).first())


def record_checkin(method: str = "anonymous", member_no: str | None = None) -> CheckIn:
    """Check a rider in: the local row and its outbox event in one transaction."""
    now = utcnow()
    body = events.CheckIn(method, member_no)
    with db.atomic():
        event = OutboxEvent.add(body, now)
        return CheckIn.create(event_id=event.event_id, checked_in_at=now, method=method, member_no=member_no)


def database_path(settings) -> str:
    """This kiosk's SQLite file."""
    return settings.kiosk.database_path.format(station=settings.kiosk.station_id)


def init_app(app, settings) -> None:
    """Point the models at this kiosk's database and open a connection per request."""
    path = database_path(settings)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db.init(path, pragmas=sqlite_pragmas(settings.database.busy_timeout_ms), check_same_thread=False)

    @app.before_request
    def _connect():
        db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()
