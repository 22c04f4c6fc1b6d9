"""The central database: organisations, stations and their live state, staff, and the events stations send.

SQLite by default, PostgreSQL when database.url names one; the same models run on both. Station
codes (the ids on the wire) are stored as plain strings in the event and live-state tables, so an
event from a station central does not know yet is kept, not lost.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import peewee
from werkzeug.security import check_password_hash, generate_password_hash

from devices.protocol.charger import OFFLINE, SlotStatus
from waystation.db import UTCDateTimeField

# A slot no report has named yet: central knows nothing about it (shown as unknown, not offline).
UNKNOWN = "unknown"

db = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    class Meta:
        database = db


class Federation(BaseModel):
    """A city or provincial union federation: the top of the organisation tree."""

    code = peewee.CharField(unique=True)
    name_zh = peewee.CharField()
    name_en = peewee.CharField()
    # Whether a station manager approves new members before their card works (else active at once).
    members_need_approval = peewee.BooleanField(default=False)


class District(BaseModel):
    """A district union federation under a federation."""

    code = peewee.CharField(unique=True)
    federation = peewee.ForeignKeyField(Federation, backref="districts")
    name_zh = peewee.CharField()
    name_en = peewee.CharField()


class Station(BaseModel):
    """A rest station; `code` is its id on the wire and in the kiosk's settings."""

    code = peewee.CharField(unique=True)
    district = peewee.ForeignKeyField(District, backref="stations")
    name_zh = peewee.CharField(index=True)  # the board's order by name (migration 23)
    name_en = peewee.CharField(index=True)
    address = peewee.CharField(default="")
    latitude = peewee.DoubleField(null=True)   # WGS84
    longitude = peewee.DoubleField(null=True)  # WGS84
    capacity = peewee.IntegerField()
    charger_slots = peewee.IntegerField(default=0)
    # The station directory (station_admin.community.opening): services offered (codes, comma-separated),
    # open around the clock, a mobile station (a bus that reports where it parks each day).
    services = peewee.CharField(default="")
    always_open = peewee.BooleanField(default=False)
    mobile = peewee.BooleanField(default=False)
    # When the station closed for good (None while open). Closing keeps the row and all its history;
    # the dashboard and the API leave closed stations out.
    closed_at = UTCDateTimeField(null=True)

    class Meta:
        indexes = ((("district", "code"), False),)  # the board's default order, a page at a time

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    @classmethod
    def visible_to(cls, user: StaffUser):
        """The stations a staff user may see, by role and scope, in a stable order."""
        query = cls.select(cls, District).join(District).order_by(District.code, cls.code)
        if user.role == "admin":
            return query
        if user.role == "federation":
            return query.where(District.federation == user.federation_id)
        if user.role == "manager":
            return query.where(cls.id.in_(StationManager.select(StationManager.station).where(
                StationManager.user == user.id)))
        return query.where(peewee.SQL("1 = 0"))


@functools.cache
def _dummy_hash() -> str:
    """A password hash of nothing anyone knows, made like real ones, to check unknown names against."""
    return generate_password_hash(secrets.token_urlsafe(16))


class StaffUser(BaseModel):
    """A person who signs in to the central app, with a role and the scope it applies to."""

    # "shop": a partner shop's staff, who may only redeem care-day vouchers (/m/redeem).
    ROLES = ("admin", "federation", "caseworker", "manager", "shop")

    username = peewee.CharField(unique=True)
    display_name = peewee.CharField()
    password_hash = peewee.CharField()
    role = peewee.CharField()
    federation = peewee.ForeignKeyField(Federation, null=True)
    district = peewee.ForeignKeyField(District, null=True)
    active = peewee.BooleanField(default=True)
    # Raised to end every open session of this user at once ("sign out everywhere"); a session
    # remembers the value it signed in with.
    session_epoch = peewee.IntegerField(default=0)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        # An API token's own account has no password (an empty hash) and never signs in.
        return self.active and bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """Make every session this user has open stop working (their next request asks them to sign in)."""
        type(self).update(session_epoch=type(self).session_epoch + 1).where(type(self).id == self.id).execute()

    @property
    def is_token_account(self) -> bool:
        """Whether this account exists only to carry an API token's role and scope (no sign-in)."""
        return not self.password_hash

    @classmethod
    def authenticate(cls, username: str, password: str) -> StaffUser | None:
        """The active user with this name and password, or None, in the same time whether the name exists or not."""
        user = cls.get_or_none(cls.username == username)
        if user is None or not user.password_hash:
            # Hash anyway, so that how long a refusal takes does not tell which names exist.
            check_password_hash(_dummy_hash(), password)
            return None
        return user if user.check_password(password) else None


