"""The kiosk's part in station operations: charge starts, the station's sessions, announcements.

A rider's start goes straight from the kiosk to the charger controller as a `slot_start` command (no
round trip through central, so charging works while central is unreachable); the controller's reply
settles the kiosk's ChargeStart row. The kiosk hears the station's session reports and keeps its
own copy, to show a rider their session and to refuse a second one before asking the controller.
Central's `announce` commands are stored and shown on the home screen until their end time.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import peewee

from devices.protocol import availability, commands, sessions, utcnow
from devices.protocol.events import new_event_id
from kiosk.listener import stored
from kiosk.models import BaseModel
from waystation.db import UTCDateTimeField

log = logging.getLogger(__name__)
CHARGER_DEVICE = "charger"


class ChargeStart(BaseModel):
    """A rider's request at this kiosk to start a slot, and the controller's answer."""

    command_id = peewee.CharField(unique=True, max_length=32)
    slot = peewee.IntegerField()
    member_no = peewee.CharField(index=True)
    requested_at = UTCDateTimeField()
    status = peewee.CharField(default="pending")  # pending, accepted, rejected, timed_out
    reason = peewee.CharField(null=True)
    answered_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "charge_start"

    @classmethod
    def current(cls, command_id: str, timeout_s: float) -> ChargeStart | None:
        """A start request, settled as timed out when its reply is overdue."""
        row = cls.get_or_none(cls.command_id == command_id)
        if row is not None and row.status == "pending" and utcnow() - row.requested_at > timedelta(seconds=timeout_s):
            cls.update(status="timed_out", answered_at=utcnow()).where(
                cls.id == row.id, cls.status == "pending").execute()
            row = cls.get_by_id(row.id)
        return row

    @classmethod
    def pending_for(cls, member_no: str, timeout_s: float) -> ChargeStart | None:
        """The member's start request still waiting for its answer, if any."""
        since = utcnow() - timedelta(seconds=timeout_s)
        return cls.select().where(cls.member_no == member_no, cls.status == "pending",
                                  cls.requested_at >= since).first()


class StationSession(BaseModel):
    """A charge session at this station, as its controller reported it."""

    session_id = peewee.CharField(unique=True, max_length=32)
    slot = peewee.IntegerField()
    member_no = peewee.CharField(null=True, index=True)
    started_at = UTCDateTimeField()
    ended_at = UTCDateTimeField(null=True)
    energy_wh = peewee.IntegerField(default=0)
    power_w = peewee.IntegerField(default=0)
    end_reason = peewee.CharField(null=True)
    reported_at = UTCDateTimeField()

    class Meta:
        table_name = "station_session"

    @classmethod
    def open_for(cls, member_no: str) -> StationSession | None:
        """The member's session that is still charging here."""
        return cls.select().where(cls.member_no == member_no, cls.ended_at.is_null()).first()

    @classmethod
    def latest_for(cls, member_no: str) -> StationSession | None:
        """The member's newest session here (open or ended)."""
        return cls.select().where(cls.member_no == member_no).order_by(cls.started_at.desc()).first()


class Announcement(BaseModel):
    """A notice central asked this kiosk to show until a time."""

    command_id = peewee.CharField(unique=True, max_length=32)
    text_zh = peewee.CharField(max_length=300)
    text_en = peewee.CharField(max_length=300)
    until = UTCDateTimeField(index=True)
    received_at = UTCDateTimeField()

    @classmethod
    def current(cls, now: datetime | None = None) -> Announcement | None:
        """The newest notice still to be shown."""
        return (cls.select().where(cls.until > (now or utcnow()))
                .order_by(cls.received_at.desc(), cls.id.desc()).first())


