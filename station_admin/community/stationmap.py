"""The station map: the stations in the user's scope drawn as points on a server-side SVG, by live state.

No tile server and no boundary data: the picture is an equirectangular projection fitted to the
stations' own bounding box (longitudes shrunk by the cosine of the middle latitude, so a kilometre
east is as long as a kilometre north), each district drawn as the convex hull of its stations: the
area its stations cover, not its official boundary. Positions are WGS84 as stored (a mobile
station's, today's reported place); for the Chinese map apps each listed station has a link to
Amap with its GCJ-02 coordinates (waystation.geo), a link a person follows, nothing the page loads.

One statement finds every point (code, name, district, latitude, longitude, state), with the
board's filters and the board's own SQL for "online" (central's clock) and open alarms
(live.board.Figures), so 20,000 stations cost one pass over indexed rows. Up to `MARKED_LIMIT`
points each is a `<circle>` with a `<title>` (name, code, state); beyond, each state is one `<path>`
of zero-length segments, drawn with round caps, and the page asks to narrow by district or search.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template, request
from peewee import JOIN, Case

from devices.protocol import utcnow
from station_admin.community.opening import StationLocation, local_midnight
from station_admin.core.auth import login_required
from station_admin.core.models import District, StaffUser, Station
from station_admin.live import board
from waystation.geo import valid_wgs84, wgs84_to_gcj02
from waystation.web import current_language, current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("stationmap", __name__, url_prefix="/map")

STATES = ("online", "offline", "alarm")  # drawing order: an open alarm on top
MARKED_LIMIT = 2000  # points drawn one element each, with a title; beyond, one path per state
LIST_LIMIT = 200  # stations listed under the map with their Amap links
WIDTH = 1000  # the SVG's user units across; its height follows the stations' shape
PAD = 28
MIN_SPAN = 0.01  # degrees: one station (or a row of them) still gets a frame around it


@dataclass(slots=True)
class MapPoint:
    """A station with a position: WGS84 degrees, the board's state, and its place on the picture."""

    code: str
    name: str
    district: str
    lat: float
    lon: float
    state: str
    x: float = 0.0
    y: float = 0.0

    @property
    def gcj02(self) -> tuple[float, float]:
        """Its (latitude, longitude) on Chinese map apps."""
        return wgs84_to_gcj02(self.lat, self.lon)

    @property
    def amap_url(self) -> str:
        """Amap's marker page for this station (GCJ-02, as Amap expects)."""
        lat, lon = self.gcj02
        return f"https://uri.amap.com/marker?position={lon:.6f},{lat:.6f}&name={quote(self.name)}&src=waystation"


@dataclass
class DistrictArea:
    """A district drawn as the convex hull of its stations' points, with its label."""

    code: str
    name: str
    hull: list[tuple[float, float]]
    stations: int
    label_at: tuple[float, float] = (0.0, 0.0)  # the mean of its stations' points: where most of them are

    @property
    def path(self) -> str:
        """The hull as SVG path data (a dot or a segment for one or two distinct points)."""
        return "M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in self.hull) + " Z"


@dataclass
class StationMap:
    """What the page draws: the points, the district areas, the frame, and what could not be placed."""

    points: list[MapPoint] = field(default_factory=list)
    areas: list[DistrictArea] = field(default_factory=list)
    width: int = WIDTH
    height: int = 0
    without_coordinates: int = 0
    district_names: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def marked(self) -> bool:
        """Whether every point is its own element with a title (few enough points)."""
        return len(self.points) <= MARKED_LIMIT

    @property
    def listed(self) -> bool:
        return 0 < len(self.points) <= LIST_LIMIT

    def paths(self) -> dict[str, str]:
        """Each state's points as one path of zero-length segments (round caps draw them as dots)."""
        found: dict[str, list[str]] = {state: [] for state in STATES}
        for p in self.points:
            found[p.state].append(f"M{p.x:.1f} {p.y:.1f}h0")
        return {state: "".join(parts) for state, parts in found.items() if parts}

    def by_state(self) -> list[MapPoint]:
        """The points in drawing order: open alarms last, on top."""
        order = {state: n for n, state in enumerate(STATES)}
        return sorted(self.points, key=lambda p: order[p.state])


