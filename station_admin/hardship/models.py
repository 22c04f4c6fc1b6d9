"""The hardship register's tables: a case per worker in difficulty, its visits and its documents.

Only facts are stored (dates, who did what); whether a census, a visit or a review is due is derived
from them at the moment of asking (station_admin.hardship.register.state_of), so it cannot go stale.
"""

from __future__ import annotations

from datetime import date

import peewee

from station_admin.core.models import BaseModel, District, StaffUser
from station_admin.requests.models import ServiceRequest
from waystation.db import UTCDateTimeField

CAUSES = ("illness", "accident", "unemployment", "education", "disaster", "other")
DOCUMENT_KINDS = ("admission_letter", "illness_registration", "medical_record", "income_proof", "other")
DOCUMENT_SOURCES = ("staff", "phone")


class HardshipCase(BaseModel):
    """A worker in difficulty: cause, household and income at the last census, and its two-step check."""

    district = peewee.ForeignKeyField(District, backref="hardship_cases")
    station_code = peewee.CharField(null=True)  # where it was recorded, when a station recorded it
    request = peewee.ForeignKeyField(ServiceRequest, null=True, unique=True, on_delete="SET NULL")
    member_no = peewee.CharField(null=True, index=True)  # the worker's member card number
    cause = peewee.CharField()
    household_members = peewee.IntegerField()
    household_income_fen = peewee.BigIntegerField()  # the whole household's income a month
    assistance_line_fen = peewee.BigIntegerField()  # the district's line, per head a month, at the census
    census_on = peewee.DateField()  # the day of the latest census (first record, yearly or after a change)
    recorded_at = UTCDateTimeField()
    recorded_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL", backref="+")
    approved_census_on = peewee.DateField(null=True)  # which census the district union approved
    approved_at = UTCDateTimeField(null=True)
    approved_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL", backref="+")
    changed_at = UTCDateTimeField(null=True)  # a change in circumstances was reported then
    change_note = peewee.CharField(default="")

    class Meta:
        table_name = "hardship_case"
        indexes = ((("district", "census_on"), False),)

    @property
    def income_per_head_fen(self) -> int:
        return self.household_income_fen // self.household_members

    @property
    def below_line(self) -> bool:
        return self.income_per_head_fen < self.assistance_line_fen

    @classmethod
    def in_districts(cls, district_ids: list[int] | None):
        """Cases of these districts (None: all), oldest census first."""
        query = cls.select().order_by(cls.census_on, cls.id)
        return query if district_ids is None else query.where(cls.district.in_(district_ids))

    @classmethod
    def last_visits(cls, case_ids: list[int]) -> dict[int, date]:
        """The latest visit day of each of these cases that has had one, in one query."""
        if not case_ids:
            return {}
        query = (HardshipVisit.select(HardshipVisit.case, peewee.fn.MAX(HardshipVisit.visited_on).alias("last"))
                 .where(HardshipVisit.case.in_(case_ids)).group_by(HardshipVisit.case))
        return {row.case_id: _as_date(row.last) for row in query}


def _as_date(value) -> date:
    """A MAX() over a date column comes back as text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


class HardshipVisit(BaseModel):
    """A visit to the worker (the quarterly visit), by whom and what was found."""

    case = peewee.ForeignKeyField(HardshipCase, backref="visits", on_delete="CASCADE")
    visited_on = peewee.DateField()
    by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL", backref="+")
    note = peewee.CharField(default="")
    recorded_at = UTCDateTimeField()

    class Meta:
        table_name = "hardship_visit"
        indexes = ((("case", "visited_on"), False),)


class HardshipDocument(BaseModel):
    """A supporting document (admission letter, illness registration, medical record...), stored encrypted."""

    case = peewee.ForeignKeyField(HardshipCase, backref="documents", on_delete="CASCADE")
    kind = peewee.CharField()
    filename = peewee.CharField()
    content_type = peewee.CharField()  # from the file's magic bytes, never from what the sender said
    size = peewee.IntegerField()  # bytes in clear
    content = peewee.BlobField()  # DataProtector.encrypt_bytes(..., "document")
    source = peewee.CharField()  # staff or phone
    uploaded_at = UTCDateTimeField()
    uploaded_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL", backref="+")

    class Meta:
        table_name = "hardship_document"

    @classmethod
    def listed(cls, case: HardshipCase):
        """A case's documents without their contents, oldest first."""
        fields = [f for f in cls._meta.sorted_fields if f.name != "content"]
        return cls.select(*fields).where(cls.case == case).order_by(cls.uploaded_at, cls.id)


TABLES = [HardshipCase, HardshipVisit, HardshipDocument]
