"""The dashboard's station cards, each rendered once per what it shows and reused until that changes.

A page of fifty cards is polled every second by every open dashboard; rendering the cards was half
of the fragment's cost at 20,000 stations. Under the field stream a station's card changes every
ten seconds or so (a kiosk heartbeat moves its "last seen"), so between two renders of a view half
a second apart most cards are the same: a render looks each card up by its key and renders only
the cards whose key is new.

The key holds every value a card is drawn from: the station's and its district's stored fields, the
live figures, each device's row with its online state judged at central's now, the kiosk's health
report, the open alarms, the language and whether the viewer may pair (the alarm limits it also uses
are the app's settings, fixed for its life). A card template that used anything else (the clock,
the request) would be served stale, so the card's call block in `_stations.html` must draw only on
these (tests/station_admin/test_board.py compares kept and fresh renders after every kind of change).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app
from markupsafe import Markup

from station_admin.core.models import LiveStation

# Cards kept per web process, least recently shown dropped first: every view's pages a few times over
# (a card is about 2 KB, so at most about 10 MB).
LIMIT = 5000


class CardCache:
    """Rendered cards by key, the least recently used dropped past `limit`."""

    def __init__(self, limit: int = LIMIT):
        self.limit = limit
        self._lock = threading.Lock()
        self._cards: OrderedDict[Hashable, Markup] = OrderedDict()
        self.hits = self.misses = 0

    def card(self, key: Hashable, caller: Callable[[], str]) -> Markup:
        """The card of `key`, rendered by `caller` (the template's call block) when it is not kept."""
        with self._lock:
            html = self._cards.get(key)
            if html is not None:
                self._cards.move_to_end(key)
                self.hits += 1
                return html
            self.misses += 1
        html = Markup(caller())
        with self._lock:
            self._cards[key] = html
            while len(self._cards) > self.limit:
                self._cards.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._cards.clear()


def card_key(live: LiveStation, health, open_alarms: int, lang: str, can_pair: bool) -> tuple:
    """Everything the card of `live` shows, as one hashable value (see the module's note)."""
    station = live.station
    return (lang, can_pair, _fields(station), _fields(station.district), live.people_inside, live.occupancy_at,
            live.check_ins_today, tuple(live.slots),
            # The rows as plain tuples (a model row would hash by its id alone, whatever it holds).
            tuple((tuple(device), live.device_online(device)) for device in live.devices.values()),
            _fields(health) if health is not None else None, open_alarms)


def _fields(row) -> tuple:
    """A model row's stored values with their names."""
    return tuple(sorted(row.__data__.items()))


def card_cache() -> CardCache:
    """This app's cards."""
    return current_app.extensions.setdefault("waystation.cards", CardCache())
