"""Building a survey: the builder form read and checked, drafts saved, versions published and surveys closed.

A draft version may be edited freely; publishing freezes it. Editing a published survey makes a new
draft version (numbered on), so the responses to an old version keep that version's questions.
Every step is audited. Who may build: admins, and federation staff for their own federation and its
districts (the owner); see `owners_for`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from station_admin.core.audit import audit
from station_admin.core.models import District, Federation, StaffUser, Station
from station_admin.members.models import PLATFORMS, WORKER_GROUPS
from station_admin.surveys.models import CHOICE_KINDS, KINDS, QuestionSpec, Survey, SurveyVersion

log = logging.getLogger(__name__)

MAX_QUESTIONS = 20
MAX_CHOICES = 12
TITLE_MAX = 80
QUESTION_MAX = 200
CHOICE_MAX = 80
NUMBER_LIMIT = 1_000_000_000
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SurveyError(ValueError):
    """A survey action that cannot be done; `key` is its message in the locale files."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values


@dataclass
class VersionFacts:
    """What the builder form says a version is."""

    title_zh: str = ""
    title_en: str = ""
    anonymous: bool = True
    starts_on: date | None = None
    ends_on: date | None = None
    groups: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    districts: tuple[str, ...] = ()
    stations: tuple[str, ...] = ()
    questions: list[QuestionSpec] = field(default_factory=list)


@dataclass(frozen=True)
class Owner:
    """Who a survey belongs to: a federation, or one of its districts."""

    federation: Federation
    district: District | None = None

    @property
    def code(self) -> str:
        return f"district:{self.district.code}" if self.district else f"federation:{self.federation.code}"


def owners_for(user: StaffUser) -> list[Owner]:
    """The owners a user may build surveys for (and whose surveys they see)."""
    if user.role == "admin":
        federations = list(Federation.select().order_by(Federation.code))
    elif user.role == "federation" and user.federation_id:
        federations = [Federation.get_by_id(user.federation_id)]
    else:
        return []
    owners = []
    for federation in federations:
        owners.append(Owner(federation))
        owners += [Owner(federation, d) for d in District.select().where(District.federation == federation.id)
                   .order_by(District.code)]
    return owners


def visible_surveys(user: StaffUser):
    """The surveys a user may see and manage: every survey of the federations they may build for."""
    federations = {o.federation.id for o in owners_for(user)}
    return Survey.select().where(Survey.federation.in_(list(federations))).order_by(Survey.id.desc())


def reads_free_text(user: StaffUser, survey: Survey) -> bool:
    """Whether a user may read a survey's free-text answers: only staff of the owner federation
    (the survey's owner scope), never admins or other federations."""
    return user.role == "federation" and user.federation_id == survey.federation_id


def _codes(form, name: str, allowed) -> tuple[tuple[str, ...], bool]:
    chosen = tuple(dict.fromkeys(v[:40] for v in form.getlist(name) if v))
    return chosen, all(c in allowed for c in chosen)


def _date(text: str) -> date | None:
    if not DATE_RE.match(text or ""):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_choices(text: str) -> list[tuple[str, str]] | None:
    """Choice lines "中文 | English", one a line; None when a line lacks one of the two."""
    found = []
    for line in text.splitlines():
        if not line.strip():
            continue
        zh, sep, en = line.partition("|")
        if not sep or not zh.strip() or not en.strip():
            return None
        found.append((" ".join(zh.split()), " ".join(en.split())))
    return found


def parse_form(form, federation: Federation) -> tuple[VersionFacts, list[tuple[str, dict]]]:
    """The builder form as a version, and every problem with it (message key and values)."""
    problems: list[tuple[str, dict]] = []
    facts = VersionFacts(title_zh=" ".join(form.get("title_zh", "").split()),
                         title_en=" ".join(form.get("title_en", "").split()),
                         anonymous=form.get("anonymous") == "yes")
    for lang in ("zh", "en"):
        title = getattr(facts, f"title_{lang}")
        if not title or len(title) > TITLE_MAX:
            problems.append((f"surveys.error.title_{lang}", {"max": TITLE_MAX}))
    facts.starts_on, facts.ends_on = _date(form.get("starts_on", "")), _date(form.get("ends_on", ""))
    if facts.starts_on is None or facts.ends_on is None:
        problems.append(("surveys.error.dates", {}))
    elif facts.ends_on < facts.starts_on:
        problems.append(("surveys.error.ends_before_start", {}))
    districts = {d.code for d in District.select(District.code).where(District.federation == federation.id)}
    stations = {s.code for s in Station.select(Station.code).join(District).where(District.federation == federation.id)}
    for name, allowed in (("groups", WORKER_GROUPS), ("platforms", PLATFORMS), ("districts", districts),
                          ("stations", stations)):
        chosen, ok = _codes(form, f"target_{name}", allowed)
        setattr(facts, name, chosen)
        if not ok:
            problems.append((f"surveys.error.target_{name}", {}))
    for n in range(1, MAX_QUESTIONS + 1):
        question, problem = _question(form, n)
        if problem:
            problems.append(problem)
        if question:
            facts.questions.append(question)
    if not facts.questions:
        problems.append(("surveys.error.no_questions", {}))
    return facts, problems


