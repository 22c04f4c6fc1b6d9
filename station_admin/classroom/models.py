"""The classroom's tables: videos with their target, riders' plays as the kiosks report them, and what
each kiosk says it holds."""

from __future__ import annotations

from datetime import date, datetime

import peewee

from station_admin.core.models import BaseModel, District, StaffUser, Station
from waystation.db import JSONField, UTCDateTimeField


class ClassroomVideo(BaseModel):
    """A short video staff uploaded, with its poster, titles and subtitle in both languages, and its target.

    The target is a district (every station in it), or stations named one by one, or both; and the
    local dates it plays from and until (inclusive; no end date: until withdrawn). Files are kept
    under their SHA-256 in `classroom.media_dir` and are never changed: a new cut is a new video.
    """

    title_zh = peewee.CharField()
    title_en = peewee.CharField()
    caption_zh = peewee.CharField()
    caption_en = peewee.CharField()
    sha256 = peewee.CharField(max_length=64)
    size = peewee.BigIntegerField()
    duration_ms = peewee.IntegerField()
    width = peewee.IntegerField()
    height = peewee.IntegerField()
    poster_sha256 = peewee.CharField(max_length=64)
    poster_size = peewee.IntegerField()
    poster_type = peewee.CharField()  # image/jpeg or image/png
    district = peewee.ForeignKeyField(District, null=True, on_delete="CASCADE")
    starts_on = peewee.DateField()
    ends_on = peewee.DateField(null=True)
    uploaded_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    uploaded_at = UTCDateTimeField()
    withdrawn_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "classroom_video"
        indexes = ((("sha256",), False), (("poster_sha256",), False))

    def showing_on(self, day: date) -> bool:
        """Whether the video is in its dates on a local day and not withdrawn."""
        return self.withdrawn_at is None and self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)

    @classmethod
    def current(cls, day: date):
        """Videos not withdrawn whose dates include `day`, newest first."""
        return (cls.select().where(cls.withdrawn_at.is_null(), cls.starts_on <= day,
                                   cls.ends_on.is_null() | (cls.ends_on >= day))
                .order_by(cls.uploaded_at.desc(), cls.id.desc()))

    @classmethod
    def holding_file(cls, sha256: str):
        """Videos whose video or poster is this file."""
        return cls.select().where((cls.sha256 == sha256) | (cls.poster_sha256 == sha256))


class ClassroomTarget(BaseModel):
    """A station a video is targeted at by name (beside, or instead of, its district)."""

    video = peewee.ForeignKeyField(ClassroomVideo, backref="targets", on_delete="CASCADE")
    station = peewee.ForeignKeyField(Station, on_delete="CASCADE")

    class Meta:
        table_name = "classroom_target"
        indexes = ((("video", "station"), True),)


class ClassroomPlay(BaseModel):
    """One classroom_play event from a kiosk: a play started, or one watched to its end (`completed`)."""

    event_id = peewee.CharField(max_length=32, unique=True)
    video_id = peewee.IntegerField()  # not a foreign key: a play of a video deleted since still happened
    station_code = peewee.CharField()
    occurred_at = UTCDateTimeField()
    completed = peewee.BooleanField()

    class Meta:
        table_name = "classroom_play"
        indexes = ((("station_code", "occurred_at"), False), (("video_id", "occurred_at"), False))

    @classmethod
    def counts(cls, codes: list[str], start: datetime, end: datetime) -> dict[tuple[int, str, bool], int]:
        """Plays per (video, station, completed) in [start, end)."""
        query = (cls.select(cls.video_id, cls.station_code, cls.completed, peewee.fn.COUNT(cls.id))
                 .where(cls.station_code.in_(codes), cls.occurred_at >= start, cls.occurred_at < end)
                 .group_by(cls.video_id, cls.station_code, cls.completed).tuples())
        return {(video, code, bool(completed)): n for video, code, completed, n in query}


class ClassroomHoldings(BaseModel):
    """What a station's kiosk last said its classroom cache holds (classroom holdings message)."""

    station_code = peewee.CharField()
    device = peewee.CharField()
    held = JSONField()  # [video id, ...] playable offline
    missing = JSONField()  # [video id, ...] in the manifest, not yet cached
    cache_bytes = peewee.BigIntegerField()
    reported_at = UTCDateTimeField()
    received_at = UTCDateTimeField()

    class Meta:
        table_name = "classroom_holdings"
        indexes = ((("station_code", "device"), True),)
