"""Staff schedule events at their stations (once or weekly); the form warns when an event falls in a
station's measured peak hours and suggests quieter slots. Kiosks hear the week's events over MQTT."""

from __future__ import annotations

import logging
from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from devices.protocol import utcnow
from station_admin.community.agenda import KINDS, ScheduledEvent, create_event, parse_hhmm, peak_warning
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.models import Station, db
from waystation.web import current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("schedule", __name__, url_prefix="/schedule")
ROLES = ("admin", "manager")
TITLE_MAX = 60
MAX_REPEAT_DAYS = 366


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(current_settings().central.timezone)).date()


def validate_event(form, stations: dict[str, Station], today: date) -> tuple[dict, list[str]]:
    """The cleaned event form and the messages of everything wrong with it."""
    errors = []
    title_zh, title_en = (" ".join(form.get(k, "").split()) for k in ("title_zh", "title_en"))
    if not title_zh or not title_en or len(title_zh) > TITLE_MAX or len(title_en) > TITLE_MAX:
        errors.append(translate("schedule.error_title", max=TITLE_MAX))
    kind = form.get("kind", "")
    if kind not in KINDS:
        errors.append(translate("schedule.error_kind"))
    chosen = [stations[c] for c in dict.fromkeys(form.getlist("stations")) if c in stations]
    if not chosen or len(chosen) != len(set(form.getlist("stations"))):
        errors.append(translate("schedule.error_stations"))
    try:
        first = date.fromisoformat(form.get("date", "").strip())
    except ValueError:
        first = None
        errors.append(translate("schedule.error_date"))
    if first and first < today:
        errors.append(translate("schedule.error_past"))
    weekly = form.get("weekly") == "yes"
    last = first
    if weekly and first:
        try:
            last = date.fromisoformat(form.get("until", "").strip())
        except ValueError:
            last = None
        if last is None or last < first or (last - first).days > MAX_REPEAT_DAYS:
            errors.append(translate("schedule.error_until", days=MAX_REPEAT_DAYS))
    starts, ends = parse_hhmm(form.get("starts", "")), parse_hhmm(form.get("ends", ""))
    if starts is None or ends is None:
        errors.append(translate("schedule.error_time"))
    elif ends <= starts:
        errors.append(translate("schedule.error_order"))
    return {"title_zh": title_zh, "title_en": title_en, "kind": kind, "stations": chosen, "first_date": first,
            "last_date": last, "weekly": weekly, "starts": starts, "ends": ends}, errors


def _form_page(values: dict, errors: list[str], warning=None, status: int = 200):
    stations = list(Station.visible_to(g.user))
    return render_template("station_admin/community/schedule/new.html", stations=stations, kinds=KINDS, values=values,
                           errors=errors, warning=warning, station_names={s.code: s for s in stations}), status


@bp.get("/")
@login_required(*ROLES)
def index():
    """Upcoming and recurring events at the user's stations."""
    events = list(ScheduledEvent.visible_to(g.user).where(ScheduledEvent.last_date >= _today()))
    return render_template("station_admin/community/schedule/index.html", events=events,
                           saved=request.args.get("saved") == "1", cancelled=request.args.get("cancelled") == "1")


@bp.get("/new")
@login_required(*ROLES)
def new():
    """The event form."""
    return _form_page({"date": _today().isoformat(), "starts": "19:00", "ends": "21:00"}, [])


@bp.post("/new")
@login_required(*ROLES)
def create():
    """Schedule an event; a bad field is refused with its message, a peak-hour slot asks first."""
    stations = {s.code: s for s in Station.visible_to(g.user)}
    today = _today()
    cleaned, errors = validate_event(request.form, stations, today)
    values = {k: request.form.get(k, "")[:80] for k in ("title_zh", "title_en", "kind", "date", "until", "starts",
                                                          "ends", "weekly")}
    values["stations"] = request.form.getlist("stations")
    if errors:
        return _form_page(values, errors, status=400)
    weekdays = {cleaned["first_date"].weekday()}  # a weekly event repeats on its first date's weekday
    timezone = current_settings().central.timezone
    warning = peak_warning([s.code for s in cleaned["stations"]], weekdays, cleaned["starts"], cleaned["ends"],
                           today, timezone)
    if warning and request.form.get("peak_ok") != "yes":
        return _form_page(values, [], warning=warning, status=409)
    fields = {k: cleaned[k] for k in ("title_zh", "title_en", "kind", "first_date", "last_date", "weekly")}
    with db.atomic():
        event = create_event(g.user, cleaned["stations"], utcnow(), starts=cleaned["starts"].strftime("%H:%M"),
                             ends=cleaned["ends"].strftime("%H:%M"), **fields)
        audit("event.create", "event", event.id, stations=[s.code for s in cleaned["stations"]],
              peak=bool(warning))
    return redirect(url_for("schedule.index", saved=1), 303)


@bp.post("/<int:event_id>/cancel")
@login_required(*ROLES)
def cancel(event_id: int):
    """Cancel an event at the user's stations (kiosks drop it at the next publish)."""
    event = ScheduledEvent.visible_to(g.user).where(ScheduledEvent.id == event_id).first()
    if event is None:
        abort(404)
    with db.atomic():
        ScheduledEvent.update(cancelled_at=utcnow()).where(ScheduledEvent.id == event.id).execute()
        audit("event.cancel", "event", event.id)
    return redirect(url_for("schedule.index", cancelled=1), 303)