def on_session(message: sessions.ChargeSession) -> None:
    """Keep the station's session as reported; an ended one never starts again."""
    values = {"energy_wh": message.energy_wh, "power_w": message.power_w, "reported_at": message.ts}
    (StationSession.insert(session_id=message.session_id, slot=message.slot, member_no=message.member_no,
                           started_at=message.started_at, **values)
     .on_conflict_ignore().execute())
    if message.end_reason:
        values.update(ended_at=message.ts, end_reason=message.end_reason.value, power_w=0)
    (StationSession.update(values)
     .where(StationSession.session_id == message.session_id, StationSession.ended_at.is_null(),
            StationSession.reported_at <= message.ts).execute())


def on_controller_gone() -> int:
    """The controller's Last Will: its sessions are over as far as this kiosk can tell."""
    return (StationSession.update(ended_at=utcnow(), end_reason=sessions.CONTROLLER_LOST, power_w=0)
            .where(StationSession.ended_at.is_null()).execute())


def on_start_reply(reply: commands.CommandReply) -> bool:
    """The controller answered a start request of this kiosk; False for replies to other commands."""
    return bool(ChargeStart.update(status="accepted" if reply.accepted else "rejected", reason=reply.reason,
                                   answered_at=utcnow())
                .where(ChargeStart.command_id == reply.command_id, ChargeStart.status == "pending").execute())


def on_announce(command: commands.Command) -> str | None:
    """Store an announcement; None when accepted, else why not."""
    until = datetime.fromisoformat(command.args["until"][:-1] + "+00:00")
    if until <= utcnow():
        return "expired"
    (Announcement.insert(command_id=command.command_id, text_zh=command.args["text"]["zh"],
                         text_en=command.args["text"]["en"], until=until, received_at=utcnow())
     .on_conflict_ignore().execute())
    return None


class StationOperations:
    """The kiosk's MQTT side of charging and commands: what the web app calls to start a slot."""

    def __init__(self, link, station_id: str, device_id: str, *, limit_s: int = 4 * 3600):
        self.link = link
        self.station_id = station_id
        self.device_id = device_id
        self.limit_s = limit_s

    @property
    def connected(self) -> bool:
        return self.link.connected.is_set()

    def subscribe(self) -> None:
        """Register the subscriptions (kept across reconnects by the link)."""
        s = self.station_id
        self.link.subscribe(sessions.PATTERN.filter_with(station=s), self._route(sessions.parse, on_session))
        self.link.subscribe(commands.REPLY_PATTERN.filter_with(station=s),
                            self._route(commands.parse_reply, on_start_reply))
        self.link.subscribe(availability.PATTERN.filter_with(station=s), self._route(availability.parse,
                                                                                     self.on_availability))
        self.link.subscribe(commands.PATTERN.format(station=s, device=self.device_id),
                            self._route(commands.parse, self.on_command))

    def _route(self, parse, handler):
        return stored(self.link, parse, handler)

    def on_availability(self, message: availability.Availability) -> None:
        if message.kind == availability.DeviceKind.CHARGER_CONTROLLER and not message.online:
            closed = on_controller_gone()
            if closed:
                log.warning("charger controller %s offline: %d sessions ended here", message.device, closed)

    def on_command(self, command: commands.Command) -> None:
        """Carry out a command to this kiosk and answer it."""
        reason = on_announce(command) if command.name == "announce" else "not_supported"
        self.link.publish(commands.CommandReply(self.station_id, self.device_id, command.command_id, reason is None,
                                                utcnow(), reason))

    def request_start(self, slot: int, member_no: str) -> ChargeStart:
        """Ask the controller to start a slot for a member; the reply settles the returned row."""
        now = utcnow()
        row = ChargeStart.create(command_id=new_event_id(), slot=slot, member_no=member_no, requested_at=now)
        self.link.publish(commands.Command(self.station_id, CHARGER_DEVICE, row.command_id, "slot_start", now,
                                           {"slot": slot, "member_no": member_no, "limit_s": self.limit_s}))
        log.info("asked the controller to start slot %d (command %s)", slot, row.command_id)
        return row