def located(user: StaffUser, query: board.BoardQuery, figures: board.Figures, since: datetime) -> list[tuple]:
    """(code, name, district code, latitude, longitude, state) of each station the board's query keeps, in one
    statement; a mobile station at the place it reported since `since` (local midnight), if it did."""
    today = StationLocation.alias("map_today")
    here = today.station_code.is_null(False)
    state = Case(None, [(figures.alarms > 0, "alarm"), (figures.online, "online")], "offline")
    select = (board.filtered(user, query, figures)
              .select(Station.code, figures.name, District.code,
                      Case(None, [(here, today.latitude)], Station.latitude),
                      Case(None, [(here, today.longitude)], Station.longitude), state)
              .join_from(Station, today, JOIN.LEFT_OUTER,
                         on=((today.station_code == Station.code) & (Station.mobile == True)  # noqa: E712
                             & (today.reported_at >= since))))
    return list(select.tuples())


def convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The convex hull of points, counter-clockwise (Andrew's monotone chain); one or two points as they are."""
    unique = sorted(set(points))
    if len(unique) <= 2:
        return unique

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    for p in unique:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list[tuple[float, float]] = []
    for p in reversed(unique):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def draw(rows: list[tuple], district_names: dict[str, str]) -> StationMap:
    """Fit the stations with valid coordinates into the picture, and each district's hull around them."""
    result = StationMap(counts={state: 0 for state in STATES}, district_names=district_names)
    placed = []
    for code, name, district, lat, lon, state in rows:
        if lat is None or lon is None or not valid_wgs84(lat, lon):
            result.without_coordinates += 1
            continue
        placed.append((code, name, district, lat, lon, state))
        result.counts[state] += 1
    if not placed:
        result.height = WIDTH // 3
        return result
    lats, lons = [r[3] for r in placed], [r[4] for r in placed]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    squeeze = math.cos(math.radians((south + north) / 2))  # a degree of longitude is this much shorter
    span_x = max((east - west) * squeeze, MIN_SPAN)
    span_y = max(north - south, MIN_SPAN)
    inner = WIDTH - 2 * PAD
    scale = inner / max(span_x, span_y / 0.75)  # no taller than three quarters of its width
    result.height = round(span_y * scale + 2 * PAD)
    centre_x = (west + east) / 2 * squeeze
    centre_y = (south + north) / 2

    def at(lat: float, lon: float) -> tuple[float, float]:
        return WIDTH / 2 + (lon * squeeze - centre_x) * scale, result.height / 2 - (lat - centre_y) * scale

    by_district: dict[str, list[tuple[float, float]]] = {}
    for code, name, district, lat, lon, state in placed:
        x, y = at(lat, lon)
        result.points.append(MapPoint(code, name, district, lat, lon, state, x, y))
        by_district.setdefault(district, []).append((x, y))
    result.areas = [DistrictArea(code, district_names.get(code, code), convex_hull(xy), len(xy),
                                 (sum(x for x, _ in xy) / len(xy), sum(y for _, y in xy) / len(xy)))
                    for code, xy in sorted(by_district.items())]
    return result


def station_map(user: StaffUser, query: board.BoardQuery, now: datetime, settings, lang: str) -> StationMap:
    """The map of the user's stations that the query keeps, live state judged at central's `now`."""
    figures = board.figures_for(now, settings, lang)
    rows = located(user, query, figures, local_midnight(now.astimezone(ZoneInfo(settings.central.timezone))))
    names = {d.code: (d.name_zh if lang == "zh" else d.name_en)
             for d in District.select().where(District.code.in_({r[2] for r in rows}))} if rows else {}
    return draw(rows, names)


def scope_districts(user: StaffUser) -> list[District]:
    """The districts with stations in the user's scope (the filter's choices)."""
    return list(District.select().where(District.id.in_(board.scope(user).select(Station.district)))
                .order_by(District.code))


@bp.errorhandler(board.BoardError)
def bad_query(error: board.BoardError):
    """A filter the map does not know: a clear message in the user's language, 400."""
    log.info("refused map query %s from %s: %s", error.key, g.user.username if g.user else "-", request.args)
    return render_template("station_admin/error.html", frame="station_admin/base.html",
                           message=translate(error.key, **error.values), code=400), 400


@bp.get("/")
@login_required("admin", "federation", "manager")
def index():
    """The map page: the stations of the user's scope that the board's filters keep, by state."""
    query = board.BoardQuery.from_args(request.args)
    lang = current_language()
    drawn = station_map(g.user, query, utcnow(), current_settings(), lang)
    return render_template("station_admin/community/stationmap/index.html", query=query, drawn=drawn,
                           districts=scope_districts(g.user), states=STATES, marked_limit=MARKED_LIMIT,
                           list_limit=LIST_LIMIT)
