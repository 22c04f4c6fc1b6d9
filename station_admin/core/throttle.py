"""One limiter for every guessable door: sign-in, tracking, joining, card-link recovery, redeeming, pairing.

Each counted event (a wrong password, a wrong tracking code, a join...) is a row in the database,
so every web process sees the same counts. An action names its limits, one per scope (the account
from one address, the address, the join link, the phone...), each of one of two kinds:

- a *window*: at most `allowed` events within `window`; then refused until the oldest has aged out;
- a *growing delay*: `allowed` events are free, then each further try waits 1 s, 2, 4... (at most
  `window`) after the last one. The door never closes, it only slows down: right for sign-in,
  where a hard lock would let an attacker shut the owner out.

Keys are stored as keyed hashes (central's secret key), so the table holds no phone number or address.
The event that reaches a limit is audited once.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import peewee
from flask import current_app

from station_admin.core.audit import audit
from station_admin.core.models import BaseModel
from waystation.db import UTCDateTimeField
from waystation.web import current_settings

log = logging.getLogger(__name__)
SIGN_IN, TRACK, JOIN, RECOVER, REDEEM, PAIR = "sign_in", "track", "join", "recover", "redeem", "pair"


class ThrottleEvent(BaseModel):
    """One counted event of an action under one scope's key (a failure, or a join)."""

    action = peewee.CharField()  # sign_in, track, join, recover, redeem, pair
    scope = peewee.CharField()  # account_address, address, code, link, phone, member_no, shop
    key = peewee.CharField(max_length=64)  # keyed hash of the scope's value
    at = UTCDateTimeField()

    class Meta:
        table_name = "throttle_event"
        indexes = ((("action", "scope", "key", "at"), False),)


@dataclass(frozen=True)
class Limit:
    """How many events one scope's key may have: within a window, or free before a growing delay."""

    scope: str
    allowed: int
    window: timedelta
    growing: bool = False
    max_delay: timedelta | None = None  # growing delays only: the longest wait (default: the window)

    def wait(self, times: list[datetime], now: datetime) -> float:
        """Seconds until the next try is allowed under this limit (0: now), given the key's event times."""
        recent = sorted(t for t in times if t > now - self.window)
        if len(recent) < self.allowed:
            return 0.0
        if self.growing:
            delay = min(2.0 ** (len(recent) - self.allowed), (self.max_delay or self.window).total_seconds())
            return max(0.0, (recent[-1] + timedelta(seconds=delay) - now).total_seconds())
        return max(0.0, (recent[len(recent) - self.allowed] + self.window - now).total_seconds())


@dataclass(frozen=True)
class Held:
    """A refused try: which scope held it and for how long (whole minutes and seconds, for the message)."""

    scope: str
    seconds: float

    @property
    def minutes(self) -> int:
        """The wait in whole minutes, rounded up (at least 1), for messages that speak in minutes."""
        return max(1, math.ceil(self.seconds / 60))

    @property
    def whole_seconds(self) -> int:
        """The wait in whole seconds, rounded up (at least 1)."""
        return max(1, math.ceil(self.seconds))


def limits(action: str) -> list[Limit]:
    """The limits of one action, from the settings: the one place that says how each door is guarded."""
    settings = current_settings()
    central, requests, members = settings.central, settings.requests, settings.members
    minutes = timedelta(minutes=1)
    if action == SIGN_IN:
        window, longest = central.signin_window_minutes * minutes, timedelta(seconds=central.signin_max_delay_seconds)
        return [Limit("account_address", central.signin_free_failures, window, growing=True, max_delay=longest),
                Limit("address", central.signin_address_free_failures, window, growing=True, max_delay=longest)]
    if action == TRACK:
        window = requests.track_window_minutes * minutes
        return [Limit("address", requests.track_max_failures, window),
                Limit("code", requests.track_max_failures, window, growing=True)]
    if action == JOIN:
        window = members.join_window_minutes * minutes
        return [Limit("link", members.joins_per_link, members.join_form_minutes * minutes),
                Limit("address", members.joins_per_address, window),
                Limit("phone", members.joins_per_phone, window)]
    if action == RECOVER:
        window = members.recover_window_minutes * minutes
        return [Limit("member_no", members.recover_failures_per_member, window),
                Limit("address", members.recover_failures_per_address, window)]
    if action == REDEEM:
        return [Limit("shop", settings.community.redeem_max_failures,
                      settings.community.redeem_window_minutes * minutes)]
    if action == PAIR:
        return [Limit("address", settings.pairing.max_failures, settings.pairing.window_minutes * minutes)]
    raise ValueError(f"no such throttled action: {action}")


def _hash(value: str) -> str:
    return hmac.new(current_app.secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()


def _times(action: str, scope: str, value: str, since: datetime) -> list[datetime]:
    return [row.at for row in ThrottleEvent.select(ThrottleEvent.at).where(
        ThrottleEvent.action == action, ThrottleEvent.scope == scope, ThrottleEvent.key == _hash(value),
        ThrottleEvent.at > since)]


def held(action: str, keys: dict[str, str], now: datetime) -> Held | None:
    """Whether a try of `action` with these keys (scope -> value) must wait, and how long; None: go ahead."""
    longest = None
    for limit in limits(action):
        if limit.scope not in keys:
            continue
        seconds = limit.wait(_times(action, limit.scope, keys[limit.scope], now - limit.window), now)
        if seconds > 0 and (longest is None or seconds > longest.seconds):
            longest = Held(limit.scope, seconds)
    if longest is not None:
        log.warning("%s held for %.0f s by its %s limit", action, longest.seconds, longest.scope)
    return longest


def count(action: str, keys: dict[str, str], now: datetime, subject: str = "") -> None:
    """Count one event of `action` against each scope's key; audit the event that reaches a limit.

    Call inside the caller's transaction. Events older than a day beyond every window are dropped.
    """
    guards = limits(action)
    for limit in guards:
        if limit.scope not in keys:
            continue
        value = keys[limit.scope]
        ThrottleEvent.create(action=action, scope=limit.scope, key=_hash(value), at=now)
        if len(_times(action, limit.scope, value, now - limit.window)) == limit.allowed:
            audit("throttle.reached", "throttle", action, scope=limit.scope, subject=subject[:100])
    horizon = max((limit.window for limit in guards), default=timedelta(0)) + timedelta(days=1)
    ThrottleEvent.delete().where(ThrottleEvent.action == action, ThrottleEvent.at < now - horizon).execute()


def clear(action: str, scope: str, value: str) -> None:
    """Forget a key's events (a right password ends that account's and address's count)."""
    ThrottleEvent.delete().where(ThrottleEvent.action == action, ThrottleEvent.scope == scope,
                                 ThrottleEvent.key == _hash(value)).execute()


MODELS = [ThrottleEvent]
