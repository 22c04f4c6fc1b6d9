"""Every numbered schema migration of the central database, in one list.

Each feature module owns its tables and its migration; this list orders them. An existing database
upgrades in place with `waystation migrate central` (the serve commands run it too).
"""

from __future__ import annotations

from station_admin import (
    audit,
    cases,
    community,
    daily_rollup,
    feedback,
    membership,
    models,
    operations,
    rollups,
    weekly_rollup,
)

MIGRATIONS = [
    models.MIGRATION,
    audit.MIGRATION,
    cases.MIGRATION,
    rollups.MIGRATION,
    membership.MIGRATION,
    operations.MIGRATION,
    community.MIGRATION,
    daily_rollup.MIGRATION,
    weekly_rollup.MIGRATION,
    feedback.MIGRATION,
]
