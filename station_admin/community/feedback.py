"""Riders' feedback from the kiosks: the stored rows (the report figures are in `reports.feedback_figures`).

Ingest stores each new `feedback` event once (the event's unique id), with one row per pain point
named, so a count by category is an indexed range scan with no JSON in SQL.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

import peewee

from devices.protocol import events
from station_admin.core.models import BaseModel, db
from waystation.db import UTCDateTimeField, insert_rows

log = logging.getLogger(__name__)

SCORES = ("1", "2", "3", "4", "5")


class Feedback(BaseModel):
    """One rider's feedback at a station: a score 1 to 5 and/or pain points; a member number if a card was scanned."""

    event_id = peewee.CharField(unique=True, max_length=32)
    station_code = peewee.CharField()
    occurred_at = UTCDateTimeField()
    score = peewee.SmallIntegerField(null=True)
    member_no = peewee.CharField(null=True)

    class Meta:
        indexes = ((("station_code", "occurred_at"), False),)

    @classmethod
    def scores_by_station(cls, codes: list[str], start: datetime, end: datetime) -> Counter:
        """Scored feedback per (station, score) in [start, end)."""
        query = (cls.select(cls.station_code, cls.score, peewee.fn.COUNT(cls.id))
                 .where(cls.station_code.in_(codes), cls.occurred_at >= start, cls.occurred_at < end,
                        cls.score.is_null(False))
                 .group_by(cls.station_code, cls.score).tuples())
        return Counter({(code, score): n for code, score, n in query})


class FeedbackCategory(BaseModel):
    """A pain point named in a feedback (station and time copied, so counts need no join)."""

    feedback = peewee.ForeignKeyField(Feedback, backref="categories", on_delete="CASCADE")
    station_code = peewee.CharField()
    occurred_at = UTCDateTimeField()
    category = peewee.CharField()

    class Meta:
        table_name = "feedback_category"
        indexes = ((("station_code", "occurred_at"), False), (("feedback", "category"), True))

    @classmethod
    def counts_by_station(cls, codes: list[str], start: datetime, end: datetime) -> Counter:
        """Feedback naming each pain point per (station, category) in [start, end)."""
        query = (cls.select(cls.station_code, cls.category, peewee.fn.COUNT(cls.id))
                 .where(cls.station_code.in_(codes), cls.occurred_at >= start, cls.occurred_at < end)
                 .group_by(cls.station_code, cls.category).tuples())
        return Counter({(code, category): n for code, category, n in query})


def record(batch: list[events.StationEvent]) -> int:
    """Store feedback events (already known to be new); one stored per event id however often it comes."""
    rows = [{"event_id": e.event_id, "station_code": e.station, "occurred_at": e.ts, "score": e.body.score,
             "member_no": e.body.member_no} for e in batch]
    new = insert_rows(db, Feedback, rows, new_key="event_id")
    if not new:
        return 0
    ids = dict(Feedback.select(Feedback.event_id, Feedback.id).where(Feedback.event_id.in_(list(new))).tuples())
    insert_rows(db, FeedbackCategory, [
        {"feedback": ids[e.event_id], "station_code": e.station, "occurred_at": e.ts, "category": category}
        for e in batch if e.event_id in new for category in e.body.categories])
    return len(new)
