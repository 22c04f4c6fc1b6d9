"""The service catalogue: which services a rider can ask for, their questions and routing, as data.

Kiosk and central both read `config/services.toml` through this module (they never import each
other). It is validated when loaded; a `ServiceCatalogueError` names the offending key.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from waystation.paths import CONFIG_DIR

log = logging.getLogger(__name__)

SERVICES_PATH = CONFIG_DIR / "services.toml"
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
OPEN311_CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
ROUTINGS = ("rider_district", "station_district")
LANGS = ("zh", "en")


class ServiceCatalogueError(ValueError):
    """The service catalogue breaks a rule; the message names the key."""


@dataclass(frozen=True)
class Choice:
    """One answer a rider can pick; `divert` (zh/en advice) ends the flow without a request."""

    id: str
    label: dict[str, str]
    divert: dict[str, str] | None = None


@dataclass(frozen=True)
class Question:
    """A question the kiosk asks, answered by one choice."""

    id: str
    text: dict[str, str]
    choices: tuple[Choice, ...]

    def choice(self, choice_id: str) -> Choice | None:
        """The choice with this id, or None."""
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class Service:
    """A service type with its routing, deadline, sensitivity and questions."""

    code: str
    open311_code: str
    name: dict[str, str]
    description: dict[str, str]
    group: dict[str, str]
    keywords: tuple[str, ...]
    first_contact_working_days: int
    routing: str
    sensitive: bool
    follow_ups: bool
    questions: tuple[Question, ...]

    def question(self, question_id: str) -> Question | None:
        """The question with this id, or None."""
        return next((q for q in self.questions if q.id == question_id), None)

    def answer_problems(self, answers: dict[str, str]) -> list[str]:
        """What is wrong with a set of answers (empty when they are complete and valid)."""
        problems = [f"unknown question {qid!r}" for qid in answers if self.question(qid) is None]
        for question in self.questions:
            given = answers.get(question.id)
            if given is None:
                problems.append(f"question {question.id!r} is not answered")
                continue
            choice = question.choice(given)
            if choice is None:
                problems.append(f"question {question.id!r} has no choice {given!r}")
            elif choice.divert:
                problems.append(f"choice {given!r} of {question.id!r} diverts: no request is filed for it")
        return problems

    def labelled_answers(self, answers: dict[str, str], lang: str) -> list[tuple[str, str]]:
        """(question text, choice label) pairs in the question order, for staff screens."""
        rows = []
        for question in self.questions:
            choice = question.choice(answers.get(question.id, ""))
            rows.append((question.text[lang], choice.label[lang] if choice else answers.get(question.id, "—")))
        return rows


@dataclass(frozen=True)
class Catalogue:
    """Every service, and the best-time-to-call choices."""

    services: dict[str, Service]
    best_times: tuple[Choice, ...]

    def get(self, code: str) -> Service | None:
        """The service with this code, or None."""
        return self.services.get(code)

    def by_open311_code(self, code: str) -> Service | None:
        """The service published under this Open311 service_code, or None."""
        return next((s for s in self.services.values() if s.open311_code == code), None)

    def best_time(self, choice_id: str) -> Choice | None:
        """The best-time choice with this id, or None."""
        return next((c for c in self.best_times if c.id == choice_id), None)

    def request_problems(self, service_code: str, answers: dict[str, str], best_time: str) -> list[str]:
        """What is wrong with a filed request's service, answers and best time (empty when valid)."""
        service = self.get(service_code)
        if service is None:
            return [f"unknown service {service_code!r}; known: {sorted(self.services)}"]
        problems = service.answer_problems(answers)
        if self.best_time(best_time) is None:
            problems.append(f"unknown best time {best_time!r}")
        return problems


@cache
def load_services(path: str | Path | None = None) -> Catalogue:
    """The catalogue from `path` (default config/services.toml), validated; cached per path."""
    path = Path(path or SERVICES_PATH)
    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ServiceCatalogueError(f"{path}: service catalogue not found") from None
    except tomllib.TOMLDecodeError as e:
        raise ServiceCatalogueError(f"{path}: not valid TOML: {e}") from None
    try:
        catalogue = parse_catalogue(raw)
    except ServiceCatalogueError as e:
        raise ServiceCatalogueError(f"{path}: {e}") from None
    log.info("service catalogue %s: %s", path.name, ", ".join(catalogue.services))
    return catalogue


