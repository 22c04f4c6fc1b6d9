"""Surveys (问卷), central → kiosk: the open surveys a station offers (retained) and the invitation of
one member after a check-in (QoS 1, not retained). A response is a kiosk event (`survey_response`).

- `station/{station}/surveys`: every survey open at this station now, with the questions a kiosk
  may ask (single and multiple choice, 1–5 rating, number; free text belongs on the phone). A new
  message replaces the whole list, so a closed survey is gone from the kiosk within seconds.
- `station/{station}/survey/invitation`: central's answer to a member's check-in: the surveys this
  member is invited to now (in the survey's target, not answered yet, not invited yet today), each
  with the phone link of the rider's own invitation.

Whether a response's answers fit the survey's questions is checked at central against the survey
version it names; the wire checks only their shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from devices.protocol._base import (
    EVENT_ID_RE,
    Message,
    ProtocolError,
    TopicPattern,
    decode,
    encode,
    format_time,
    get_int,
    get_str,
    get_text,
    get_time,
    show,
)

SURVEYS_PATTERN = TopicPattern("station/{station}/surveys")
INVITATION_PATTERN = TopicPattern("station/{station}/survey/invitation")
# What a kiosk may ask; "text" (free text) is only ever asked on the phone and never travels over MQTT.
KIOSK_KINDS = ("single", "multiple", "rating", "number")
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,19}$")  # question and choice ids
MEMBER_NO_FIELD_RE = re.compile(r"^[A-Z0-9]{6,20}$")
MAX_SURVEYS = 5
MAX_QUESTIONS = 20
MAX_CHOICES = 12
NUMBER_LIMIT = 1_000_000_000
MAX_LINK = 300


@dataclass(frozen=True)
class Choice:
    """One choice of a choice question: its id and its text in both languages."""

    choice_id: str
    text: dict[str, str]



@dataclass(frozen=True)
class Question:
    """One question a kiosk may ask: kind, text, choices (choice kinds) or bounds (number)."""

    question_id: str
    kind: str
    text: dict[str, str]
    choices: tuple[Choice, ...] = ()
    low: int | None = None
    high: int | None = None


    def to_fields(self) -> dict:
        fields: dict = {"id": self.question_id, "kind": self.kind, "text": self.text}
        if self.choices:
            fields["choices"] = [{"id": c.choice_id, "text": c.text} for c in self.choices]
        if self.kind == "number":
            fields["min"], fields["max"] = self.low, self.high
        return fields

    @classmethod
    def from_fields(cls, obj) -> Question:
        if not isinstance(obj, dict):
            raise ProtocolError("each question must be an object with id, kind and text")
        kind = get_str(obj, "kind", choices=set(KIOSK_KINDS))
        question = get_str(obj, "id", pattern=CODE_RE, max_len=20)
        text = get_text(obj, "text", max_len=200)
        choices: tuple[Choice, ...] = ()
        low = high = None
        if kind in ("single", "multiple"):
            raw = obj.get("choices")
            if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_CHOICES:
                raise ProtocolError(f"question {question}: field choices must be a list of 2 to {MAX_CHOICES}")
            for entry in raw:
                if not isinstance(entry, dict):
                    raise ProtocolError(f"question {question}: each choice must be an object with id and text")
                choices += (Choice(get_str(entry, "id", pattern=CODE_RE, max_len=20),
                                   get_text(entry, "text", max_len=80)),)
            if len({c.choice_id for c in choices}) != len(choices):
                raise ProtocolError(f"question {question}: a choice id repeats")
        elif "choices" in obj:
            raise ProtocolError(f"question {question}: only choice questions have choices")
        if kind == "number":
            low = get_int(obj, "min", low=-NUMBER_LIMIT, high=NUMBER_LIMIT)
            high = get_int(obj, "max", low=-NUMBER_LIMIT, high=NUMBER_LIMIT)
            if high < low:
                raise ProtocolError(f"question {question}: max is below min")
        return cls(question, kind, text, choices, low, high)


@dataclass(frozen=True)
class OpenSurvey:
    """One survey open at the station: its id and version at central, title, end, and kiosk questions."""

    survey_id: int
    version: int
    title: dict[str, str]
    ends: datetime
    anonymous: bool
    questions: tuple[Question, ...]


    def to_fields(self) -> dict:
        return {"id": self.survey_id, "version": self.version, "title": self.title, "ends": format_time(self.ends),
                "anonymous": self.anonymous, "questions": [q.to_fields() for q in self.questions]}


@dataclass(frozen=True)
class StationSurveys(Message):
    """Every survey open at a station now; a new message replaces the list."""

    PATTERN: ClassVar[TopicPattern] = SURVEYS_PATTERN
    RETAIN: ClassVar[bool] = True

    station: str
    surveys: tuple[OpenSurvey, ...]
    ts: datetime

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "surveys": [s.to_fields() for s in self.surveys]})


@dataclass(frozen=True)
class Invitation:
    """One survey a member is invited to, with the link that opens it on the rider's phone."""

    survey_id: int
    version: int
    link: str | None = None  # None when central has no public address (central.public_url)


@dataclass(frozen=True)
class SurveyInvitation(Message):
    """Central's invitation of one member after a check-in (named by the check-in's event id)."""

    PATTERN: ClassVar[TopicPattern] = INVITATION_PATTERN

    station: str
    checkin_id: str
    member_no: str
    invitations: tuple[Invitation, ...]
    ts: datetime

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "checkin": self.checkin_id, "member_no": self.member_no,
                       "surveys": [{"id": i.survey_id, "version": i.version, **({"link": i.link} if i.link else {})}
                                   for i in self.invitations]})


