"""Charge sessions and slot history at central, stored from the controllers' messages.

A session is stored once under its id (the controller's). An ended session is never moved back: a
repeated or late start or progress message changes nothing, and a second end keeps the first end's
reason. A session whose controller went silent is closed by central as `controller_lost`, with the
energy last reported; if the controller comes back and reports the session again, the record keeps
`controller_lost` and its end time but takes the higher energy (the meter's figure is the better one).
"""

from __future__ import annotations

import logging
from datetime import datetime

import peewee

from devices.protocol import sessions
from station_admin.core.models import BaseModel
from waystation.db import UTCDateTimeField

log = logging.getLogger(__name__)


class ChargeSession(BaseModel):
    """One charge on one slot: who (member number, or none for a bike plugged in without a scan), when, how much."""

    session_id = peewee.CharField(unique=True, max_length=32)
    station_code = peewee.CharField()
    slot = peewee.IntegerField()
    member_no = peewee.CharField(null=True, index=True)
    started_at = UTCDateTimeField()
    ended_at = UTCDateTimeField(null=True)
    energy_wh = peewee.IntegerField(default=0)
    power_w = peewee.IntegerField(default=0)
    limit_s = peewee.IntegerField()
    end_reason = peewee.CharField(null=True)
    reported_at = UTCDateTimeField()

    class Meta:
        table_name = "charge_session"
        indexes = ((("station_code", "started_at"), False),)

    @classmethod
    def open_at(cls, station: str):
        """Sessions of a station that have not ended."""
        return cls.select().where(cls.station_code == station, cls.ended_at.is_null()).order_by(cls.slot)

    @classmethod
    def open_for_member(cls, member_no: str):
        """A member's sessions that have not ended, anywhere."""
        return cls.select().where(cls.member_no == member_no, cls.ended_at.is_null()).order_by(cls.started_at)

    @classmethod
    def overlapping(cls, codes: list[str], start: datetime, end: datetime):
        """Sessions of these stations that were charging at some moment of [start, end)."""
        return cls.select().where(cls.station_code.in_(codes), cls.started_at < end,
                                  cls.ended_at.is_null() | (cls.ended_at > start))

    @classmethod
    def recent(cls, codes: list[str], limit: int = 20):
        """The newest sessions at these stations."""
        return (cls.select().where(cls.station_code.in_(codes))
                .order_by(cls.started_at.desc(), cls.id.desc()).limit(limit))


class ChargerSlotEvent(BaseModel):
    """Every state change of a slot (ChargerSlotState holds the latest): the slot's history."""

    station_code = peewee.CharField()
    slot = peewee.IntegerField()
    status = peewee.CharField()
    fault = peewee.CharField(null=True)
    reported_at = UTCDateTimeField()

    class Meta:
        table_name = "charger_slot_event"
        indexes = ((("station_code", "slot", "reported_at"), True),)

    @classmethod
    def faults_by_station(cls, codes: list[str], start: datetime, end: datetime) -> dict[str, int]:
        """How many times slots of these stations turned faulted in [start, end)."""
        query = (cls.select(cls.station_code, peewee.fn.COUNT(cls.id).alias("n"))
                 .where(cls.station_code.in_(codes), cls.status == "faulted", cls.reported_at >= start,
                        cls.reported_at < end)
                 .group_by(cls.station_code))
        return {row.station_code: row.n for row in query}

    @classmethod
    def history(cls, station: str, slot: int):
        """A slot's state changes, oldest first."""
        return (cls.select().where(cls.station_code == station, cls.slot == slot)
                .order_by(cls.reported_at, cls.id))


def on_session(message: sessions.ChargeSession) -> ChargeSession | None:
    """Store a session report once; returns the session when this report started it (for the member check)."""
    new = ChargeSession.get_or_none(ChargeSession.session_id == message.session_id) is None
    (ChargeSession.insert(
        session_id=message.session_id, station_code=message.station, slot=message.slot, member_no=message.member_no,
        started_at=message.started_at, energy_wh=message.energy_wh, power_w=message.power_w,
        limit_s=message.limit_s, reported_at=message.ts,
        ended_at=message.ts if message.end_reason else None,
        end_reason=message.end_reason.value if message.end_reason else None)
     .on_conflict_ignore().execute())
    row = ChargeSession.get(ChargeSession.session_id == message.session_id)
    if row.ended_at is None:
        values = {"energy_wh": message.energy_wh, "power_w": message.power_w, "reported_at": message.ts}
        if message.end_reason:
            values.update(ended_at=message.ts, end_reason=message.end_reason.value, power_w=0)
        (ChargeSession.update(values)
         .where(ChargeSession.id == row.id, ChargeSession.ended_at.is_null(), ChargeSession.reported_at <= message.ts)
         .execute())
    elif row.end_reason == sessions.CONTROLLER_LOST and message.energy_wh > row.energy_wh:
        ChargeSession.update(energy_wh=message.energy_wh).where(ChargeSession.id == row.id).execute()
        log.info("session %s (closed as controller_lost) now has %d Wh as its controller reported",
                 row.session_id, message.energy_wh)
    return row if new and row.member_no and row.ended_at is None else None


def close_lost_sessions(station: str, why: str) -> int:
    """Close every open session of a station whose controller went silent; how many were closed."""
    closed = 0
    for row in ChargeSession.open_at(station):
        closed += (ChargeSession.update(ended_at=row.reported_at, end_reason=sessions.CONTROLLER_LOST, power_w=0)
                   .where(ChargeSession.id == row.id, ChargeSession.ended_at.is_null()).execute())
    if closed:
        log.warning("closed %d sessions at %s as controller_lost (%s)", closed, station, why)
    return closed


def close_lost_sessions_at(stations: dict[str, str]) -> int:
    """Close, in one UPDATE, the open sessions of every station whose controller went silent ({station: why})."""
    lost = list(ChargeSession.select(ChargeSession.id, ChargeSession.station_code)
                .where(ChargeSession.ended_at.is_null(), ChargeSession.station_code.in_(list(stations))).tuples())
    if not lost:
        return 0
    closed = (ChargeSession.update(ended_at=ChargeSession.reported_at, end_reason=sessions.CONTROLLER_LOST, power_w=0)
              .where(ChargeSession.id.in_([i for i, _ in lost]), ChargeSession.ended_at.is_null()).execute())
    for station in sorted({code for _, code in lost}):
        log.warning("closed sessions at %s as controller_lost (%s)", station, stations[station])
    return closed


def other_open_session(row: ChargeSession) -> ChargeSession | None:
    """Another open session of the same member, started before this one (one active session per member)."""
    return (ChargeSession.open_for_member(row.member_no)
            .where(ChargeSession.id != row.id).first())


def session_minutes(row: ChargeSession, now: datetime) -> int:
    """How long a session ran (or has run so far), in whole minutes."""
    return int(((row.ended_at or now) - row.started_at).total_seconds() // 60)
