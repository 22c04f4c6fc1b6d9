"""The request queue: case workers work their centre's requests; managers and federations see their share.

Case workers (and admins) see the queue by due time and open cases; every view of a case and every
reveal of a phone number is audited. Station managers see what was filed at their stations without
answers or contact details and cannot open a case; federations see aggregate counts only.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from devices.protocol import utcnow
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.context import current_catalogue, current_protector
from station_admin.core.models import District, Station, db
from station_admin.core.protect import mask_mobile
from station_admin.members.models import Member
from station_admin.requests import casework
from station_admin.requests.models import (
    REFERRALS,
    STATUSES,
    CentreMember,
    ContactAttempt,
    FollowUp,
    LegalAidCentre,
    ServiceRequest,
    StatusChange,
    TransitionError,
    station_names,
)
from station_admin.requests.workdays import WorkdayCalendar
from waystation.web import current_language, current_settings, htmx, page_or_fragment, translate

log = logging.getLogger(__name__)
bp = Blueprint("queue", __name__, url_prefix="/requests")


def services():
    """The service catalogue the app was started with."""
    return current_catalogue()


def timezone() -> str:
    return current_settings().central.timezone


def own_centre_ids() -> list[int] | None:
    """The centres whose requests the signed-in user works (None: every centre, for admins)."""
    if g.user.role == "admin":
        return None
    centre = CentreMember.centre_of(g.user)
    return [centre.id] if centre else []


def missing_calendar_years() -> list[int]:
    """This year (and in December next year) if no working-day calendar is loaded: deadlines are estimates."""
    today = utcnow().astimezone(ZoneInfo(timezone())).date()
    years = (today.year, today.year + 1) if today.month == 12 else (today.year,)
    return WorkdayCalendar.load().missing_years(*years)


@bp.get("/")
@login_required("admin", "caseworker")
def index():
    """The queue: the user's centre's requests by due time (admins: any centre, or the unrouted ones)."""
    state = request.args.get("state", "open")
    if state not in ("open", "closed", "all"):
        state = "open"
    centre_ids = own_centre_ids()
    chosen = request.args.get("centre", "")
    if g.user.role == "admin" and chosen == "unrouted":
        rows = list(ServiceRequest.unrouted())
    else:
        if g.user.role == "admin" and chosen.isdigit():
            centre_ids = [int(chosen)]
        rows = list(ServiceRequest.queue(centre_ids, state))
    return page_or_fragment(
        "station_admin/requests/queue/index.html", "station_admin/requests/queue/_queue.html",
        rows=rows, state=state, chosen=chosen,
        now=utcnow(), services=services(), stations=station_names({r.station_code for r in rows}),
        centres=list(LegalAidCentre.visible_to(g.user)), unrouted_count=casework.unrouted_requests().count(),
        missing_years=missing_calendar_years())


def case_or_403(rid: int) -> ServiceRequest:
    """The request, if the signed-in user works on it; 404 or 403 otherwise."""
    req = ServiceRequest.get_or_none(ServiceRequest.id == rid)
    if req is None:
        abort(404)
    if not casework.may_work_on(g.user, req):
        abort(403)
    return req


@dataclass
class TimelineEntry:
    """One line of a case's history in plain words: when, who, what."""

    at: datetime
    who: str
    what: str


CENTRE_MOVE = re.compile(r"^centre (\d+) -> (\d+)$")


