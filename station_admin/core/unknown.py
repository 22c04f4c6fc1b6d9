"""Station codes that send data although central has no station by that code.

What such a station sends is stored as usual under its code, so creating the station later keeps
it; the ingest worker notes each batch's unknown codes here, and admins see them as "unknown
station sending data" with what it sent and when.
"""

from __future__ import annotations

import json
from datetime import datetime

import peewee

from station_admin.core.models import BaseModel, Station
from waystation.db import UTCDateTimeField, is_sqlite, update_rows


def message_family(message) -> str:
    """The wire family of a parsed station message, as an admin reads it: `occupancy`, `charger`, `events/checkin`."""
    family = type(message).__module__.rsplit(".", 1)[-1]
    kind = getattr(message, "kind", None)
    return f"{family}/{kind}" if family == "events" and isinstance(kind, str) else family


# Most station codes an ingest worker remembers as known (a country's stations, with room to spare).
KNOWN_LIMIT = 500_000


class UnknownStation(BaseModel):
    """A station code heard from but unknown: what families it sent and how much, and when.

    Its table comes from migration 12.
    """

    station_code = peewee.CharField(primary_key=True)
    first_seen_at = UTCDateTimeField()
    last_seen_at = UTCDateTimeField()
    messages = peewee.IntegerField(default=0)
    families = peewee.TextField(default="{}")  # JSON: family -> messages

    class Meta:
        table_name = "unknown_station"

    @property
    def family_counts(self) -> dict[str, int]:
        return json.loads(self.families)

    @classmethod
    def note(cls, messages: list, now: datetime, known: set[str] | None = None) -> int:
        """Record the messages of a batch whose station central does not know; how many codes were unknown.

        One query when every station is known, none when `known` (the caller's set of codes found
        before, kept across batches: a station is never deleted) holds them all. Called inside the
        batch's transaction. The family counts are read and written back, so the rows are locked
        first (FOR UPDATE, in code order): two `$share` workers noting one code at once then count
        every message. SQLite has one writer at a time and refuses a stale write, so there the batch
        is retried instead.
        """
        codes = {message.station for message in messages}
        if known is not None:
            codes -= known
        if not codes:
            return 0
        found = {code for (code,) in Station.select(Station.code).where(Station.code.in_(sorted(codes))).tuples()}
        if known is not None and len(known) < KNOWN_LIMIT:
            known |= found
        unknown_codes = codes - found
        unknown: dict[str, dict[str, int]] = {}
        for message in messages:
            if message.station in unknown_codes:
                counts = unknown.setdefault(message.station, {})
                family = message_family(message)
                counts[family] = counts.get(family, 0) + 1
        if not unknown:
            return 0
        codes = sorted(unknown)
        (cls.insert_many([{"station_code": code, "first_seen_at": now, "last_seen_at": now, "messages": 0,
                           "families": "{}"} for code in codes])
         .on_conflict_ignore().execute())
        rows = (cls.select(cls.station_code, cls.messages, cls.families).where(cls.station_code.in_(codes))
                .order_by(cls.station_code))
        if not is_sqlite(cls._meta.database):
            rows = rows.for_update()
        changes = []
        for code, messages, stored in rows.tuples():
            families = json.loads(stored)
            for family, n in unknown[code].items():
                families[family] = families.get(family, 0) + n
            changes.append({"station_code": code, "last_seen_at": now,
                            "messages": messages + sum(unknown[code].values()),
                            "families": json.dumps(families, sort_keys=True)})
        # One statement per 500 codes, not one per code: a fleet of unknown stations (a misconfigured
        # install) must not slow the batch it rides in tenfold. The rows are locked, so the sums stand.
        update_rows(cls._meta.database, cls, changes, key=("station_code",))
        return len(unknown)
