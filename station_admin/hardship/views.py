"""The hardship register's pages: district case workers keep the cases; stations record; federations count.

A case, its documents and its lists are open to admins and the case's district case workers only;
every view of a case and every read of a document is audited. A station manager may record a case at
their stations and cannot open it afterwards; a federation sees suppressed counts, never a case.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from devices.protocol import utcnow
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.context import current_protector
from station_admin.core.models import District, db
from station_admin.core.privacy import suppress_linked
from station_admin.hardship import register
from station_admin.hardship.models import CAUSES, DOCUMENT_KINDS, HardshipCase, HardshipDocument, HardshipVisit
from station_admin.hardship.register import HardshipError
from station_admin.requests.casework import may_work_on
from station_admin.requests.models import ServiceRequest
from waystation.web import current_settings, page_or_fragment, translate

log = logging.getLogger(__name__)
bp = Blueprint("hardship", __name__, url_prefix="/hardship")
LISTS = ("all", "visits", "census", "review", "pending")
VISIT_STATES = ("none", "ok", "due", "overdue")


@bp.url_value_preprocessor
def _upload_size(endpoint, values):
    # Runs before the app's anti-forgery check parses the form: only the document upload may be large
    # (room for a document at its limit and the form around it; a larger body is refused with 413).
    if endpoint == "hardship.upload":
        request.max_content_length = register.MAX_DOCUMENT_BYTES * 2


def timezone() -> str:
    return current_settings().central.timezone


def today():
    """Today's local date by central's clock."""
    return utcnow().astimezone(ZoneInfo(timezone())).date()


def case_or_403(cid: int) -> HardshipCase:
    """The case, if the signed-in user may open it; 404 or 403 otherwise (and nothing audited)."""
    case = HardshipCase.get_or_none(HardshipCase.id == cid)
    if case is None:
        abort(404)
    if not register.may_view(g.user, case):
        abort(403)
    return case


@bp.get("/")
@login_required("admin", "caseworker")
def index():
    """The district's cases with what is due on each: all, due visits, census due, reviews, approvals."""
    shown = request.args.get("show", "all")
    shown = shown if shown in LISTS else "all"
    district_ids = register.own_district_ids(g.user)
    chosen = request.args.get("district", "")
    if g.user.role == "admin" and chosen.isdigit():
        district_ids = [int(chosen)]
    rows = register.states(list(HardshipCase.in_districts(district_ids)), today(), timezone())
    keep = {"all": lambda s: True, "visits": lambda s: s.visit in ("due", "overdue"),
            "census": lambda s: s.census in ("due", "overdue"), "review": lambda s: s.review_due,
            "pending": lambda s: s.pending_approval}[shown]
    rows = [(c, s) for c, s in rows if keep(s)]
    return page_or_fragment("station_admin/hardship/index.html", "station_admin/hardship/_cases.html",
                            rows=rows, shown=shown, lists=LISTS, chosen=chosen, today=today(),
                            districts={d.id: d for d in District.select().order_by(District.code)})