def parse_catalogue(raw: dict) -> Catalogue:
    """A Catalogue from the parsed TOML; ServiceCatalogueError naming the key when a rule is broken."""
    _only(raw, "", {"best_time", "service"})
    best_times = tuple(_choice(c, f"best_time[{n}]") for n, c in enumerate(_list(raw, "best_time", "")))
    _unique([c.id for c in best_times], "best_time")
    services: dict[str, Service] = {}
    for n, entry in enumerate(_list(raw, "service", "")):
        service = _service(entry, f"service[{n}]")
        if service.code in services:
            raise ServiceCatalogueError(f"service[{n}].code: {service.code!r} is defined twice")
        services[service.code] = service
    _unique([s.open311_code for s in services.values()], "service[].open311_code")
    return Catalogue(services, best_times)


def _service(entry, key: str) -> Service:
    if not isinstance(entry, dict):
        raise ServiceCatalogueError(f"{key}: must be a table")
    _only(entry, key, {"code", "open311_code", "name", "description", "group", "keywords",
                       "first_contact_working_days", "routing", "sensitive", "follow_ups", "questions"})
    code = _str(entry, "code", key, CODE_RE)
    days = entry.get("first_contact_working_days")
    if type(days) is not int or not 1 <= days <= 30:
        raise ServiceCatalogueError(f"{key}.first_contact_working_days: must be a whole number from 1 to 30")
    routing = entry.get("routing")
    if routing not in ROUTINGS:
        raise ServiceCatalogueError(f"{key}.routing: must be one of {list(ROUTINGS)}, got {routing!r}")
    for flag in ("sensitive", "follow_ups"):
        if type(entry.get(flag)) is not bool:
            raise ServiceCatalogueError(f"{key}.{flag}: must be true or false")
    keywords = entry.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k and "," not in k for k in keywords):
        raise ServiceCatalogueError(f"{key}.keywords: must be a list of words without commas")
    questions = tuple(_question(q, f"{key}.questions[{i}]") for i, q in enumerate(_list(entry, "questions", key)))
    _unique([q.id for q in questions], f"{key}.questions")
    return Service(code, _str(entry, "open311_code", key, OPEN311_CODE_RE), _text(entry, "name", key),
                   _text(entry, "description", key), _text(entry, "group", key), tuple(keywords), days, routing,
                   entry["sensitive"], entry["follow_ups"], questions)


def _question(entry, key: str) -> Question:
    if not isinstance(entry, dict):
        raise ServiceCatalogueError(f"{key}: must be a table")
    _only(entry, key, {"id", "text", "choices"})
    choices = tuple(_choice(c, f"{key}.choices[{i}]") for i, c in enumerate(_list(entry, "choices", key)))
    _unique([c.id for c in choices], f"{key}.choices")
    if not any(c.divert is None for c in choices):
        raise ServiceCatalogueError(f"{key}.choices: at least one choice must file a request (no divert)")
    return Question(_str(entry, "id", key, CODE_RE), _text(entry, "text", key), choices)


def _choice(entry, key: str) -> Choice:
    if not isinstance(entry, dict):
        raise ServiceCatalogueError(f"{key}: must be a table")
    _only(entry, key, {"id", "label", "divert"})
    divert = _text(entry, "divert", key) if "divert" in entry else None
    return Choice(_str(entry, "id", key, CODE_RE), _text(entry, "label", key), divert)


def _list(entry: dict, name: str, key: str) -> list:
    value = entry.get(name)
    where = f"{key}.{name}" if key else name
    if not isinstance(value, list) or not value:
        raise ServiceCatalogueError(f"{where}: must be a non-empty list")
    return value


def _str(entry: dict, name: str, key: str, pattern: re.Pattern) -> str:
    value = entry.get(name)
    if not isinstance(value, str) or not pattern.match(value):
        raise ServiceCatalogueError(f"{key}.{name}: must match {pattern.pattern}, got {value!r}")
    return value


def _text(entry: dict, name: str, key: str) -> dict[str, str]:
    value = entry.get(name)
    if not isinstance(value, dict):
        raise ServiceCatalogueError(f"{key}.{name}: must be a table with zh and en texts")
    for lang in LANGS:
        if not isinstance(value.get(lang), str) or not value[lang].strip():
            raise ServiceCatalogueError(f"{key}.{name}.{lang}: text missing")
    extra = set(value) - set(LANGS)
    if extra:
        raise ServiceCatalogueError(f"{key}.{name}: unknown language {sorted(extra)[0]!r}")
    return {lang: value[lang] for lang in LANGS}


def _only(entry: dict, key: str, allowed: set[str]) -> None:
    for name in entry:
        if name not in allowed:
            raise ServiceCatalogueError(f"{key + '.' if key else ''}{name}: unknown key")


def _unique(ids: list[str], key: str) -> None:
    seen = set()
    for value in ids:
        if value in seen:
            raise ServiceCatalogueError(f"{key}: {value!r} is used twice")
        seen.add(value)