@dataclass(frozen=True)
class SurveyResponse:
    """A member answered a survey at the kiosk: the event body (kind `survey_response`).

    `response_id` is made where the survey was answered, so a resend is known for the same response.
    `answers` maps question ids to a choice id (single), choice ids (multiple) or a whole number
    (rating 1–5, number); a question left out was skipped.
    """

    KIND: ClassVar[str] = "survey_response"
    response_id: str
    survey_id: int
    version: int
    member_no: str
    answers: tuple[tuple[str, str | int | tuple[str, ...]], ...]

    def to_fields(self) -> dict:
        return {"response": self.response_id, "survey": self.survey_id, "version": self.version,
                "member_no": self.member_no,
                "answers": {q: list(v) if isinstance(v, tuple) else v for q, v in self.answers}}

    @classmethod
    def from_fields(cls, obj: dict) -> SurveyResponse:
        answers = obj.get("answers")
        if not isinstance(answers, dict) or not 0 < len(answers) <= MAX_QUESTIONS:
            raise ProtocolError(f"field answers must be an object of 1 to {MAX_QUESTIONS} question ids -> answers")
        out = []
        for question, value in answers.items():
            if not CODE_RE.fullmatch(question):
                raise ProtocolError(f"field answers has a malformed question id {show(question)}")
            out.append((question, _answer(question, value)))
        return cls(get_str(obj, "response", pattern=EVENT_ID_RE, max_len=32),
                   get_int(obj, "survey", low=1, high=2**31), get_int(obj, "version", low=1, high=10_000),
                   get_str(obj, "member_no", pattern=MEMBER_NO_FIELD_RE, max_len=20), tuple(sorted(out)))


def _answer(question: str, value) -> str | int | tuple[str, ...]:
    """One answer's shape: a choice id, a list of distinct choice ids, or a bounded whole number."""
    if isinstance(value, str):
        if not CODE_RE.fullmatch(value):
            raise ProtocolError(f"answer to {question} is not a choice id: {show(value)}")
        return value
    if isinstance(value, list):
        if not 0 < len(value) <= MAX_CHOICES or len(set(map(str, value))) != len(value) or not all(
                isinstance(v, str) and CODE_RE.fullmatch(v) for v in value):
            raise ProtocolError(f"answer to {question} must be 1 to {MAX_CHOICES} distinct choice ids")
        return tuple(value)
    if type(value) is int and -NUMBER_LIMIT <= value <= NUMBER_LIMIT:
        return value
    raise ProtocolError(f"answer to {question} must be a choice id, a list of them or a whole number, "
                        f"got {show(value)}")


def parse_surveys(topic: str, payload: bytes) -> StationSurveys:
    """A StationSurveys from a topic below the root and its payload; ProtocolError when invalid."""
    parts = SURVEYS_PATTERN.parts(topic)
    obj = decode(payload)
    raw = obj.get("surveys")
    if not isinstance(raw, list) or len(raw) > MAX_SURVEYS:
        raise ProtocolError(f"field surveys must be a list of at most {MAX_SURVEYS} surveys")
    surveys = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise ProtocolError("each survey must be an object")
        anonymous = entry.get("anonymous")
        if not isinstance(anonymous, bool):
            raise ProtocolError(f"field anonymous must be true or false, got {show(anonymous)}")
        questions = entry.get("questions")
        if not isinstance(questions, list) or not 0 < len(questions) <= MAX_QUESTIONS:
            raise ProtocolError(f"field questions must be a list of 1 to {MAX_QUESTIONS} questions")
        parsed = tuple(Question.from_fields(q) for q in questions)
        if len({q.question_id for q in parsed}) != len(parsed):
            raise ProtocolError("a question id repeats")
        surveys.append(OpenSurvey(get_int(entry, "id", low=1, high=2**31),
                                  get_int(entry, "version", low=1, high=10_000),
                                  get_text(entry, "title", max_len=80), get_time(entry, "ends"), anonymous, parsed))
    if len({s.survey_id for s in surveys}) != len(surveys):
        raise ProtocolError("a survey id repeats")
    return StationSurveys(parts["station"], tuple(surveys), get_time(obj))


def parse_invitation(topic: str, payload: bytes) -> SurveyInvitation:
    """A SurveyInvitation from a topic below the root and its payload; ProtocolError when invalid."""
    parts = INVITATION_PATTERN.parts(topic)
    obj = decode(payload)
    raw = obj.get("surveys")
    if not isinstance(raw, list) or not 0 < len(raw) <= MAX_SURVEYS:
        raise ProtocolError(f"field surveys must be a list of 1 to {MAX_SURVEYS} invitations")
    invitations = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise ProtocolError("each invitation must be an object with id, version and link")
        link = get_str(entry, "link", max_len=MAX_LINK, optional=True)
        if link is not None and not link.startswith(("https://", "http://")):
            raise ProtocolError(f"field link must be an http(s) address, got {show(link)}")
        invitations.append(Invitation(get_int(entry, "id", low=1, high=2**31),
                                      get_int(entry, "version", low=1, high=10_000), link))
    return SurveyInvitation(parts["station"], get_str(obj, "checkin", pattern=EVENT_ID_RE, max_len=32),
                            get_str(obj, "member_no", pattern=MEMBER_NO_FIELD_RE, max_len=20), tuple(invitations),
                            get_time(obj))