@bp.route("/new", methods=["GET", "POST"])
@login_required("admin", "caseworker", "manager")
def new():
    """Record a case (step one), on its own or from a hardship-aid request's case page."""
    req = None
    if request.values.get("request"):
        req = ServiceRequest.get_or_none(ServiceRequest.id == request.values.get("request", type=int))
        if req is None:
            abort(404)
        if not may_work_on(g.user, req) or req.service != "hardship_aid":
            abort(403)
        taken = HardshipCase.get_or_none(HardshipCase.request == req)
        if taken is not None:
            return redirect(url_for("hardship.case", cid=taken.id), 303)
    stations = register.recording_stations(g.user)
    districts = register.recording_districts(g.user)
    if not districts:
        abort(403)
    if request.method == "GET":
        form = {"census_on": today().isoformat(), "household_members": "1",
                "district": str(districts[0].id), "assistance_line": _latest_line(districts[0].id)}
        if req is not None:
            form.update(cause=register.REQUEST_CAUSES.get(req.answer_map.get("cause", ""), "other"),
                        member_no=req.member_no or "", station=req.station_code,
                        district=str(req.centre.district_id if req.centre else req.district_id))
            form["assistance_line"] = _latest_line(int(form["district"]))
        return render_new(form, req, stations, districts)
    try:
        station_code, district = _where(request.form, stations, districts, req)
        figures = register.parse_figures(request.form, today())
        with db.atomic():
            case = register.record(figures, district, station_code, req, g.user, utcnow())
    except HardshipError as e:
        log.info("hardship record refused: %s", e.key)
        return render_new(request.form, req, stations, districts, translate(e.key), 400)
    if register.may_view(g.user, case):
        return redirect(url_for("hardship.case", cid=case.id), 303)
    return render_template("station_admin/hardship/recorded.html", case=case)


def _latest_line(district_id: int) -> str:
    """The assistance line of the district's latest census, in yuan, to prefill a new record ("" if none)."""
    latest = (HardshipCase.select(HardshipCase.assistance_line_fen).where(HardshipCase.district == district_id)
              .order_by(HardshipCase.census_on.desc(), HardshipCase.id.desc()).first())
    return f"{latest.assistance_line_fen / 100:.2f}" if latest else ""


def _where(form, stations, districts, req):
    """The station (or none) and district a new case belongs to, among those the user may record in."""
    code = form.get("station", "")
    station = next((s for s in stations if s.code == code), None)
    if code and station is None:
        raise HardshipError("hardship.error.station")
    if g.user.role == "manager" and station is None:
        raise HardshipError("hardship.error.station")
    if station is not None and req is None:
        return station.code, District.get_by_id(station.district_id)
    district = next((d for d in districts if str(d.id) == form.get("district", "")), None)
    if district is None:
        raise HardshipError("hardship.error.district")
    return (station.code if station else None), district


def render_new(form, req, stations, districts, error=None, status=200):
    """The record form, with the message of a refused one."""
    return render_template("station_admin/hardship/new.html", form=form, req=req, stations=stations,
                           districts=districts, causes=CAUSES, error=error), status


def render_case(case: HardshipCase, error: str | None = None, status: int = 200, link: str | None = None):
    """The case page (or its fragment for htmx); an error is shown in it and changed nothing."""
    visits = list(HardshipVisit.select().where(HardshipVisit.case == case).order_by(HardshipVisit.visited_on))
    state = register.state_of(case, visits[-1].visited_on if visits else None, today(), timezone())
    return page_or_fragment(
        "station_admin/hardship/case.html", "station_admin/hardship/_case.html",
        case=case, state=state, visits=visits, documents=list(HardshipDocument.listed(case)), error=error,
        may_approve=register.may_approve(g.user, case), causes=CAUSES, kinds=DOCUMENT_KINDS, today=today(),
        district=District.get_by_id(case.district_id), link=link,
        link_hours=register.UPLOAD_LINK_HOURS), status


@bp.get("/<int:cid>")
@login_required("admin", "caseworker")
def case(cid: int):
    """One case: figures, statuses, visits, documents and actions; the view is audited."""
    found = case_or_403(cid)
    with db.atomic():
        audit("hardship.view", "hardship", found.id)
    return render_case(found)


# What each case action does with the posted form: (case, form, user, now).
ACTIONS = {
    "approve": lambda case, form, user, now: register.approve(case, user, now),
    "census": lambda case, form, user, now: register.recensus(case, register.parse_figures(form, today()), user,
                                                              now),
    "change": lambda case, form, user, now: register.report_change(case, form.get("note", ""), user, now),
    "visit": lambda case, form, user, now: register.record_visit(
        case, register.parse_day(form.get("visited_on", ""), today(), "hardship.error.visited_on"),
        form.get("note", ""), user, now),
}


