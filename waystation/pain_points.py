"""The pain points a rider can report on the kiosk's feedback screen, as data both apps read.

`config/pain_points.toml` lists them in screen order with zh/en labels; the kiosk offers them and
central names them in its reports (the two never import each other). A `PainPointError` names the
offending entry.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from devices.protocol.events import CODE_RE, MAX_FEEDBACK_CATEGORIES
from waystation.paths import CONFIG_DIR

log = logging.getLogger(__name__)

PAIN_POINTS_PATH = CONFIG_DIR / "pain_points.toml"


class PainPointError(ValueError):
    """The pain-point list breaks a rule; the message names the entry."""


@dataclass(frozen=True)
class PainPoint:
    """One category of problem a rider can report."""

    id: str
    label: dict[str, str]


@dataclass(frozen=True)
class PainPoints:
    """The pain points in screen order."""

    items: tuple[PainPoint, ...]

    @property
    def ids(self) -> list[str]:
        return [p.id for p in self.items]

    def get(self, point_id: str) -> PainPoint | None:
        """The pain point with this id, or None."""
        return next((p for p in self.items if p.id == point_id), None)

    def label(self, point_id: str, lang: str) -> str:
        """The pain point's label in `lang`, or its id when the list no longer has it."""
        point = self.get(point_id)
        return point.label[lang] if point else point_id


def parse_pain_points(data: dict) -> PainPoints:
    """The pain points in a decoded TOML document; PainPointError when it breaks a rule."""
    unknown = set(data) - {"pain_point"}
    if unknown:
        raise PainPointError(f"unknown key {sorted(unknown)[0]!r} (only [[pain_point]] entries)")
    entries = data.get("pain_point")
    if not isinstance(entries, list) or not 0 < len(entries) <= MAX_FEEDBACK_CATEGORIES:
        raise PainPointError(f"pain_point must list 1 to {MAX_FEEDBACK_CATEGORIES} entries")
    items, seen = [], set()
    for n, entry in enumerate(entries):
        where = f"pain_point[{n}]"
        if not isinstance(entry, dict) or set(entry) != {"id", "zh", "en"}:
            raise PainPointError(f"{where} must have exactly the keys id, zh and en")
        point_id = entry["id"]
        if not isinstance(point_id, str) or not CODE_RE.match(point_id) or point_id in seen:
            raise PainPointError(f"{where}.id {point_id!r} is malformed or repeated")
        if not all(isinstance(entry[lang], str) and entry[lang].strip() for lang in ("zh", "en")):
            raise PainPointError(f"{where} ({point_id}) needs a zh and an en label")
        seen.add(point_id)
        items.append(PainPoint(point_id, {"zh": entry["zh"], "en": entry["en"]}))
    return PainPoints(tuple(items))


@cache
def load_pain_points(path: str | None = None) -> PainPoints:
    """The pain points in `path` (default config/pain_points.toml), validated, read once."""
    with Path(path or PAIN_POINTS_PATH).open("rb") as f:
        return parse_pain_points(tomllib.load(f))