def case_timeline(req: ServiceRequest) -> list[TimelineEntry]:
    """The case's status moves and contact attempts as one history in time order, in the user's language."""
    lang = current_language()
    centres = {c.id: c.name_zh if lang == "zh" else c.name_en for c in LegalAidCentre.select()}

    def who(name: str) -> str:
        return translate(f"queue.timeline.actor_{name}") if name in ("system", "rider") else name

    def status(code: str | None) -> str:
        return translate(f"status.{code}") if code else "—"

    entries, attempt_times = [], set()
    for change in StatusChange.history(req):
        note = change.note or ""
        moved = CENTRE_MOVE.match(note)
        if change.from_status is None:
            what = translate("queue.timeline.filed", centre=centres.get(req.centre_id, "")) if change.to_status \
                == "assigned" else translate("queue.timeline.filed_unrouted")
        elif moved:
            what = translate("queue.timeline.rerouted", before=centres.get(int(moved[1]), "—"),
                             after=centres.get(int(moved[2]), "—"))
        elif note in ContactAttempt.OUTCOMES:
            what = translate("queue.timeline.attempt", outcome=translate(f"queue.outcome_{note}"))
            attempt_times.add(change.at)
        elif change.to_status == "referred" and note in REFERRALS:
            what = translate("queue.timeline.referred", to=translate(f"queue.referral_{note}"))
        elif note == "rider: not resolved":
            what = translate("queue.timeline.rider_unresolved")
        else:
            what = translate("queue.timeline.moved", before=status(change.from_status), after=status(change.to_status))
            if note:
                what += translate("queue.timeline.note", note=note)
        entries.append(TimelineEntry(change.at, who(change.actor_name), what))
    for attempt in ContactAttempt.select().where(ContactAttempt.request == req):
        if attempt.at not in attempt_times:  # a reached call is its own line; the others came with their move
            name = attempt.actor.username if attempt.actor else "system"
            entries.append(TimelineEntry(attempt.at, who(name), translate(
                "queue.timeline.attempt", outcome=translate(f"queue.outcome_{attempt.outcome}"))))
    return sorted(entries, key=lambda e: e.at)


def same_phone_member(req: ServiceRequest) -> Member | None:
    """The member whose phone this request gives, when the rider filed without a card."""
    if req.member_no or not req.phone_hash:
        return None
    return Member.get_or_none(Member.phone_hash == req.phone_hash)


def render_case(req: ServiceRequest, error: str | None = None, status: int = 200):
    """The case page, or its fragment for htmx; an error is shown in it and changed nothing."""
    service = services().get(req.service)
    context = dict(
        req=req, service=service, error=error, now=utcnow(), timeline=case_timeline(req),
        phone_member=same_phone_member(req), may_open_members=g.user.role in ("admin", "manager", "federation"),
        follow_ups=list(FollowUp.select().where(FollowUp.request == req).order_by(FollowUp.due_on, FollowUp.id)),
        answers=service.labelled_answers(req.answer_map, current_language()) if service else [],
        best_time=services().best_time(req.best_time), station=Station.get_or_none(Station.code == req.station_code),
        centres=list(LegalAidCentre.select(LegalAidCentre, District).join(District).order_by(District.code)),
        masked=mask_mobile(current_protector().decrypt(req.phone_encrypted))
        if req.phone_encrypted else None,
        allowed=STATUSES[req.status].next, referrals=REFERRALS, outcomes=ContactAttempt.OUTCOMES,
        missing_years=missing_calendar_years())
    return page_or_fragment("station_admin/requests/queue/case.html", "station_admin/requests/queue/_case.html",
                            **context), status


@bp.get("/<int:rid>")
@login_required("admin", "caseworker")
def case(rid: int):
    """One case: details, answers, history and the actions; the view is audited."""
    req = case_or_403(rid)
    with db.atomic():
        audit("request.view", "request", req.id)
    return render_case(req)


@bp.post("/<int:rid>/phone")
@login_required("admin", "caseworker")
def phone(rid: int):
    """Show the rider's full number, once asked for; audited."""
    req = case_or_403(rid)
    if not req.phone_encrypted:
        abort(404)
    with db.atomic():
        audit("request.phone", "request", req.id)
    number = current_protector().decrypt(req.phone_encrypted)
    return render_template("station_admin/requests/queue/_phone.html", req=req, number=number)


# What each case action does with the posted form: (request, form, staff user, now).
ACTIONS = {
    "attempt": lambda req, form, user, now: casework.log_attempt(req, form.get("outcome", ""), user, now),
    "contact": lambda req, form, user, now: casework.record_contact(req, user, now),
    "accept": lambda req, form, user, now: casework.accept(req, services().get(req.service), user, now, timezone()),
    "refer": lambda req, form, user, now: casework.refer(req, form.get("referred_to", ""), user, now),
    "close": lambda req, form, user, now: casework.close(req, form.get("resolved") == "yes",
                                                         form.get("mediated") == "yes", form.get("amount", ""),
                                                         user, now),
    "reopen": lambda req, form, user, now: casework.reopen(req, user, now, note=form.get("note", "")[:250]),
    "withdraw": lambda req, form, user, now: casework.move(req, "withdrawn", user, now),
}


