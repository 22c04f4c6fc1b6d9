"""Pairing codes and the devices a station was paired with.

A code is six digits, single use, valid `pairing.code_minutes`; only its keyed hash is stored, so
the database alone does not give a working code. Failed attempts are counted by the throttle
(station_admin.core.throttle) per client address.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import peewee

from station_admin.core.models import BaseModel, StaffUser
from waystation.db import UTCDateTimeField

CODE_DIGITS = 6


def code_hash(code: str, key: str) -> str:
    """The stored form of a pairing code: HMAC-SHA256 under central's secret key."""
    return hmac.new(key.encode(), code.encode(), hashlib.sha256).hexdigest()


class PairingCode(BaseModel):
    """A code staff issued to pair one station, from issue to use or expiry."""

    station_code = peewee.CharField(index=True)
    code_hash = peewee.CharField(max_length=64, index=True)
    issued_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL", backref="+")
    issued_by_name = peewee.CharField()
    issued_at = UTCDateTimeField()
    expires_at = UTCDateTimeField()
    used_at = UTCDateTimeField(null=True)
    used_from = peewee.CharField(null=True)  # the client address that claimed it

    class Meta:
        table_name = "pairing_code"

    @classmethod
    def issue(cls, station_code: str, user: StaffUser, key: str, now: datetime,
              minutes: int) -> tuple[str, PairingCode]:
        """A fresh code for a station; earlier unused codes of the station stop working."""
        (cls.update(expires_at=now).where(cls.station_code == station_code, cls.used_at.is_null(),
                                          cls.expires_at > now).execute())
        while True:
            code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
            if not cls.live(code, key, now):  # two live codes never share digits
                break
        row = cls.create(station_code=station_code, code_hash=code_hash(code, key), issued_by=user,
                         issued_by_name=user.username, issued_at=now, expires_at=now + timedelta(minutes=minutes))
        return code, row

    @classmethod
    def live(cls, code: str, key: str, now: datetime) -> PairingCode | None:
        """The unused, unexpired code with these digits, if any."""
        return cls.get_or_none(cls.code_hash == code_hash(code, key), cls.used_at.is_null(), cls.expires_at > now)

    @classmethod
    def newest(cls, code: str, key: str) -> PairingCode | None:
        """The newest code ever issued with these digits (to tell "expired" and "used" from "wrong")."""
        return cls.select().where(cls.code_hash == code_hash(code, key)).order_by(cls.issued_at.desc()).first()

    def claim(self, now: datetime, client: str) -> bool:
        """Mark the code used, once: whether this call was the one that used it."""
        cls = type(self)
        return bool(cls.update(used_at=now, used_from=client)
                    .where(cls.id == self.id, cls.used_at.is_null(), cls.expires_at > now).execute())


class PairedDevice(BaseModel):
    """A device of a station that has a broker account central made for it."""

    station_code = peewee.CharField()
    device = peewee.CharField()
    kind = peewee.CharField()
    paired_at = UTCDateTimeField()

    class Meta:
        table_name = "paired_device"
        indexes = ((("station_code", "device"), True),)

    @classmethod
    def of_station(cls, station_code: str) -> list[PairedDevice]:
        """A station's paired devices, by device id."""
        return list(cls.select().where(cls.station_code == station_code).order_by(cls.device))


MODELS = [PairingCode, PairedDevice]
