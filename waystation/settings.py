"""Settings: documented TOML defaults, an optional site file, environment overrides, validated at start."""

from __future__ import annotations

import copy
import logging
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from waystation.paths import CONFIG_DIR

log = logging.getLogger(__name__)

DEFAULTS_PATH = CONFIG_DIR / "defaults.toml"
ENV_PREFIX = "WAYSTATION_"
# Environment names that are not settings keys: the site file's path, and the test suite's own knobs.
ENV_NOT_SETTINGS = ("WAYSTATION_CONFIG",)
ENV_RESERVED_PREFIXES = ("WAYSTATION_TEST_",)
# Short names the issue tracker and the operations guide use for the two most common overrides.
ENV_ALIASES = {
    "WAYSTATION_BROKER_URL": ("broker", "url"),
    "WAYSTATION_DATABASE_URL": ("database", "url"),
}
# Settings that take one of a few values; anything else stops the process with the key's name.
CHOICES = {
    "broker.protocol": ("3.1.1", "5"),
    # docs/workdays.md: the Civil Code's reading (the default), or the next-working-day one.
    "requests.deadline_counting": ("civil_code", "next_working_day"),
}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class ConfigError(Exception):
    """A setting is unknown, missing or of the wrong type; the message names the key."""


class Section(Mapping):
    """A read-only group of settings with attribute access (`settings.kiosk.port`)."""

    def __init__(self, values: dict[str, Any]):
        self._values = {k: Section(v) if isinstance(v, dict) else v for k, v in values.items()}

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def as_dict(self) -> dict[str, Any]:
        """Plain nested dict, for passing settings to a child process or a test."""
        return {k: v.as_dict() if isinstance(v, Section) else v for k, v in self._values.items()}


class Settings(Section):
    """All settings of one process."""

    def require(self, *dotted_keys: str) -> None:
        """Stop with the key's name when a setting this process needs is empty."""
        for dotted in dotted_keys:
            value: Any = self
            for part in dotted.split("."):
                value = value[part]
            if value in ("", None):
                raise ConfigError(f"{dotted}: must be set ({_env_name(dotted)} or the site file)")

    def secret(self, dotted_key: str) -> str:
        """A signing secret: required, at least 32 characters and no placeholder, except in demo mode."""
        section, key = dotted_key.split(".")
        value = self[section][key]
        if self.demo and not value:
            return os.urandom(32).hex()
        if len(value) < 32:
            raise ConfigError(f"{dotted_key}: must be at least 32 characters ({_env_name(dotted_key)})")
        if not self.demo and looks_like_a_placeholder(value):
            raise ConfigError(f"{dotted_key}: looks like a demo or example value, not a secret; use at least 32 "
                              f"random characters, e.g. `python3 -c 'import secrets; print(secrets.token_hex(32))'` "
                              f"({_env_name(dotted_key)})")
        return value


# Words that mark a value copied from a demo, an example or the docs rather than made for this system.
PLACEHOLDER_WORDS = ("demo", "example", "changeme", "change-me", "change_me", "random characters", "secret_key",
                     "data_key", "password")


def looks_like_a_placeholder(value: str) -> bool:
    """Whether a secret reads like a demo, example or docs value (or is too repetitive to be random)."""
    lowered = value.lower()
    return any(word in lowered for word in PLACEHOLDER_WORDS) or len(set(value)) < 10


def load_settings(
    path: str | os.PathLike | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults, then the site file, then the environment, then explicit overrides (tests, CLI flags)."""
    env = os.environ if env is None else env
    schema = _read_toml(DEFAULTS_PATH)
    values = copy.deepcopy(schema)
    path = path or env.get("WAYSTATION_CONFIG")
    if path:
        _merge(values, schema, _read_toml(Path(path)), source=str(path))
    _merge(values, schema, _from_env(schema, env), source="environment")
    if overrides:
        _merge(values, schema, overrides, source="overrides")
    _check_choices(values)
    return Settings(values)


def _check_choices(values: dict) -> None:
    for dotted, allowed in CHOICES.items():
        section, _, key = dotted.rpartition(".")
        value = values[section][key]
        if value not in allowed:
            raise ConfigError(f"{dotted}: must be one of {', '.join(map(repr, allowed))}, got {value!r}")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None


def _merge(values: dict, schema: dict, new: Mapping, source: str, prefix: str = "") -> None:
    for key, value in new.items():
        dotted = f"{prefix}{key}"
        if key not in schema:
            raise ConfigError(f"{dotted}: unknown setting (from {source})")
        if isinstance(schema[key], dict):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{dotted}: must be a table of settings (from {source})")
            _merge(values[key], schema[key], value, source, prefix=f"{dotted}.")
        else:
            values[key] = _check_type(dotted, schema[key], value, source)


def _check_type(dotted: str, default: Any, value: Any, source: str) -> Any:
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if type(value) is not expected:
        raise ConfigError(f"{dotted}: expected {expected.__name__}, got {value!r} (from {source})")
    return value


def _from_env(schema: dict, env: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, raw in env.items():
        if not name.startswith(ENV_PREFIX) or name in ENV_NOT_SETTINGS:
            continue
        if name.startswith(ENV_RESERVED_PREFIXES):
            continue
        path = ENV_ALIASES.get(name) or _env_path(schema, name)
        if path is None:
            raise ConfigError(f"{name}: unknown setting (from environment)")
        default = schema
        for part in path:
            default = default[part]
        target = found
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = _parse_env(name, default, raw)
    return found


def _env_path(schema: dict, name: str) -> tuple[str, ...] | None:
    rest = name[len(ENV_PREFIX):].lower()
    if rest in schema and not isinstance(schema[rest], dict):
        return (rest,)
    section, _, key = rest.partition("_")
    if isinstance(schema.get(section), dict) and key in schema[section]:
        return (section, key)
    return None


def _parse_env(name: str, default: Any, raw: str) -> Any:
    if isinstance(default, bool):
        if raw.lower() in _TRUE:
            return True
        if raw.lower() in _FALSE:
            return False
        raise ConfigError(f"{name}: expected true or false, got {raw!r}")
    if isinstance(default, (int, float)):
        try:
            return type(default)(raw)
        except ValueError:
            raise ConfigError(f"{name}: expected {type(default).__name__}, got {raw!r}") from None
    return raw


def _env_name(dotted: str) -> str:
    return ENV_PREFIX + dotted.replace(".", "_").upper()
