"""What every message family shares: topic patterns, the JSON envelope, field checks, times."""

from __future__ import annotations

import json
import re
import reprlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 16384
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
EVENT_ID_RE = re.compile(r"^[0-9a-f]{32}$")
# No family nests deeper than a few levels; anything deeper is refused, even in a field nobody reads.
MAX_DEPTH = 16
SLOT_RE = re.compile(r"[1-9][0-9]?")
# The one time form on the wire: no offset but Z, no date-only or week forms fromisoformat would take.
TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?Z")
# Patterns are matched whole (fullmatch): `$` alone would let a value end in a newline.
_SHOWN = reprlib.Repr()
_SHOWN.maxstring = _SHOWN.maxother = 80
_SHOWN.maxlevel = 3


class ProtocolError(ValueError):
    """A topic or payload that breaks the wire contract; the message says which rule."""


def _plan_part(part: str) -> tuple[str | None, str]:
    """(name, kind) of a named part (`{slot:int}`: ("slot", "int"); `{station}`: ("station", "")), else (None, part)."""
    if not part.startswith("{"):
        return None, part
    name, _, kind = part[1:-1].partition(":")
    return name, kind


class TopicPattern:
    """A topic below the root with named parts: ids (`{station}`) or slot numbers (`{slot:int}`)."""

    def __init__(self, template: str):
        self.template = template
        # Per part: (None, literal) or (name, kind), worked out once (match runs on every message received).
        self._plan = tuple(_plan_part(part) for part in template.split("/"))
        self.names = tuple(name for name, _ in self._plan if name is not None)

    @property
    def filter(self) -> str:
        """The subscription filter: every named part becomes `+`."""
        return self.filter_with()

    def filter_with(self, **fixed: Any) -> str:
        """A subscription filter with some named parts fixed (`filter_with(station="s1")`), the rest `+`."""
        return self._fill(lambda name, kind: str(_check_part(name, kind, str(fixed[name]))) if name in fixed else "+")

    def format(self, **values: Any) -> str:
        """The topic for these values, each checked as on the way in."""
        return self._fill(lambda name, kind: str(_check_part(name, kind, str(values[name]))))

    def _fill(self, named: Callable[[str, str], str]) -> str:
        """The pattern with each named part replaced by `named(name, kind)`."""
        return "/".join(part if name is None else named(name, part) for name, part in self._plan)

    def parts(self, topic: str) -> dict[str, Any]:
        """The named parts of a topic; ProtocolError when it does not fit the pattern."""
        found = self.match(topic)
        # A pattern without named parts matches with an empty dict, so test for None, not truth.
        return _no_match(self, topic) if found is None else found

    def match(self, topic: str) -> dict[str, Any] | None:
        """The named parts of a topic that fits the pattern, or None when it does not fit."""
        parts = topic.split("/")
        if len(parts) != len(self._plan):
            return None
        found: dict[str, Any] = {}
        for (name, want), got in zip(self._plan, parts, strict=True):
            if name is not None:
                found[name] = _check_part(name, want, got)
            elif want != got:
                return None
        return found


class Message:
    """Base of every family's frozen message class: QoS, retain flag, and the topic from its fields."""

    PATTERN: ClassVar[TopicPattern]
    QOS: ClassVar[int] = 1
    RETAIN: ClassVar[bool] = False

    @property
    def topic(self) -> str:
        """The topic below the root, from the family's pattern and this message's fields."""
        return self.PATTERN.format(**{name: getattr(self, name) for name in self.PATTERN.names})


def _no_match(pattern: TopicPattern, topic: str):
    raise ProtocolError(f"topic {topic!r} does not fit {pattern.template!r}")


def show(value: Any) -> str:
    """A short, safe repr of a payload value for an error message (bounded in length and depth)."""
    return _SHOWN.repr(value)


def _check_part(name: str, kind: str, value: str) -> str | int:
    if kind == "int":
        # ASCII digits only: str.isdigit() also takes "²" and "١", which int() refuses or reads.
        if not SLOT_RE.fullmatch(value) or not 1 <= int(value) <= 64:
            raise ProtocolError(f"topic part {name} must be a number from 1 to 64, got {show(value)}")
        return int(value)
    if not ID_RE.fullmatch(value):
        raise ProtocolError(f"topic part {name} must be lower-case letters, digits, - or _, got {show(value)}")
    return value


