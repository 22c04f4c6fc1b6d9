"""The audit log: who did what to which member or request, and who looked at a case.

Every staff state change on a member or a service request, and every staff view of a case, writes
one row in the same transaction as the change. Rows are never updated; only retention deletes them,
after `privacy.audit_days` (station_admin.personal.retention), and says so in a row of its own.
"""

from __future__ import annotations

import logging

import peewee
from flask import g, has_request_context, request

from devices.protocol import utcnow
from station_admin.core.models import BaseModel, StaffUser
from waystation.db import JSONField, UTCDateTimeField

log = logging.getLogger(__name__)


class AuditEntry(BaseModel):
    """One audited action: actor (None for the system or a rider), action, subject, details, time."""

    at = UTCDateTimeField(index=True)
    actor = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    actor_name = peewee.CharField()  # kept as it was at the time, even if the user is renamed later
    action = peewee.CharField()  # dotted verb: member.approve, request.view, request.status
    subject_kind = peewee.CharField()  # member, request, calendar...
    subject_id = peewee.CharField()
    details = JSONField(default=dict, column_name="detail")  # what changed: before/after, ids, reasons
    remote_addr = peewee.CharField(null=True)

    class Meta:
        table_name = "audit_entry"
        indexes = ((("subject_kind", "subject_id", "at"), False),)

    @classmethod
    def for_subject(cls, kind: str, subject_id) -> peewee.ModelSelect:
        """A subject's history, oldest first."""
        return cls.select().where(cls.subject_kind == kind, cls.subject_id == str(subject_id)).order_by(cls.at, cls.id)


def audit(action: str, subject_kind: str, subject_id, actor: StaffUser | None = None, **details) -> AuditEntry:
    """Record an action; the actor defaults to the signed-in staff user of the request."""
    if actor is None and has_request_context():
        actor = getattr(g, "user", None)
    entry = AuditEntry.create(
        at=utcnow(), actor=actor, actor_name=actor.username if actor else "system", action=action,
        subject_kind=subject_kind, subject_id=str(subject_id),
        details=details,
        remote_addr=request.remote_addr if has_request_context() else None)
    log.info("audit %s %s/%s by %s", action, subject_kind, subject_id, entry.actor_name)
    return entry
