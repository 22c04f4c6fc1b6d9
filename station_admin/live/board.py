"""The station board: a page of the stations in a user's scope, searched, filtered and sorted in the database.

Everything a filter or a sort needs is an SQL expression over the station row (correlated subqueries
on indexed live-state tables, migration 23), so a page costs the same few queries whatever the number
of stations: the page's rows (LIMIT), their count (the dashboard's pager), and the live state, open
alarms and health of those rows alone. The default order (district, code) walks indexes; a filter or
a sort on a live figure evaluates its expression over the scope's stations, still in one statement.
Nothing loads every station into Python.

"Online" is judged here by central's clock: a kiosk that said it is online and was heard (heartbeat,
else its availability) within `alarms.heartbeat_timeout_s`, the rule the device_offline alarm uses.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, fields
from datetime import datetime, timedelta

import peewee
from peewee import SQL, Case, fn

from station_admin.core.models import (
    ChargerSlotState,
    DeviceState,
    District,
    LiveStation,
    StaffUser,
    Station,
    StationLive,
    live_stations,
)
from station_admin.live.alarms import Alarm

# Sort names (a leading "-" reverses one); the code breaks ties, so the order is total and a cursor stable.
SORTS = ("district", "code", "name", "occupancy", "free", "alarms", "last_seen")
LIVE_SORTS = ("occupancy", "free", "alarms", "last_seen")
ONLINE_CHOICES = ("", "yes", "no")
OCCUPANCY_CHOICES = ("", "full", "room")  # at or over the occupancy alarm's share / below it
CHARGER_CHOICES = ("", "free")  # at least one slot free
MAX_LIMIT = 200  # stations in one API page at most
MAX_SEARCH = 64  # characters of a search
EPOCH_TEXT = "1970-01-01 00:00:00.000000"  # "never heard" in the last_seen order (before any real time)


class BoardError(ValueError):
    """A parameter of the board the caller sent wrong; `key` names the message to show."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class BoardQuery:
    """What the user asked the board for: search, filters and order (the page or cursor apart)."""

    q: str = ""
    district: str = ""
    online: str = ""
    alarms: str = ""  # "open": only stations with an open alarm
    occupancy: str = ""
    chargers: str = ""
    sort: str = "district"

    @classmethod
    def from_args(cls, args) -> BoardQuery:
        """The query in request arguments; BoardError for any value the board does not know."""
        q = " ".join(args.get("q", "").split())
        if len(q) > MAX_SEARCH:
            raise BoardError("board.bad_search", max=MAX_SEARCH)
        online = {"true": "yes", "false": "no"}.get(args.get("online", ""), args.get("online", ""))
        query = cls(q=q, district=args.get("district", "").strip(), online=online,
                    alarms=args.get("alarms", ""), occupancy=args.get("occupancy", ""),
                    chargers=args.get("chargers", ""), sort=args.get("sort", "") or "district")
        for name, choices in (("online", ONLINE_CHOICES), ("alarms", ("", "open")),
                              ("occupancy", OCCUPANCY_CHOICES), ("chargers", CHARGER_CHOICES)):
            if getattr(query, name) not in choices:
                raise BoardError("board.bad_choice", name=name, value=getattr(query, name)[:40])
        if query.sort.removeprefix("-") not in SORTS:
            raise BoardError("board.bad_sort", value=query.sort[:40], choices=", ".join(SORTS))
        if query.district and not District.select().where(District.code == query.district).exists():
            raise BoardError("board.bad_district", value=query.district[:40])
        return query

    @property
    def sort_key(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def live(self) -> bool:
        """Whether which stations it keeps, or their order, depends on live figures."""
        return bool(self.online or self.alarms or self.occupancy or self.chargers) or self.sort_key in LIVE_SORTS

    @property
    def filtered(self) -> bool:
        """Whether a search or a filter narrows the scope."""
        return any(getattr(self, f.name) for f in fields(self) if f.name != "sort")

    def args(self, **extra) -> dict:
        """The query as URL arguments (plus `extra`, e.g. a page), leaving out what is at its default."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values = {k: v for k, v in values.items() if v and not (k == "sort" and v == "district")}
        return {**values, **extra}


def scalar(subquery) -> peewee.NodeList:
    """A correlated subquery as a value that takes arithmetic and comparisons."""
    return peewee.NodeList((subquery,))


class Figures:
    """The SQL expressions of one station's live figures, judged at central's `now`."""

    def __init__(self, now: datetime, heartbeat_timeout_s: int, occupancy_percent: int, lang: str):
        stale_before = now - timedelta(seconds=heartbeat_timeout_s)
        self.occupancy_percent = occupancy_percent
        kiosk = DeviceState.alias("board_kiosk")
        heard = ((kiosk.heartbeat_at >= stale_before)
                 | (kiosk.heartbeat_at.is_null() & (kiosk.changed_at >= stale_before)))
        self.online = fn.EXISTS(kiosk.select(SQL("1")).where(
            kiosk.station_code == Station.code, kiosk.kind == "kiosk", kiosk.online == True, heard))  # noqa: E712
        seen = DeviceState.alias("board_seen")
        self.last_seen = fn.COALESCE(scalar(
            seen.select(fn.MAX(fn.COALESCE(seen.heartbeat_at, seen.changed_at)))
            .where(seen.station_code == Station.code, seen.kind == "kiosk")), EPOCH_TEXT)
        live = StationLive.alias("board_live")
        self.people = scalar(live.select(live.people_inside).where(live.station_code == Station.code))
        # Per mille of the seats taken; -1 when no counter has reported (last in a busiest-first order).
        self.occupancy = fn.COALESCE(self.people * 1000 / fn.NULLIF(Station.capacity, 0), -1)
        slots = ChargerSlotState.alias("board_slots")
        free = scalar(slots.select(fn.COUNT(SQL("*"))).where(
            slots.station_code == Station.code, slots.status == "available", slots.slot <= Station.charger_slots))
        # A station whose controllers are all offline shows every slot offline (core.models.live_stations).
        off, on = DeviceState.alias("board_ctl_off"), DeviceState.alias("board_ctl_on")
        lost = fn.EXISTS(off.select(SQL("1")).where(off.station_code == Station.code,
                                                    off.kind == "charger_controller", off.online == False))  # noqa: E712
        alive = fn.EXISTS(on.select(SQL("1")).where(on.station_code == Station.code,
                                                    on.kind == "charger_controller", on.online == True))  # noqa: E712
        self.chargers_lost = lost & ~alive
        self.free = Case(None, [(self.chargers_lost, 0)], free)
        alarm = Alarm.alias("board_alarm")
        self.alarms = scalar(alarm.select(fn.COUNT(SQL("*"))).where(alarm.station_code == Station.code,
                                                                    alarm.open_key.is_null(False)))
        self.name = Station.name_zh if lang == "zh" else Station.name_en

    def order(self, sort: str) -> list:
        """The ORDER BY keys of a sort, the station code last."""
        key = {"district": District.code, "code": None, "name": self.name, "occupancy": self.occupancy,
               "free": self.free, "alarms": self.alarms, "last_seen": self.last_seen}[sort]
        return [Station.code] if key is None else [key, Station.code]

    def where(self, query: BoardQuery) -> list:
        """The conditions of a query's search and filters."""
        found = []
        if query.q:
            found.append(Station.code.contains(query.q) | Station.name_zh.contains(query.q)
                         | Station.name_en.contains(query.q))
        if query.district:
            found.append(District.code == query.district)
        if query.online:
            found.append(self.online if query.online == "yes" else ~self.online)
        if query.alarms:
            found.append(self.alarms > 0)
        if query.occupancy:
            taken = self.people * 100
            share = Station.capacity * self.occupancy_percent
            found.append((Station.capacity > 0) & ((taken >= share) if query.occupancy == "full" else (taken < share)))
        if query.chargers:
            found.append(self.free > 0)
        return found


def figures_for(now: datetime, settings, lang: str) -> Figures:
    """The figures' expressions by the configured liveness and occupancy limits."""
    return Figures(now, settings.alarms.heartbeat_timeout_s, settings.alarms.occupancy_percent, lang)


def scope_key(user: StaffUser) -> tuple:
    """Users who see the same stations share results."""
    if user.role == "admin":
        return ("admin",)
    if user.role == "federation":
        return ("federation", user.federation_id)
    return ("user", user.id)


def scope(user: StaffUser):
    """The user's stations in service (closed ones keep their history in reports), unordered."""
    return Station.visible_to(user).where(Station.closed_at.is_null()).order_by()


def filtered(user: StaffUser, query: BoardQuery, figures: Figures):
    """The user's stations that the query's search and filters keep."""
    base = scope(user)
    conditions = figures.where(query)
    return base.where(*conditions) if conditions else base


def ordered(select, query: BoardQuery, figures: Figures):
    keys = figures.order(query.sort_key)
    return select.order_by(*[k.desc() if query.descending else k.asc() for k in keys])


@dataclass
class Page:
    """One page of the board: its stations with live state, and where the others are."""

    stations: list[LiveStation]
    total: int | None = None  # stations the query keeps (the dashboard's pager)
    number: int = 1
    size: int = 50
    next_cursor: str | None = None

    @property
    def pages(self) -> int:
        return max((self.total or 0) + self.size - 1, 0) // self.size or 1


def with_live_state(stations: list[Station], now: datetime, midnight: datetime, heartbeat_timeout_s: int,
                    ) -> list[LiveStation]:
    """The live state of these stations (a page: a handful of queries), liveness judged at central's now."""
    rows = live_stations(stations, midnight)
    stale_before = now - timedelta(seconds=heartbeat_timeout_s)
    for row in rows:
        row.stale_before = stale_before
    return rows


def numbered_page(user: StaffUser, query: BoardQuery, number: int, size: int, now: datetime, midnight: datetime,
                  settings, lang: str, shared=None) -> Page:
    """The dashboard's page `number` (from 1) of `size` stations, with the count for its pager.

    With `shared` (live.shared), which stations are on the page, and the count, are decided once per
    `central.summary_seconds` for everyone looking at the view, as the figures above it are: a view
    whose stations or order depend on live figures (a filter on them, a sort by them) is a pass over the
    scope, a search a pass over its names, and even the first page's count a pass over its index, asked
    at every poll of every dashboard. The stations' rows and live state are read at every poll.
    """
    figures = figures_for(now, settings, lang)

    def members() -> tuple[list[int], int]:
        select = filtered(user, query, figures)
        total = select.count()
        pages = max(total + size - 1, 0) // size or 1
        at = min(number, pages)  # past the end (stations went away): the last page
        rows = ordered(select.select(Station.id), query, figures).offset((at - 1) * size).limit(size).tuples()
        return [station_id for (station_id,) in rows], total

    if shared is not None:
        key = ("page", scope_key(user), query, number, size, lang)
        ids, total = shared.get(key, settings.central.summary_seconds, members, ahead=True)
    else:
        ids, total = members()
    pages = max(total + size - 1, 0) // size or 1
    rows = Station.select(Station, District).join(District).where(Station.id.in_(ids)) if ids else []
    by_id = {s.id: s for s in rows}
    stations = [by_id[i] for i in ids if i in by_id]
    return Page(with_live_state(stations, now, midnight, settings.alarms.heartbeat_timeout_s), total,
                min(number, pages), size)


def cursor_page(user: StaffUser, query: BoardQuery, cursor: str | None, limit: int, now: datetime,
                midnight: datetime, settings, lang: str) -> Page:
    """The API's page after `cursor` (key-set on the sort key and the code), and the next page's cursor."""
    figures = figures_for(now, settings, lang)
    keys = figures.order(query.sort_key)
    select = ordered(filtered(user, query, figures), query, figures)
    if cursor:
        values = decode_cursor(cursor, query, len(keys))
        position = peewee.Tuple(*keys)
        after = peewee.Tuple(*[peewee.Value(v) for v in values])
        select = select.where(position < after if query.descending else position > after)
    # Wrapped: a field of the joined district would otherwise land on the district, not on the station row.
    rows = list(select.select_extend(*[scalar(k).alias(f"board_key_{n}") for n, k in enumerate(keys)]).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(query, [_plain(getattr(last, f"board_key_{n}", None)) for n in range(len(keys))])
    live = with_live_state(rows, now, midnight, settings.alarms.heartbeat_timeout_s)
    return Page(live, None, 1, limit, next_cursor)


def _plain(value):
    """A sort key's value as JSON can hold it (a time as the text both databases compare it by)."""
    if isinstance(value, datetime):
        return DeviceState.heartbeat_at.db_value(value)
    return value


def encode_cursor(query: BoardQuery, values: list) -> str:
    """An opaque position: the sort and the last station's key values."""
    text = json.dumps([query.sort, *values], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(text: str, query: BoardQuery, width: int) -> list:
    """The key values in a cursor made for this sort; BoardError when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        sort, *values = json.loads(raw.decode())
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise BoardError("board.bad_cursor") from None
    if (sort != query.sort or len(values) != width
            or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values)):
        raise BoardError("board.bad_cursor")
    return values


def parse_int(args, name: str, default: int, low: int, high: int) -> int:
    """A whole-number argument within [low, high]; BoardError otherwise."""
    text = args.get(name, "")
    if text == "":
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise BoardError("board.bad_number", name=name, low=low, high=high)
    return int(text)