def _no_constant(name: str):
    raise ProtocolError(f"payload holds {name}, which is not JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ProtocolError(f"payload holds a number too large for a float: {show(text)}")
    return value


def _bounded_int(text: str) -> int:
    # Python refuses to convert more than 4,300 digits (ValueError); no field needs more than 64 bits.
    if len(text.lstrip("-")) > 19:
        raise ProtocolError(f"payload holds a number too large: {show(text)}")
    return int(text)


def _depth_within(obj: Any, limit: int) -> bool:
    """Whether a decoded JSON value nests at most `limit` levels (iterative: no recursion to exhaust)."""
    stack = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        if depth > limit:
            return False
        stack.extend((inner, depth + 1) for inner in value if isinstance(inner, (dict, list)))
    return True


def decode(payload: bytes, max_bytes: int = MAX_PAYLOAD_BYTES) -> dict[str, Any]:
    """The JSON object in a payload, after the size, encoding and schema-version checks."""
    if not isinstance(payload, (bytes, bytearray)):
        raise ProtocolError(f"payload must be bytes, got {type(payload).__name__}")
    if len(payload) > max_bytes:
        raise ProtocolError(f"payload of {len(payload)} bytes is over the {max_bytes}-byte limit")
    try:
        # NaN and Infinity are refused: Python's json takes them, no other JSON reader does.
        obj = json.loads(payload.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float,
                         parse_int=_bounded_int)
    except RecursionError:
        # Deep nesting (a few thousand brackets) exhausts the parser's stack well under the size limit.
        raise ProtocolError("payload is nested too deeply") from None
    except ValueError as e:
        # UnicodeDecodeError, JSONDecodeError and the int-digits limit are all ValueErrors.
        if isinstance(e, ProtocolError):
            raise
        raise ProtocolError(f"payload is not UTF-8 JSON: {show(str(e))}") from None
    if not isinstance(obj, dict):
        raise ProtocolError("payload must be a JSON object")
    # A value cannot nest deeper than the payload has opening brackets: most payloads are not walked at all.
    if payload.count(b"{") + payload.count(b"[") > MAX_DEPTH and not _depth_within(obj, MAX_DEPTH):
        raise ProtocolError(f"payload is nested too deeply (more than {MAX_DEPTH} levels)")
    version = obj.get("v")
    if version != SCHEMA_VERSION:
        raise ProtocolError(f"schema version {show(version)} is not supported (this side speaks {SCHEMA_VERSION})")
    return obj


def encode(fields: dict[str, Any]) -> bytes:
    """The payload for these fields, with the schema version first."""
    return json.dumps({"v": SCHEMA_VERSION, **fields}, ensure_ascii=False, separators=(",", ":")).encode()


def get_int(obj: dict, name: str, *, low: int = 0, high: int = 2**53, default: int | None = None) -> int:
    """An integer field within [low, high]."""
    value = obj.get(name, default)
    if type(value) is not int or not low <= value <= high:
        raise ProtocolError(f"field {name} must be a whole number from {low} to {high}, got {show(value)}")
    return value


def get_str(obj: dict, name: str, *, choices=None, pattern: re.Pattern | None = None, max_len: int = 200,
            optional: bool = False) -> str | None:
    """A string field, optionally one of `choices` or matching `pattern`."""
    value = obj.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= max_len:
        raise ProtocolError(f"field {name} must be a string of 1 to {max_len} characters, got {show(value)}")
    if choices is not None and value not in choices:
        raise ProtocolError(f"field {name} must be one of {sorted(choices)}, got {show(value)}")
    if pattern is not None and not pattern.fullmatch(value):
        raise ProtocolError(f"field {name} has the wrong form: {show(value)}")
    return value


def get_time(obj: dict, name: str = "ts") -> datetime:
    """A UTC timestamp field in ISO 8601 (`2026-11-21T06:30:00.000Z`)."""
    value = obj.get(name)
    if not isinstance(value, str) or not TIME_RE.fullmatch(value):
        raise ProtocolError(f"field {name} must be an ISO 8601 UTC time ending in Z, got {show(value)}")
    try:
        return datetime.fromisoformat(value[:-1] + "+00:00")  # UTC in the parse: replace() costs ten times it
    except ValueError:
        raise ProtocolError(f"field {name} is not a valid time: {show(value)}") from None


def get_text(obj: dict, name: str, *, max_len: int = 200) -> dict[str, str]:
    """A text in both screen languages: {"zh": ..., "en": ...}."""
    value = obj.get(name)
    if not isinstance(value, dict) or set(value) != {"zh", "en"}:
        raise ProtocolError(f"field {name} must be an object with exactly zh and en texts")
    for lang in ("zh", "en"):
        get_str(value, lang, max_len=max_len)
    return {"zh": value["zh"], "en": value["en"]}


def format_time(moment: datetime) -> str:
    """A datetime as the wire's UTC ISO 8601 form with milliseconds."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utcnow() -> datetime:
    """Now, in UTC, to the millisecond (what survives a round trip through the wire)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
