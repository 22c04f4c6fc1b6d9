"""Results shared for a few seconds between the requests of one web process (the dashboard's figures, the
membership of its live-filtered pages, its rendered fragments), each computed by one request at a time."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from flask import current_app, has_app_context

from station_admin.core.models import db

log = logging.getLogger(__name__)

MAX_KEYS = 1000  # a process holding more (many users' views) starts again empty


class SharedResults:
    """Values by key, each computed at most once per `seconds` in this process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._computing: dict[Hashable, threading.Lock] = {}
        self._generation = 0  # raised by forget(): what was computed before it is not kept

    def forget(self) -> None:
        """Drop every value (the stations themselves changed); one being computed now is returned, not kept."""
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def _fresh(self, key: Hashable, seconds: float):
        entry = self._entries.get(key)
        return entry if entry and time.monotonic() - entry[0] < seconds else None

    def get(self, key: Hashable, seconds: float, compute: Callable[[], Any], *, ahead: bool = False) -> Any:
        """The value of `key` computed less than `seconds` ago, else `compute()`'s (stored for the next).

        While one request computes a new value, the others of the same key get the previous one
        (at most a computation older) instead of waiting; only the very first computation is waited for.
        With `ahead` (for a `compute` that needs only the database, no request), the request that finds
        the value stale does not wait either: it gets the previous value, and a thread of its own
        computes the next (at 20,000 stations the dashboard's figures take 0.4 s, which would otherwise
        fall on one poll in every `seconds` — the slowest request of all).
        """
        if seconds <= 0:
            return compute()
        with self._lock:
            fresh = self._fresh(key, seconds)
            if fresh:
                return fresh[1]
            entry = self._entries.get(key)  # stale, or None before the first computation
            computing = self._computing.setdefault(key, threading.Lock())
        if not computing.acquire(blocking=entry is None):
            return entry[1]  # another request is computing it: the previous value meanwhile
        if ahead and entry is not None:
            threading.Thread(target=self._compute_ahead, args=(key, seconds, compute, computing),
                             name="shared-results", daemon=True).start()
            return entry[1]
        try:
            return self._compute(key, seconds, compute, computing)
        finally:
            computing.release()

    def _compute(self, key: Hashable, seconds: float, compute: Callable[[], Any], computing: threading.Lock) -> Any:
        with self._lock:
            fresh = self._fresh(key, seconds)
            if fresh:
                return fresh[1]
            generation = self._generation
        value = compute()
        with self._lock:
            if generation != self._generation:
                return value
            if len(self._entries) >= MAX_KEYS:
                self._entries.clear()
                self._computing = {key: computing}
            self._entries[key] = (time.monotonic(), value)
        return value

    def _compute_ahead(self, key: Hashable, seconds: float, compute: Callable[[], Any],
                       computing: threading.Lock) -> None:
        """On its own thread, with a database connection of its own; a failure keeps the previous value
        (logged), and the next request to find it stale tries again."""
        try:
            with db.connection_context():
                self._compute(key, seconds, compute, computing)
        except Exception:  # noqa: BLE001 - a thread's failure would otherwise go unseen
            log.exception("computing the shared result %r failed; the previous value stays", key)
        finally:
            computing.release()


def shared_results() -> SharedResults:
    """This app's shared results."""
    return current_app.extensions.setdefault("waystation.shared_results", SharedResults())


def stations_changed() -> None:
    """A station was added, changed, closed or reopened: this web process's dashboards show it at their next
    poll (other processes' within their shared results' seconds). Nothing to do outside a web app (the CLI)."""
    if has_app_context():
        shared_results().forget()