class StationManager(BaseModel):
    """Which stations a station manager runs."""

    user = peewee.ForeignKeyField(StaffUser, backref="managed", on_delete="CASCADE")
    station = peewee.ForeignKeyField(Station, on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "station"), True),)


class ApiToken(BaseModel):
    """A bearer token for the read-only API; only its hash is stored."""

    # How stale `last_used_at` may get before a request writes it again (not one write per call).
    LAST_USED_RESOLUTION_S = 60

    user = peewee.ForeignKeyField(StaffUser, backref="tokens", on_delete="CASCADE")
    name = peewee.CharField()
    token_hash = peewee.CharField(unique=True)
    created_at = UTCDateTimeField()
    last_used_at = UTCDateTimeField(null=True)
    revoked_at = UTCDateTimeField(null=True)

    @staticmethod
    def _hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(cls, user: StaffUser, name: str, now: datetime, token: str | None = None) -> str:
        """Create a token for `user` and return it (the only time it is seen in clear)."""
        token = token or "wst_" + secrets.token_urlsafe(32)
        cls.create(user=user, name=name, token_hash=cls._hash(token), created_at=now)
        return token

    @classmethod
    def user_for(cls, token: str, now: datetime | None = None) -> StaffUser | None:
        """The active user a presented, unrevoked token belongs to, or None; notes when it was last used."""
        row = (cls.select(cls, StaffUser).join(StaffUser)
               .where(cls.token_hash == cls._hash(token), cls.revoked_at.is_null(),
                      StaffUser.active == True)  # noqa: E712
               .first())
        if row is None:
            return None
        if now is not None and (row.last_used_at is None
                                or (now - row.last_used_at).total_seconds() > cls.LAST_USED_RESOLUTION_S):
            cls.update(last_used_at=now).where(cls.id == row.id).execute()
        return row.user


class StationEvent(BaseModel):
    """Every kiosk event as it arrived, once: the raw usage log."""

    event_id = peewee.CharField(unique=True, max_length=32)
    station_code = peewee.CharField(index=True)
    seq = peewee.BigIntegerField()
    kind = peewee.CharField()
    occurred_at = UTCDateTimeField()  # the kiosk's time, or central's receive time when that was implausible
    received_at = UTCDateTimeField()
    data = peewee.TextField()
    # Set only when the kiosk's time was out of bounds: "future" or "past", and the time as it was reported.
    ts_flag = peewee.CharField(null=True)
    device_ts = UTCDateTimeField(null=True)


