"""Migration 0008 (daily_rollup): the day rollup, filled from the hourly rollup already stored.

SQLite: WITHOUT ROWID stores the rows in key order, so a station's days are read as one run.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "checkin_daily" (
    "station_code" VARCHAR(255) NOT NULL,
    "day" INTEGER NOT NULL,
    "n" INTEGER NOT NULL,
    "h00" INTEGER NOT NULL, "h01" INTEGER NOT NULL, "h02" INTEGER NOT NULL, "h03" INTEGER NOT NULL,
    "h04" INTEGER NOT NULL, "h05" INTEGER NOT NULL, "h06" INTEGER NOT NULL, "h07" INTEGER NOT NULL,
    "h08" INTEGER NOT NULL, "h09" INTEGER NOT NULL, "h10" INTEGER NOT NULL, "h11" INTEGER NOT NULL,
    "h12" INTEGER NOT NULL, "h13" INTEGER NOT NULL, "h14" INTEGER NOT NULL, "h15" INTEGER NOT NULL,
    "h16" INTEGER NOT NULL, "h17" INTEGER NOT NULL, "h18" INTEGER NOT NULL, "h19" INTEGER NOT NULL,
    "h20" INTEGER NOT NULL, "h21" INTEGER NOT NULL, "h22" INTEGER NOT NULL, "h23" INTEGER NOT NULL,
    PRIMARY KEY ("station_code", "day")
) WITHOUT ROWID;
"""

POSTGRESQL = """
CREATE TABLE "checkin_daily" (
    "station_code" VARCHAR(255) NOT NULL,
    "day" INTEGER NOT NULL,
    "n" INTEGER NOT NULL,
    "h00" INTEGER NOT NULL, "h01" INTEGER NOT NULL, "h02" INTEGER NOT NULL, "h03" INTEGER NOT NULL,
    "h04" INTEGER NOT NULL, "h05" INTEGER NOT NULL, "h06" INTEGER NOT NULL, "h07" INTEGER NOT NULL,
    "h08" INTEGER NOT NULL, "h09" INTEGER NOT NULL, "h10" INTEGER NOT NULL, "h11" INTEGER NOT NULL,
    "h12" INTEGER NOT NULL, "h13" INTEGER NOT NULL, "h14" INTEGER NOT NULL, "h15" INTEGER NOT NULL,
    "h16" INTEGER NOT NULL, "h17" INTEGER NOT NULL, "h18" INTEGER NOT NULL, "h19" INTEGER NOT NULL,
    "h20" INTEGER NOT NULL, "h21" INTEGER NOT NULL, "h22" INTEGER NOT NULL, "h23" INTEGER NOT NULL,
    PRIMARY KEY ("station_code", "day")
);
"""

REBUILD = """
INSERT INTO checkin_daily (
    station_code, day, n,
    h00, h01, h02, h03, h04, h05, h06, h07, h08, h09, h10, h11,
    h12, h13, h14, h15, h16, h17, h18, h19, h20, h21, h22, h23
)
SELECT station_code, hour / 24, SUM(n),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 0 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 1 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 2 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 3 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 4 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 5 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 6 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 7 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 8 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 9 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 10 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 11 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 12 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 13 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 14 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 15 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 16 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 17 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 18 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 19 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 20 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 21 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 22 THEN n ELSE 0 END),
    SUM(CASE WHEN (hour - hour / 24 * 24) = 23 THEN n ELSE 0 END)
FROM checkin_hourly WHERE hour >= 0
GROUP BY station_code, hour / 24;
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)
    run_sql(database, REBUILD, REBUILD)


MIGRATION = (8, "daily_rollup", up)