def _question(form, n: int) -> tuple[QuestionSpec | None, tuple[str, dict] | None]:
    """Question row n of the form: None for a blank row; a problem for one that is half filled in."""
    prefix = f"q{n}_"
    kind = form.get(prefix + "kind", "")
    zh, en = " ".join(form.get(prefix + "zh", "").split()), " ".join(form.get(prefix + "en", "").split())
    choices_text = form.get(prefix + "choices", "")[:4000]
    if not zh and not en and not choices_text.strip():
        return None, None
    if kind not in KINDS:
        return None, ("surveys.error.kind", {"n": n})
    if not zh or not en or len(zh) > QUESTION_MAX or len(en) > QUESTION_MAX:
        return None, ("surveys.error.question_text", {"n": n, "max": QUESTION_MAX})
    choices: tuple = ()
    low = high = None
    if kind in CHOICE_KINDS:
        parsed = parse_choices(choices_text)
        if parsed is None or not 2 <= len(parsed) <= MAX_CHOICES or any(
                len(zh_) > CHOICE_MAX or len(en_) > CHOICE_MAX for zh_, en_ in parsed):
            return None, ("surveys.error.choices", {"n": n, "max": MAX_CHOICES})
        choices = tuple((f"c{i}", zh_, en_) for i, (zh_, en_) in enumerate(parsed, 1))
    if kind == "number":
        try:
            low, high = int(form.get(prefix + "min", "").strip()), int(form.get(prefix + "max", "").strip())
        except ValueError:
            return None, ("surveys.error.number_bounds", {"n": n})
        if not -NUMBER_LIMIT <= low <= high <= NUMBER_LIMIT:
            return None, ("surveys.error.number_bounds", {"n": n})
    return QuestionSpec(f"q{n}", kind, zh, en, choices, low, high), None


def _version_values(facts: VersionFacts) -> dict:
    return {"title_zh": facts.title_zh, "title_en": facts.title_en, "anonymous": facts.anonymous,
            "starts_on": facts.starts_on, "ends_on": facts.ends_on, "target_groups": ",".join(facts.groups),
            "target_platforms": ",".join(facts.platforms), "target_districts": ",".join(facts.districts),
            "target_stations": ",".join(facts.stations),
            "questions_json": json.dumps([q.to_json() for q in _renumbered(facts.questions)], ensure_ascii=False)}


def _renumbered(questions: list[QuestionSpec]) -> list[QuestionSpec]:
    """Questions numbered q1, q2... in their order (blank rows between them leave no gaps)."""
    return [QuestionSpec(f"q{i}", q.kind, q.zh, q.en, q.choices, q.low, q.high) for i, q in enumerate(questions, 1)]


def create(owner: Owner, facts: VersionFacts, user: StaffUser | None, now: datetime) -> Survey:
    """A new survey with its first version as a draft (call inside a transaction)."""
    survey = Survey.create(federation=owner.federation.id, district=owner.district.id if owner.district else None,
                           created_by=user.id if user else None, created_at=now)
    SurveyVersion.create(survey=survey.id, number=1, created_at=now, **_version_values(facts))
    audit("survey.create", "survey", survey.id, actor=user, owner=owner.code, title=facts.title_zh)
    return survey


def save_draft(survey: Survey, facts: VersionFacts, user: StaffUser | None, now: datetime) -> SurveyVersion:
    """Change the draft; with no draft (the survey is published) make a new draft version."""
    if survey.closed:
        raise SurveyError("surveys.error.closed")
    draft = survey.draft()
    values = _version_values(facts)
    if draft is None:
        number = max((v.number for v in survey.versions()), default=0) + 1
        draft = SurveyVersion.create(survey=survey.id, number=number, created_at=now, **values)
    else:
        SurveyVersion.update(**values).where(SurveyVersion.id == draft.id,
                                             SurveyVersion.published_at.is_null()).execute()
    audit("survey.draft", "survey", survey.id, actor=user, version=draft.number, title=facts.title_zh)
    return SurveyVersion.get_by_id(draft.id)


def publish(survey: Survey, user: StaffUser | None, now: datetime) -> SurveyVersion:
    """Publish the draft: from now on it is what kiosks and phones ask, and it never changes."""
    if survey.closed:
        raise SurveyError("surveys.error.closed")
    draft = survey.draft()
    if draft is None:
        raise SurveyError("surveys.error.no_draft")
    SurveyVersion.update(published_at=now, published_by=user.id if user else None).where(
        SurveyVersion.id == draft.id, SurveyVersion.published_at.is_null()).execute()
    audit("survey.publish", "survey", survey.id, actor=user, version=draft.number)
    log.info("survey %s version %d published", survey.id, draft.number)
    return SurveyVersion.get_by_id(draft.id)


def close(survey: Survey, user: StaffUser | None, now: datetime) -> None:
    """Close a survey everywhere: kiosks drop it at the next publish, phones refuse it at once."""
    if survey.closed:
        raise SurveyError("surveys.error.closed")
    Survey.update(closed_at=now).where(Survey.id == survey.id, Survey.closed_at.is_null()).execute()
    audit("survey.close", "survey", survey.id, actor=user)
    log.info("survey %s closed", survey.id)


def facts_of(version: SurveyVersion) -> VersionFacts:
    """A stored version as the builder form shows it."""
    return VersionFacts(version.title_zh, version.title_en, version.anonymous, version.starts_on, version.ends_on,
                        version.target("groups"), version.target("platforms"), version.target("districts"),
                        version.target("stations"), version.questions)