class CheckIn(BaseModel):
    """A check-in at a station (anonymous, or by member card).

    Written only for events StationEvent's unique index has just taken as new, in the same
    transaction; its own unique index on event_id (migration 11) makes a second row impossible too.
    """

    event_id = peewee.CharField(max_length=32, unique=True)
    station_code = peewee.CharField()
    occurred_at = UTCDateTimeField()
    method = peewee.CharField()
    member_no = peewee.CharField(null=True)

    class Meta:
        # The usage log pages newest first across stations: (occurred_at, id) is its keyset order.
        indexes = ((("station_code", "occurred_at"), False), (("occurred_at", "id"), False))

    @classmethod
    def counts_since(cls, codes: list[str], since: datetime) -> dict[str, int]:
        """Check-ins per station since a moment (e.g. local midnight)."""
        query = (cls.select(cls.station_code, peewee.fn.COUNT(cls.id).alias("n"))
                 .where(cls.station_code.in_(codes), cls.occurred_at >= since)
                 .group_by(cls.station_code))
        return {row.station_code: row.n for row in query}


    @classmethod
    def newest_first(cls, codes: list[str], start: datetime, end: datetime,
                     before: tuple[datetime, int] | None, limit: int) -> list[CheckIn]:
        """A page of the usage log: check-ins in [start, end) older than the keyset `before`, newest first."""
        query = cls.select().where(cls.occurred_at >= start)
        if before is None or before[0] >= end:
            query = query.where(cls.occurred_at < end)
        if before is not None:
            moment = cls.occurred_at.db_value(before[0])
            # One plain upper bound lets the index seek straight to the cursor (SQLite uses one bound
            # per side); the row value then breaks ties on id.
            if before[0] < end:
                query = query.where(cls.occurred_at <= moment)
            query = query.where(peewee.Tuple(cls.occurred_at, cls.id) < peewee.Tuple(moment, before[1]))
        if len(codes) == 1:
            query = query.where(cls.station_code == codes[0])  # (station_code, occurred_at) index
        else:
            # Many stations: walk the (occurred_at, id) index newest first and keep the scope's rows;
            # `|| ''` keeps the planner off the station index, which would sort the whole range.
            query = query.where(cls.station_code.concat("").in_(codes))
        return list(query.order_by(cls.occurred_at.desc(), cls.id.desc()).limit(limit))


class StationLive(BaseModel):
    """A station's latest occupancy as its people counter reported it."""

    station_code = peewee.CharField(primary_key=True)
    people_inside = peewee.IntegerField()
    entered_today = peewee.IntegerField(default=0)
    occupancy_at = UTCDateTimeField()  # the counter's time (bounded)
    received_at = UTCDateTimeField(null=True)  # central's receive time: what orders readings


class DeviceState(BaseModel):
    """A kiosk's or device's availability and last heartbeat."""

    station_code = peewee.CharField()
    device = peewee.CharField()
    kind = peewee.CharField()
    online = peewee.BooleanField()
    changed_at = UTCDateTimeField()
    heartbeat_at = UTCDateTimeField(null=True)  # central's receive time of the last heartbeat: liveness
    outbox_pending = peewee.IntegerField(default=0)
    reported_at = UTCDateTimeField(null=True)  # the last heartbeat's own `ts`, as the device reported it
    clock_offset_s = peewee.DoubleField(null=True)  # device clock minus central's, at the last heartbeat

    class Meta:
        indexes = ((("station_code", "device"), True),)


class ChargerSlotState(BaseModel):
    """A charger slot's latest state as its controller reported it."""

    station_code = peewee.CharField()
    slot = peewee.IntegerField()
    status = peewee.CharField()
    power_w = peewee.IntegerField(default=0)
    energy_wh = peewee.IntegerField(default=0)
    fault = peewee.CharField(null=True)
    reported_at = UTCDateTimeField()  # the controller's time (bounded)
    received_at = UTCDateTimeField(null=True)  # central's receive time: what orders reports

    class Meta:
        # The board counts a station's free, charging and faulted slots from the index alone.
        indexes = ((("station_code", "slot"), True), (("station_code", "status", "slot"), False))


class ChangeGeneration(BaseModel):
    """How often a table the retained-state publishers watch has changed: raised by database triggers
    (migration 24) on every insert, update or delete, whichever process or statement made it."""

    watched = peewee.CharField(primary_key=True)  # a table name
    generation = peewee.BigIntegerField()

    class Meta:
        table_name = "change_generation"

    @classmethod
    def of(cls, tables: tuple[str, ...]) -> tuple[int, ...]:
        """The generations of these tables, in their order (one small query)."""
        found = dict(cls.select(cls.watched, cls.generation).where(cls.watched.in_(tables)).tuples())
        return tuple(found.get(table, -1) for table in tables)


