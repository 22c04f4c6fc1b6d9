"""Every numbered schema migration of the central database, in one list.

Each feature module owns its tables and its migration; this list orders them. An existing database
upgrades in place with `waystation migrate central` (the serve commands run it too).
"""

from __future__ import annotations

from station_admin.community import feedback
from station_admin.core import audit, models
from station_admin.members import models as membership
from station_admin.node import community, operations
from station_admin.requests import models as cases
from station_admin.rollups import daily as daily_rollup
from station_admin.rollups import hourly as rollups
from station_admin.rollups import weekly as weekly_rollup

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
