"""Migration 0022 (personal data): the consent texts members agree to and which one each agreed to,
when a member's identity was erased, when a closed case's contact details expired; and the raw
copies of service requests in stationevent lose the rider's sealed contact, phone digits and
tracking code (the service_request row holds what is still needed, and expires it by setting).

Version 1 of the consent text is the notice the join form showed until this release. Members who
joined before it have no recorded version (nothing was recorded then).

Frozen once released: the SQL below was written from the models of its day and is never edited;
a schema change is a new numbered migration.
"""

from __future__ import annotations

import peewee

from waystation.db import is_sqlite, run_sql

SQLITE = """
CREATE TABLE "consent_text" (
    "id" INTEGER NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "text_zh" TEXT NOT NULL,
    "text_en" TEXT NOT NULL,
    "text_hash" VARCHAR(64) NOT NULL,
    "published_at" DATETIME NOT NULL,
    "published_by" VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX "consenttext_version" ON "consent_text" ("version");
ALTER TABLE "member" ADD COLUMN "consent_version" INTEGER;
ALTER TABLE "member" ADD COLUMN "consent_hash" VARCHAR(64);
ALTER TABLE "member" ADD COLUMN "consent_at" DATETIME;
ALTER TABLE "member" ADD COLUMN "erased_at" DATETIME;
ALTER TABLE "service_request" ADD COLUMN "contact_erased_at" DATETIME;
UPDATE "stationevent" SET "data" = json_remove("data", '$.contact_sealed', '$.phone_last4', '$.tracking_code')
 WHERE "kind" = 'service_request';
"""

POSTGRESQL = """
CREATE TABLE "consent_text" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" INTEGER NOT NULL,
    "text_zh" TEXT NOT NULL,
    "text_en" TEXT NOT NULL,
    "text_hash" VARCHAR(64) NOT NULL,
    "published_at" TIMESTAMP NOT NULL,
    "published_by" VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX "consenttext_version" ON "consent_text" ("version");
ALTER TABLE "member" ADD COLUMN "consent_version" INTEGER;
ALTER TABLE "member" ADD COLUMN "consent_hash" VARCHAR(64);
ALTER TABLE "member" ADD COLUMN "consent_at" TIMESTAMP;
ALTER TABLE "member" ADD COLUMN "erased_at" TIMESTAMP;
ALTER TABLE "service_request" ADD COLUMN "contact_erased_at" TIMESTAMP;
UPDATE "stationevent" SET "data" = ("data"::jsonb - 'contact_sealed' - 'phone_last4' - 'tracking_code')::text
 WHERE "kind" = 'service_request';
"""

# Version 1: the notice the join form showed until this release, word for word.
TEXT_ZH = ('我们收集您的姓名、手机号、工作平台和所在区，只用于办理工会会员、联系您提供服务。手机号加密保存，'
    '工作人员只能看到部分号码；驿站屏幕和终端不保存您的姓名和手机号；会员卡上只有会员号。您可以随时请'
    '站长注销会员资格。')
TEXT_EN = ('We collect your name, mobile number, work platform and district only to make you a union member and '
    'to contact you about services. Your number is stored encrypted and staff see only part of it; '
    'station screens and kiosks keep no name or number; your member card carries only your member number.'
    ' You can ask a station manager to end your membership at any time.')
# ConsentText.hash_of(TEXT_ZH, TEXT_EN): SHA-256 of {"en": ..., "zh": ...} (sorted keys, UTF-8, no escapes).
TEXT_HASH = "c0bb77e1ba827b7c37bd7c2ee722a63726ecdca6006041e6425a32aa5cc3dd95"
INSERT = ('INSERT INTO "consent_text" ("version", "text_zh", "text_en", "text_hash", "published_at", "published_by") '
          "VALUES (1, {p}, {p}, {p}, '2026-12-01 00:00:00.000000', 'system')")


def up(database: peewee.Database) -> None:
    """Apply this migration (SQLite or PostgreSQL) inside the runner transaction."""
    run_sql(database, SQLITE, POSTGRESQL)
    database.execute_sql(INSERT.format(p="?" if is_sqlite(database) else "%s"), (TEXT_ZH, TEXT_EN, TEXT_HASH))


MIGRATION = (22, "personal_data", up)
