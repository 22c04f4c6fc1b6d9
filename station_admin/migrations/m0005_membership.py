"""Migration 0005 (membership): member cards: signing keys, members, and whether a federation approves new members.

Frozen once released: the SQL below was generated from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import run_sql

SQLITE = """
CREATE TABLE "card_key" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "kid" VARCHAR(4) NOT NULL,
    "public_key" VARCHAR(255) NOT NULL,
    "private_key_enc" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL,
    "retired_at" DATETIME
);
CREATE UNIQUE INDEX "cardkey_kid" ON "card_key" ("kid");
CREATE TABLE "member" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "member_no" VARCHAR(10) NOT NULL,
    "name" VARCHAR(40) NOT NULL,
    "phone_enc" TEXT NOT NULL,
    "phone_hash" VARCHAR(64) NOT NULL,
    "platform" VARCHAR(20) NOT NULL,
    "district_id" INTEGER NOT NULL,
    "join_station" VARCHAR(255),
    "status" VARCHAR(255) NOT NULL,
    "created_at" DATETIME NOT NULL,
    "approved_at" DATETIME,
    "revoked_at" DATETIME,
    "card_kid" VARCHAR(4),
    "card_issued_at" DATETIME,
    "card_expires_at" DATETIME,
    "card_enc" TEXT,
    "replaced_before" DATETIME,
    "revocation_until" DATETIME,
    "page_token_hash" VARCHAR(64) NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id")
);
CREATE UNIQUE INDEX "member_member_no" ON "member" ("member_no");
CREATE UNIQUE INDEX "member_phone_hash" ON "member" ("phone_hash");
CREATE INDEX "member_district_id" ON "member" ("district_id");
CREATE INDEX "member_join_station" ON "member" ("join_station");
CREATE INDEX "member_status" ON "member" ("status");
CREATE INDEX "member_revocation_until" ON "member" ("revocation_until");
CREATE UNIQUE INDEX "member_page_token_hash" ON "member" ("page_token_hash");
ALTER TABLE "federation" ADD COLUMN "members_need_approval" INTEGER NOT NULL DEFAULT 0;
"""

POSTGRESQL = """
CREATE TABLE "card_key" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "kid" VARCHAR(4) NOT NULL,
    "public_key" VARCHAR(255) NOT NULL,
    "private_key_enc" TEXT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "retired_at" TIMESTAMP
);
CREATE UNIQUE INDEX "cardkey_kid" ON "card_key" ("kid");
CREATE TABLE "member" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "member_no" VARCHAR(10) NOT NULL,
    "name" VARCHAR(40) NOT NULL,
    "phone_enc" TEXT NOT NULL,
    "phone_hash" VARCHAR(64) NOT NULL,
    "platform" VARCHAR(20) NOT NULL,
    "district_id" INTEGER NOT NULL,
    "join_station" VARCHAR(255),
    "status" VARCHAR(255) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "approved_at" TIMESTAMP,
    "revoked_at" TIMESTAMP,
    "card_kid" VARCHAR(4),
    "card_issued_at" TIMESTAMP,
    "card_expires_at" TIMESTAMP,
    "card_enc" TEXT,
    "replaced_before" TIMESTAMP,
    "revocation_until" TIMESTAMP,
    "page_token_hash" VARCHAR(64) NOT NULL,
    FOREIGN KEY ("district_id") REFERENCES "district" ("id")
);
CREATE UNIQUE INDEX "member_member_no" ON "member" ("member_no");
CREATE UNIQUE INDEX "member_phone_hash" ON "member" ("phone_hash");
CREATE INDEX "member_district_id" ON "member" ("district_id");
CREATE INDEX "member_join_station" ON "member" ("join_station");
CREATE INDEX "member_status" ON "member" ("status");
CREATE INDEX "member_revocation_until" ON "member" ("revocation_until");
CREATE UNIQUE INDEX "member_page_token_hash" ON "member" ("page_token_hash");
ALTER TABLE "federation" ADD COLUMN "members_need_approval" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "federation" ALTER COLUMN "members_need_approval" DROP DEFAULT;
"""


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)


MIGRATION = (5, "membership", up)
