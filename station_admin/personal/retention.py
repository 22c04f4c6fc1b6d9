"""Retention: what central erases by itself once it is old enough (the `[privacy]` settings).

Run by central's node (station_admin.node.operations) every `privacy.retention_check_seconds`:
closed service requests lose the rider's contact details `closed_case_contact_days` after closing,
and audit rows older than `audit_days` are deleted. Each run that changes something says so in one
audit row of its own ("retention.apply", by "system"), with the counts.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from station_admin.core.audit import AuditEntry, audit
from station_admin.personal.records import erase_request_contact
from station_admin.requests.models import CLOSED_STATUSES, ServiceRequest
from waystation.settings import ConfigError

log = logging.getLogger(__name__)


def check(privacy) -> None:
    """Refuse retention settings that would erase at once or never run (at start, with the key's name)."""
    for key in ("closed_case_contact_days", "audit_days"):
        if privacy[key] < 1:
            raise ConfigError(f"privacy.{key}: must be at least 1 day")
    if privacy.retention_check_seconds <= 0:
        raise ConfigError("privacy.retention_check_seconds: must be more than 0")


def apply(now: datetime, privacy) -> dict[str, int]:
    """One retention run (the caller's transaction): how many requests' contacts and audit rows went."""
    closed_before = now - timedelta(days=privacy.closed_case_contact_days)
    contacts = erase_request_contact(
        ServiceRequest.select().where(ServiceRequest.status.in_(CLOSED_STATUSES),
                                      ServiceRequest.closed_at < closed_before), now)
    audit_rows = AuditEntry.delete().where(AuditEntry.at < now - timedelta(days=privacy.audit_days)).execute()
    done = {"request_contacts": contacts, "audit_rows": audit_rows}
    if contacts or audit_rows:
        audit("retention.apply", "retention", now.date().isoformat(), **done)
        log.info("retention: erased the contact details of %d closed requests, deleted %d audit rows",
                 contacts, audit_rows)
    return done