@bp.post("/<int:rid>/act/<action>")
@login_required("admin", "caseworker")
def act(rid: int, action: str):
    """Log a contact attempt, first contact, accept, refer, close, reopen or withdraw."""
    if action not in ACTIONS:
        abort(404)
    req = case_or_403(rid)
    try:
        with db.atomic():
            ACTIONS[action](req, request.form, g.user, utcnow())
    except TransitionError as e:
        log.info("refused %s on request %s: %s", action, req.id, e)
        return render_case(ServiceRequest.get_by_id(req.id), translate(e.key), 400)
    return after_change(req)


@bp.post("/<int:rid>/route")
@login_required("admin", "caseworker")
def route(rid: int):
    """Send a request to another centre (or route an unrouted one); the deadline is counted again."""
    req = case_or_403(rid) if g.user.role != "admin" else ServiceRequest.get_or_none(ServiceRequest.id == rid)
    if req is None:
        abort(404)
    centre = LegalAidCentre.get_or_none(LegalAidCentre.id == request.form.get("centre", type=int))
    if centre is None:
        return render_case(req, translate("queue.error.centre"), 400)
    try:
        with db.atomic():
            casework.reroute(req, centre, services().get(req.service), g.user, utcnow(), timezone(),
                             current_settings().requests.deadline_counting)
    except TransitionError as e:
        return render_case(ServiceRequest.get_by_id(req.id), translate(e.key), 400)
    if not casework.may_work_on(g.user, req):  # a case worker who sent it away no longer sees it
        return redirect(url_for("queue.index"), 303)
    return after_change(req)


def after_change(req: ServiceRequest):
    """The changed case: its fragment for htmx, else back to the page."""
    if htmx:
        return render_case(ServiceRequest.get_by_id(req.id))
    return redirect(url_for("queue.case", rid=req.id), 303)


@bp.get("/stations")
@login_required("manager", "admin")
def stations():
    """Requests filed at the manager's stations: service, status, dates; never answers or details."""
    codes = [s.code for s in Station.visible_to(g.user)]
    rows = list(ServiceRequest.at_stations(codes).limit(500))
    return render_template("station_admin/requests/queue/stations.html", rows=rows, services=services(), now=utcnow(),
                           stations=station_names(set(codes)))


@bp.get("/summary")
@login_required("federation", "admin")
def summary():
    """Aggregate counts in the user's scope: by service and status, and by centre. No list of requests."""
    centres = list(LegalAidCentre.visible_to(g.user))
    district_ids = None
    if g.user.role == "federation":
        district_ids = [d.id for d in District.select().where(District.federation == g.user.federation_id)]
    return render_template(
        "station_admin/requests/queue/summary.html", services=services(), statuses=STATUSES, centres=centres,
        by_service=ServiceRequest.counts_by_service_and_status(district_ids),
        by_centre=ServiceRequest.counts_by_centre([c.id for c in centres], utcnow()),
        missing_years=missing_calendar_years())


@bp.get("/follow-ups")
@login_required("admin", "caseworker")
def follow_ups():
    """Hardship follow-ups due by the end of this week (Sunday), overdue ones first."""
    today = utcnow().astimezone(ZoneInfo(timezone())).date()
    end_of_week = today + timedelta(days=6 - today.weekday())
    rows = list(FollowUp.due_by(end_of_week, own_centre_ids()))
    return page_or_fragment("station_admin/requests/queue/follow_ups.html",
                            "station_admin/requests/queue/_follow_ups.html",
                            rows=rows, today=today, end_of_week=end_of_week, services=services())


@bp.post("/follow-ups/<int:fid>/done")
@login_required("admin", "caseworker")
def follow_up_done(fid: int):
    """Mark a follow-up visit or review done; audited."""
    row = FollowUp.get_or_none(FollowUp.id == fid)
    if row is None:
        abort(404)
    case_or_403(row.request_id)
    if row.done_at is None:
        with db.atomic():
            row.done_at, row.done_by = utcnow(), g.user
            row.save()
            audit("request.follow_up", "request", row.request_id, follow_up=row.id, kind=row.kind,
                  due_on=row.due_on.isoformat())
    return follow_ups() if htmx else redirect(url_for("queue.follow_ups"), 303)