@dataclass
class LiveStation:
    """One station as the dashboard and the API show it."""

    station: Station
    people_inside: int | None = None
    occupancy_at: datetime | None = None
    devices: dict[str, DeviceState] = field(default_factory=dict)
    slots: list[str] = field(default_factory=list)
    check_ins_today: int = 0
    # Set by the board (live.board): a device not heard from since then is offline by central's clock.
    stale_before: datetime | None = None

    @functools.cached_property
    def kiosk(self) -> DeviceState | None:
        return next((d for d in self.devices.values() if d.kind == "kiosk"), None)

    def device_online(self, device: DeviceState) -> bool:
        """Whether a device is online: it said so and, when judged by the clock, was heard from lately."""
        if not device.online:
            return False
        heard = device.heartbeat_at or device.changed_at
        return self.stale_before is None or heard >= self.stale_before

    @property
    def online(self) -> bool:
        return self.kiosk is not None and self.device_online(self.kiosk)

    @property
    def last_seen(self) -> datetime | None:
        """When central last heard from the kiosk (heartbeat, else its availability)."""
        return (self.kiosk.heartbeat_at or self.kiosk.changed_at) if self.kiosk else None

    @property
    def backlog(self) -> int:
        return self.kiosk.outbox_pending if self.kiosk else 0

    @property
    def free_seats(self) -> int | None:
        if self.people_inside is None:
            return None
        return max(self.station.capacity - self.people_inside, 0)

    def slot_counts(self) -> dict[str, int]:
        counts = {status: 0 for status in [*SlotStatus, OFFLINE, UNKNOWN]}
        for status in self.slots:
            counts[status] += 1
        return counts


# What a LiveStation reads of a device (its `devices` values have these attributes, read-only).
DEVICE_COLUMNS = (DeviceState.station_code, DeviceState.device, DeviceState.kind, DeviceState.online,
                  DeviceState.changed_at, DeviceState.heartbeat_at, DeviceState.outbox_pending,
                  DeviceState.clock_offset_s)


def live_stations(stations: list[Station], midnight: datetime) -> list[LiveStation]:
    """Live state for these stations in five queries, whatever their number."""
    codes = [s.code for s in stations]
    if not codes:
        return []
    # Read-only rows as named tuples, not model objects: a page has hundreds of them, polled every second.
    live = {row.station_code: row for row in StationLive.select(
        StationLive.station_code, StationLive.people_inside, StationLive.occupancy_at)
        .where(StationLive.station_code.in_(codes)).namedtuples()}
    devices: dict[str, dict[str, DeviceState]] = {}
    for d in (DeviceState.select(*DEVICE_COLUMNS).where(DeviceState.station_code.in_(codes))
              .order_by(DeviceState.id).namedtuples()):
        devices.setdefault(d.station_code, {})[d.device] = d
    slots: dict[str, dict[int, str]] = {}
    # Three plain columns, not model rows: a page of stations has hundreds of slots.
    for code, slot, status in (ChargerSlotState.select(ChargerSlotState.station_code, ChargerSlotState.slot,
                                                       ChargerSlotState.status)
                               .where(ChargerSlotState.station_code.in_(codes)).tuples()):
        slots.setdefault(code, {})[slot] = status
    today = CheckIn.counts_since(codes, midnight)
    result = []
    for station in stations:
        occ = live.get(station.code)
        devs = devices.get(station.code, {})
        controllers = [d for d in devs.values() if d.kind == "charger_controller"]
        # Offline only when the controller says so (its availability, or Last Will); a slot nobody has
        # reported yet is unknown, not offline (docs/mqtt.md).
        charger_offline = bool(controllers) and not any(d.online for d in controllers)
        reported = slots.get(station.code, {})
        slot_states = [OFFLINE if charger_offline else reported.get(n, UNKNOWN)
                       for n in range(1, station.charger_slots + 1)]
        result.append(LiveStation(station, occ.people_inside if occ else None, occ.occupancy_at if occ else None,
                                  devs, slot_states, today.get(station.code, 0)))
    return result


MODELS = [Federation, District, Station, StaffUser, StationManager, ApiToken, StationEvent, CheckIn,
          StationLive, DeviceState, ChargerSlotState]
