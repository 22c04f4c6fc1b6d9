"""Every numbered schema migration of the central database, one file each, in order.

An existing database upgrades in place with `waystation migrate central` (the serve commands run it too).
Each file holds its SQL as text, for SQLite and for PostgreSQL, frozen once released: it never reads
today's models, so migration 1 means the same thing in every version. A schema change is a new file
appended here; tests/station_admin/test_migrations.py checks that migrating from 1 gives the schema of
today's models.
"""

from __future__ import annotations

from station_admin.migrations import (
    m0001_initial,
    m0002_audit_log,
    m0003_service_requests,
    m0004_reports,
    m0005_membership,
    m0006_station_operations,
    m0007_community,
    m0008_daily_rollup,
    m0009_weekly_rollup,
    m0010_feedback,
    m0011_ingest_robustness,
    m0012_administration,
    m0015_pairing,
    m0016_hardship_register,
)

MIGRATIONS = [m.MIGRATION for m in (
    m0001_initial,
    m0002_audit_log,
    m0003_service_requests,
    m0004_reports,
    m0005_membership,
    m0006_station_operations,
    m0007_community,
    m0008_daily_rollup,
    m0009_weekly_rollup,
    m0010_feedback,
    m0011_ingest_robustness,
    m0012_administration,
    m0015_pairing,
    m0016_hardship_register,
)]