@bp.post("/<int:cid>/act/<action>")
@login_required("admin", "caseworker")
def act(cid: int, action: str):
    """Approve, record a new census, report a change in circumstances, or record a visit."""
    if action not in ACTIONS:
        abort(404)
    found = case_or_403(cid)
    try:
        with db.atomic():
            ACTIONS[action](found, request.form, g.user, utcnow())
    except HardshipError as e:
        log.info("refused %s on hardship case %s: %s", action, found.id, e.key)
        return render_case(HardshipCase.get_by_id(found.id), translate(e.key), 400)
    return redirect(url_for("hardship.case", cid=found.id), 303)


@bp.post("/<int:cid>/documents")
@login_required("admin", "caseworker")
def upload(cid: int):
    """A document scanned or photographed by staff: PDF, JPEG or PNG by its bytes, size-limited, encrypted."""
    found = case_or_403(cid)
    try:
        with db.atomic():
            register.add_uploaded(found, request.form.get("kind", ""), request.files.get("file"), "staff",
                                  current_protector(), g.user, utcnow())
    except HardshipError as e:
        log.info("document refused on hardship case %s: %s", found.id, e.key)
        return render_case(found, translate(e.key), 400)
    return redirect(url_for("hardship.case", cid=found.id), 303)


@bp.post("/<int:cid>/upload-link")
@login_required("admin", "caseworker")
def upload_link(cid: int):
    """A link for the worker's phone to upload documents to this case (shown once; audited)."""
    found = case_or_403(cid)
    with db.atomic():
        token = register.upload_token(found, current_protector(), utcnow(), g.user)
    link = url_for("upload.form", token=token, _external=True)
    return render_case(found, link=link)


@bp.get("/<int:cid>/documents/<int:did>")
@login_required("admin", "caseworker")
def document(cid: int, did: int):
    """Open a document (inline, never cached); only the case's district case workers; the read is audited."""
    found = case_or_403(cid)
    doc = HardshipDocument.get_or_none(HardshipDocument.id == did, HardshipDocument.case == found)
    if doc is None:
        abort(404)
    with db.atomic():
        data = register.read_document(doc, current_protector(), g.user)
    response = Response(data, mimetype=doc.content_type)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = "inline"
    # The browser's own PDF viewer must run (object-src 'self'); nothing else loads, and it is never framed.
    response.headers["Content-Security-Policy"] = "default-src 'none'; object-src 'self'; img-src 'self'; " \
                                                  "frame-ancestors 'none'"
    return response


@bp.get("/summary")
@login_required("federation", "admin")
def summary():
    """Counts only, by district: cause and visit state, small counts suppressed alike in both tables."""
    query = District.select().order_by(District.code)
    if g.user.role == "federation":
        query = query.where(District.federation == g.user.federation_id)
    districts = list(query)
    index = {d.id: r for r, d in enumerate(districts)}
    by_cause = [[0] * len(CAUSES) for _ in districts]
    by_visit = [[0] * len(VISIT_STATES) for _ in districts]
    cases = list(HardshipCase.in_districts([d.id for d in districts]))
    for case, state in register.states(cases, today(), timezone()):
        by_cause[index[case.district_id]][CAUSES.index(case.cause)] += 1
        by_visit[index[case.district_id]][VISIT_STATES.index(state.visit)] += 1
    rows = [d.code for d in districts]
    n = len(rows)
    # Each district's total and the grand total appear in both tables: hidden in one, hidden in both.
    links = [[(0, r, len(CAUSES)), (1, r, len(VISIT_STATES))] for r in range(n + 1)]
    causes, visits = suppress_linked([(rows, list(CAUSES), by_cause), (rows, list(VISIT_STATES), by_visit)], links)
    return render_template("station_admin/hardship/summary.html", districts=districts, causes=causes,
                           visits=visits)
