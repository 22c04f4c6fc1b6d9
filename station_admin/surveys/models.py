"""The survey tables: surveys and their versions (frozen once published), responses and their answers,
conflicting responses kept apart, and who was invited on which day.

One response per member per survey is held by a unique index on (survey, respondent key), where the
respondent key is a keyed hash of the survey and the member number (station_admin.core.protect), so
an anonymous survey stores no member number at all and still counts each member once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import peewee

from station_admin.core.models import BaseModel, District, Federation, StaffUser
from station_admin.members.models import Member
from waystation.db import UTCDateTimeField

KINDS = ("single", "multiple", "rating", "number", "text")  # "text" is asked on the phone only
CHOICE_KINDS = ("single", "multiple")
RATINGS = (1, 2, 3, 4, 5)
CHANNELS = ("kiosk", "phone")


class Survey(BaseModel):
    """A questionnaire owned by a federation (or one of its districts); its content lives in versions."""

    federation = peewee.ForeignKeyField(Federation, backref="surveys")
    district = peewee.ForeignKeyField(District, null=True, backref="surveys")  # a district's own survey
    created_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    created_at = UTCDateTimeField()
    closed_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "survey"

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def published(self) -> SurveyVersion | None:
        """The newest published version: what is asked now."""
        return (SurveyVersion.select().where(SurveyVersion.survey == self.id, SurveyVersion.published_at.is_null(False))
                .order_by(SurveyVersion.number.desc()).first())

    def draft(self) -> SurveyVersion | None:
        """The version being edited, if any (never published)."""
        return (SurveyVersion.select().where(SurveyVersion.survey == self.id, SurveyVersion.published_at.is_null())
                .order_by(SurveyVersion.number.desc()).first())

    def versions(self) -> list[SurveyVersion]:
        """Every version, oldest first."""
        return list(SurveyVersion.select().where(SurveyVersion.survey == self.id).order_by(SurveyVersion.number))


@dataclass(frozen=True)
class QuestionSpec:
    """One question of a version as stored: id, kind, text in both languages, choices or number bounds."""

    question_id: str
    kind: str
    zh: str
    en: str
    choices: tuple[tuple[str, str, str], ...] = ()  # (choice id, zh, en)
    low: int | None = None
    high: int | None = None

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def choice_text(self, choice_id: str, lang: str) -> str:
        for cid, zh, en in self.choices:
            if cid == choice_id:
                return zh if lang == "zh" else en
        return choice_id

    def to_json(self) -> dict:
        return {"id": self.question_id, "kind": self.kind, "zh": self.zh, "en": self.en,
                "choices": [list(c) for c in self.choices], "min": self.low, "max": self.high}

    @classmethod
    def from_json(cls, obj: dict) -> QuestionSpec:
        return cls(obj["id"], obj["kind"], obj["zh"], obj["en"], tuple(tuple(c) for c in obj.get("choices", [])),
                   obj.get("min"), obj.get("max"))


class SurveyVersion(BaseModel):
    """One version of a survey: title, dates, target and questions. Published versions never change."""

    survey = peewee.ForeignKeyField(Survey, backref="all_versions", on_delete="CASCADE")
    number = peewee.IntegerField()
    title_zh = peewee.CharField(max_length=80)
    title_en = peewee.CharField(max_length=80)
    anonymous = peewee.BooleanField(default=True)
    starts_on = peewee.DateField()  # local dates, both days included
    ends_on = peewee.DateField()
    # The target, each a comma-separated list of codes; empty means "any".
    target_groups = peewee.CharField(default="")
    target_platforms = peewee.CharField(default="")
    target_districts = peewee.TextField(default="")
    target_stations = peewee.TextField(default="")
    questions_json = peewee.TextField()
    created_at = UTCDateTimeField()
    published_at = UTCDateTimeField(null=True)
    published_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")

    class Meta:
        table_name = "survey_version"
        indexes = ((("survey", "number"), True),)

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    @property
    def questions(self) -> list[QuestionSpec]:
        return [QuestionSpec.from_json(q) for q in json.loads(self.questions_json)]

    @property
    def kiosk_questions(self) -> list[QuestionSpec]:
        """The questions a kiosk asks (no free text: that is the phone's)."""
        return [q for q in self.questions if q.kind != "text"]

    def target(self, name: str) -> tuple[str, ...]:
        """A target list (groups, platforms, districts, stations) as codes; empty means any."""
        value = getattr(self, f"target_{name}")
        return tuple(v for v in value.split(",") if v)

    def runs_on(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def fits(self, member: Member) -> bool:
        """Whether a member is in this version's target of group, platform and district."""
        groups, platforms, districts = self.target("groups"), self.target("platforms"), self.target("districts")
        return ((not groups or member.worker_group in groups) and (not platforms or member.platform in platforms)
                and (not districts or member.district.code in districts))


class SurveyResponse(BaseModel):
    """The one counted response of a member to a survey, with the respondent's group, platform and
    district as they were when answering (for the cross-tabs); the member only when not anonymous."""

    response_id = peewee.CharField(unique=True, max_length=32)
    survey = peewee.ForeignKeyField(Survey, backref="responses", on_delete="CASCADE")
    version = peewee.ForeignKeyField(SurveyVersion, backref="responses", on_delete="CASCADE")
    respondent_key = peewee.CharField(max_length=64)
    member = peewee.ForeignKeyField(Member, null=True, on_delete="SET NULL")
    worker_group = peewee.CharField(max_length=20)
    platform = peewee.CharField(max_length=20)
    district = peewee.ForeignKeyField(District, backref="survey_responses")
    station_code = peewee.CharField(null=True)
    channel = peewee.CharField(max_length=10)
    answered_at = UTCDateTimeField()
    received_at = UTCDateTimeField()
    digest = peewee.CharField(max_length=64)  # of the answers: an identical resend is known by it

    class Meta:
        table_name = "survey_response"
        indexes = ((("survey", "respondent_key"), True),)


class SurveyAnswer(BaseModel):
    """One answer of a counted response: a choice (one row per choice of a multiple choice), a number
    (rating or number) or a free text (stored encrypted, readable only by the survey's owner)."""

    response = peewee.ForeignKeyField(SurveyResponse, backref="answers", on_delete="CASCADE")
    question = peewee.CharField(max_length=20)
    choice = peewee.CharField(max_length=20, null=True)
    number = peewee.BigIntegerField(null=True)
    text_enc = peewee.TextField(null=True)

    class Meta:
        table_name = "survey_answer"
        indexes = ((("question", "choice"), False),)


class SurveyConflict(BaseModel):
    """A second, different response of a member who had already answered: kept apart, flagged, not counted."""

    response_id = peewee.CharField(unique=True, max_length=32)
    survey = peewee.ForeignKeyField(Survey, backref="conflicts", on_delete="CASCADE")
    version = peewee.ForeignKeyField(SurveyVersion, on_delete="CASCADE")
    respondent_key = peewee.CharField(max_length=64, index=True)
    counted_response_id = peewee.CharField(max_length=32)
    station_code = peewee.CharField(null=True)
    channel = peewee.CharField(max_length=10)
    answers_json = peewee.TextField()  # free texts in it are encrypted
    answered_at = UTCDateTimeField()
    received_at = UTCDateTimeField()

    class Meta:
        table_name = "survey_conflict"


class SurveyInvitation(BaseModel):
    """A member invited to a survey on a local day (at most once a day, across every station)."""

    survey = peewee.ForeignKeyField(Survey, on_delete="CASCADE")
    respondent_key = peewee.CharField(max_length=64)
    day = peewee.DateField()
    station_code = peewee.CharField()
    checkin_event_id = peewee.CharField(max_length=32)
    created_at = UTCDateTimeField()

    class Meta:
        table_name = "survey_invitation"
        indexes = ((("survey", "respondent_key", "day"), True),)
