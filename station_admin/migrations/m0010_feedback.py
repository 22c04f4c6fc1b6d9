"""Migration 0010: feedback."""

from __future__ import annotations

import peewee

from station_admin.community.feedback import Feedback, FeedbackCategory


def up(database: peewee.Database) -> None:
    """Riders' feedback and the pain points it names."""
    with database.bind_ctx([Feedback, FeedbackCategory]):
        database.create_tables([Feedback, FeedbackCategory])


MIGRATION = (10, "feedback", up)
