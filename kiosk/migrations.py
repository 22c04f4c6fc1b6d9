"""Every numbered schema migration of the kiosk's database, in order.

A station's database upgrades in place when its kiosk starts (`waystation kiosk`) or with
`waystation migrate kiosk --station CODE`.
"""

from __future__ import annotations

import peewee
from playhouse.migrate import SqliteMigrator, migrate

from kiosk.models import MODELS, CarePolicy, Revocation, ScheduleItem, StationInfo, TrustedKey, VoucherClaim
from kiosk.operations import Announcement, ChargeStart, StationSession


def _m0001_initial(database: peewee.Database) -> None:
    database.create_tables(MODELS)


def _m0002_membership(database: peewee.Database) -> None:
    database.create_tables([TrustedKey, Revocation])
    # A database made by this version's first migration already has the columns.
    have = {c.name for c in database.get_columns("stationinfo")}
    migrator = SqliteMigrator(database)
    migrate(*[migrator.add_column("stationinfo", name, getattr(StationInfo, name))
              for name in ("join_url", "join_key") if name not in have])


def _m0003_station_operations(database: peewee.Database) -> None:
    tables = [ChargeStart, StationSession, Announcement]
    with database.bind_ctx(tables):  # the database being migrated, whatever the models are bound to
        database.create_tables(tables)


def _m0004_community(database: peewee.Database) -> None:
    database.create_tables([CarePolicy, VoucherClaim, ScheduleItem], safe=True)


def _m0005_requests(database: peewee.Database) -> None:
    have = {c.name for c in database.get_columns("stationinfo")}
    migrator = SqliteMigrator(database)
    migrate(*[migrator.add_column("stationinfo", name, getattr(StationInfo, name))
              for name in ("public_url", "district_code", "districts") if name not in have])


MIGRATIONS = [(1, "initial", _m0001_initial), (2, "membership", _m0002_membership),
              (3, "station_operations", _m0003_station_operations), (4, "community", _m0004_community),
              (5, "requests", _m0005_requests)]
