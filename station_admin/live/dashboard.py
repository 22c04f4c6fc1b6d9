"""The live dashboard: a page of the stations in the user's scope, searched, filtered and sorted, refreshed while
it is open, under the scope's figures per district."""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template, request, url_for
from flask_htmx import make_response

from devices.protocol import utcnow
from station_admin.core.auth import login_required
from station_admin.core.models import District
from station_admin.core.unknown import UnknownStation
from station_admin.live import board
from station_admin.live.alarms import Alarm, strip_context
from station_admin.live.cards import card_cache, card_key
from station_admin.live.health import StationHealth
from station_admin.live.shared import shared_results
from station_admin.live.summary import cached_summary
from waystation.web import current_language, current_settings, htmx, translate

log = logging.getLogger(__name__)
bp = Blueprint("dashboard", __name__)


def local_midnight(now: datetime, timezone: str) -> datetime:
    """The start of today where the stations are."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@bp.errorhandler(board.BoardError)
def bad_query(error: board.BoardError):
    """A search, filter, sort or page the board does not know: a clear message in the user's language, 400."""
    message = translate(error.key, **error.values)
    log.info("refused dashboard query %s from %s: %s", error.key, g.user.username if g.user else "-", request.args)
    if htmx:
        return render_template("station_admin/live/dashboard/_error.html", message=message), 400
    return render_template("station_admin/error.html", frame="station_admin/base.html", message=message,
                           code=400), 400


@bp.get("/")
@login_required("admin", "federation", "manager")
def index():
    """The dashboard page; for htmx (the filter form, the pager) the stations fragment, with the view's own
    short URL pushed to the address bar (defaults and empty fields left out), so it can be shared."""
    query, number = view()
    body = stations_of(query, number)
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return body
    return make_response(body, push_url=url_for("dashboard.index", **query.args(**({"page": number} if number > 1
                                                                                   else {}))))


def view() -> tuple[board.BoardQuery, int]:
    """The request's board query and page number (BoardError when either is not valid)."""
    return board.BoardQuery.from_args(request.args), board.parse_int(request.args, "page", 1, 1, 1_000_000)


@bp.get("/dashboard/stations")
@login_required("admin", "federation", "manager")
def stations():
    """A page of station cards with the summary: the fragment the page polls (same query), or the whole page.

    The fragment of one view (scope, role, language, query, page) is rendered once per
    `central.page_share_seconds` for every dashboard polling it in this web process: twenty people
    watching the first page cost one render, not twenty.
    """
    return stations_of(*view())


def stations_of(query: board.BoardQuery, number: int) -> str:
    """The page or fragment of one view, for the request's user and language (see stations())."""
    settings = current_settings()
    # A history restore (back to a filtered view whose snapshot htmx no longer holds) needs the whole page.
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return render_board(query, number, whole_page=True)
    key = ("fragment", board.scope_key(g.user), g.user.role, current_language(), query, number)
    return shared_results().get(key, settings.central.page_share_seconds,
                                lambda: render_board(query, number, whole_page=False))


def render_board(query: board.BoardQuery, number: int, whole_page: bool) -> str:
    """The dashboard page, or its stations fragment, for one query and page."""
    settings = current_settings()
    now = utcnow()
    lang = current_language()
    page = board.numbered_page(g.user, query, number, settings.central.page_size, now,
                               local_midnight(now, settings.central.timezone), settings, lang, shared_results())
    figures = board.figures_for(now, settings, lang)
    summary = cached_summary(g.user, figures, now, settings.central.summary_seconds)
    codes = [r.station.code for r in page.stations]
    extra = strip_context(g.user, now) if whole_page else {}  # the page's alarm strip then polls on its own
    if whole_page:
        extra["districts"] = list(District.select().where(District.code.in_([d.code for d in summary.districts]))
                                  .order_by(District.code))
        if g.user.role == "admin":
            extra["unknown_stations"] = UnknownStation.select().count()
    health = StationHealth.of_stations(codes)
    open_alarms = Alarm.open_counts(codes)
    can_pair = g.user.role in ("admin", "manager")
    card_keys = [card_key(live, health.get(code), open_alarms.get(code, 0), lang, can_pair)
                 for live, code in zip(page.stations, codes, strict=True)]
    template = "station_admin/live/dashboard/" + ("index.html" if whole_page else "_stations.html")
    return render_template(template, page=page, stations=page.stations, query=query, summary=summary, now=now,
                           poll_seconds=settings.central.poll_seconds, health=health,
                           open_alarms_by_station=open_alarms, limits=settings.alarms, can_pair=can_pair,
                           card_keys=card_keys, cached_card=card_cache().card, sorts=board.SORTS, **extra)
