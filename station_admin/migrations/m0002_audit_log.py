"""Migration 0002: audit log."""

from __future__ import annotations

import peewee

from station_admin.core.audit import AuditEntry


def up(database: peewee.Database) -> None:
    database.create_tables([AuditEntry])


MIGRATION = (2, "audit_log", up)
