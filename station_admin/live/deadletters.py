"""Dead letters: MQTT messages ingest could not apply, kept for admins to re-run after a fix or discard.

A message that breaks a handler on its own (the rest of its batch stores fine) is stored here once
per distinct topic and payload, with the error, when it was first and last seen and how often; it
is acknowledged, so the broker does not deliver it again and again. An admin re-runs it (ingest
applies it again, from its own process, and says how it went) or discards it; both are audited.
Re-runs are done by the ingest worker, not by the web process: only ingest holds the MQTT link that
a voucher decision or a receipt goes out on, and web processes hold no state.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

import peewee
from flask import Blueprint, abort, g

from devices.protocol import utcnow
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.models import BaseModel
from waystation.db import UTCDateTimeField
from waystation.web import page_or_fragment

log = logging.getLogger(__name__)
bp = Blueprint("deadletters", __name__, url_prefix="/dead-letters")

# open: waiting for an admin; rerun: an admin asked ingest to apply it again; running: ingest is on it;
# resolved: a re-run applied it; discarded: an admin threw it away (a redelivery stays discarded).
STATUSES = ("open", "rerun", "running", "resolved", "discarded")
MAX_ERROR = 2000


class DeadLetter(BaseModel):
    """One distinct message (topic and payload) that ingest could not apply."""

    digest = peewee.CharField(max_length=64, unique=True)  # sha256 of topic and payload
    topic = peewee.TextField()
    payload = peewee.BlobField()
    error = peewee.TextField()
    station_code = peewee.CharField(null=True)
    first_seen = UTCDateTimeField()
    last_seen = UTCDateTimeField()
    count = peewee.IntegerField(default=1)
    status = peewee.CharField(default="open", index=True)
    resolved_at = UTCDateTimeField(null=True)
    claimed_by = peewee.CharField(null=True)  # the ingest worker (client id) re-running it
    claimed_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "dead_letter"

    @property
    def payload_text(self) -> str:
        """The payload as text for the admin page (bytes that are not UTF-8 shown as replacement marks)."""
        return bytes(self.payload).decode("utf-8", "replace")

    @classmethod
    def open_count(cls) -> int:
        """How many dead letters wait for an admin (open, or asked to re-run)."""
        return cls.select().where(cls.status.in_(("open", "rerun", "running"))).count()

    @classmethod
    def board(cls) -> list[DeadLetter]:
        """Dead letters newest first: waiting ones, then the last 50 handled."""
        waiting = list(cls.select().where(cls.status.in_(("open", "rerun", "running"))).order_by(cls.last_seen.desc()))
        handled = list(cls.select().where(cls.status.in_(("resolved", "discarded")))
                       .order_by(cls.last_seen.desc()).limit(50))
        return waiting + handled


def digest_of(topic: str, payload: bytes) -> str:
    """The key a message is stored under: the same topic and payload are one dead letter, however often seen."""
    return hashlib.sha256(topic.encode("utf-8", "surrogatepass") + b"\0" + bytes(payload)).hexdigest()


def record(topic: str, payload: bytes, error: str, station: str | None, now: datetime) -> bool:
    """Store a message that could not be applied, or count it again; whether it is new (not seen before)."""
    digest = digest_of(topic, payload)
    error = error[:MAX_ERROR].replace("\x00", "\\x00")  # PostgreSQL text holds no NUL
    # Seen before: count it; a discarded one stays discarded, anything else waits for an admin again.
    status = peewee.Case(None, [(DeadLetter.status == "discarded", "discarded")], "open")
    if (DeadLetter.update(count=DeadLetter.count + 1, last_seen=now, error=error, status=status)
            .where(DeadLetter.digest == digest).execute()):
        return False
    DeadLetter.insert(digest=digest, topic=topic, payload=bytes(payload), error=error, station_code=station,
                      first_seen=now, last_seen=now, count=1, status="open").on_conflict_ignore().execute()
    return True


def claim_reruns(worker: str, now: datetime) -> list[DeadLetter]:
    """Dead letters an admin asked to re-run, each claimed by this worker alone (several may share the load)."""
    claimed = []
    for row in DeadLetter.select().where(DeadLetter.status == "rerun"):
        if (DeadLetter.update(status="running", claimed_by=worker, claimed_at=now)
                .where(DeadLetter.id == row.id, DeadLetter.status == "rerun").execute()):
            claimed.append(row)
    return claimed


# A re-run takes a moment; one claimed longer ago than this by another worker was left by a dead process.
ABANDONED_RERUN = timedelta(minutes=10)


def release_interrupted(worker: str, now: datetime) -> int:
    """At a worker's start: re-runs it (or a long-dead worker) left running go back to open, audited; how many.

    Back to open rather than re-run again: the message may be what stopped the process.
    """
    left = ((DeadLetter.claimed_by == worker) | DeadLetter.claimed_by.is_null()
            | (DeadLetter.claimed_at < now - ABANDONED_RERUN))
    stuck = DeadLetter.select().where(DeadLetter.status == "running", left)
    released = 0
    for row in stuck:
        if (DeadLetter.update(status="open", claimed_by=None, claimed_at=None, error=INTERRUPTED_RERUN)
                .where(DeadLetter.id == row.id, DeadLetter.status == "running").execute()):
            audit("dead_letter.rerun_interrupted", "dead_letter", row.id, topic=row.topic, worker=row.claimed_by or "")
            log.warning("dead letter %d was being re-run when its worker stopped: open again", row.id)
            released += 1
    return released


INTERRUPTED_RERUN = "the re-run was interrupted (its ingest process stopped); re-run it again or discard it"


def settle_rerun(row: DeadLetter, error: str | None, now: datetime) -> None:
    """Record how a re-run went: resolved, or open again with the new error (audited either way)."""
    if error is None:
        DeadLetter.update(status="resolved", resolved_at=now).where(DeadLetter.id == row.id).execute()
        audit("dead_letter.resolved", "dead_letter", row.id, topic=row.topic)
    else:
        (DeadLetter.update(status="open", error=error[:MAX_ERROR], last_seen=now)
         .where(DeadLetter.id == row.id).execute())
        audit("dead_letter.rerun_failed", "dead_letter", row.id, topic=row.topic, error=error[:200])


def _board(**extra):
    return page_or_fragment("station_admin/live/deadletters/index.html",
                            "station_admin/live/deadletters/_deadletters.html",
                            dead_letters=DeadLetter.board(), **extra)


@bp.get("/")
@login_required("admin")
def index():
    """Every dead letter an admin has to look at, and the last ones handled."""
    return _board()


def _waiting_or_none(letter_id: int) -> DeadLetter | None:
    row = DeadLetter.get_or_none(DeadLetter.id == letter_id)
    if row is None:
        abort(404)
    return row if row.status == "open" else None


@bp.post("/<int:letter_id>/rerun")
@login_required("admin")
def rerun(letter_id: int):
    """Ask ingest to apply a dead letter again (after a fix); audited."""
    row = _waiting_or_none(letter_id)
    if row is None or not DeadLetter.update(status="rerun").where(DeadLetter.id == row.id,
                                                                  DeadLetter.status == "open").execute():
        return _board(notice="deadletters.not_open")
    audit("dead_letter.rerun", "dead_letter", row.id, actor=g.user, topic=row.topic)
    return _board(notice="deadletters.rerun_requested")


@bp.post("/<int:letter_id>/discard")
@login_required("admin")
def discard(letter_id: int):
    """Throw a dead letter away (it is kept as discarded, and stays so if it comes again); audited."""
    row = _waiting_or_none(letter_id)
    if row is None or not (DeadLetter.update(status="discarded", resolved_at=utcnow())
                           .where(DeadLetter.id == row.id, DeadLetter.status == "open").execute()):
        return _board(notice="deadletters.not_open")
    audit("dead_letter.discard", "dead_letter", row.id, actor=g.user, topic=row.topic, error=row.error[:200])
    return _board(notice="deadletters.discarded")
