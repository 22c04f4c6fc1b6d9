"""Admin pages of the network: the organisation tree (federations, districts, legal-aid centres and
the districts they serve), stations (every field, opening hours, closing) and the station codes
that send data central does not know yet, each with a "create this station" form.

Admins only. A refused change shows every problem in the user's language and writes nothing.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from devices.protocol import utcnow
from station_admin.admin import import_jobs, imports
from station_admin.admin.organisation import save_centre, save_district, save_federation, tree
from station_admin.admin.refusal import Refused
from station_admin.admin.stations import (
    WEEKDAYS,
    StationFacts,
    facts_from_form,
    facts_of,
    save_station,
    set_closed,
    unknown_stations,
)
from station_admin.community.opening import SERVICES
from station_admin.core.auth import login_required
from station_admin.core.models import District, Federation, Station
from station_admin.core.unknown import UnknownStation
from station_admin.requests.models import LegalAidCentre
from waystation.web import current_settings, page_or_fragment, translate

log = logging.getLogger(__name__)
bp = Blueprint("network", __name__, url_prefix="/admin")
IMPORT_SUFFIXES = (".csv", ".xlsx")


@bp.url_value_preprocessor
def _import_size(endpoint, values):
    # Runs before the app's anti-forgery check parses the form: only the import upload may be large.
    if endpoint == "network.import_preview":
        request.max_content_length = current_settings().central.import_max_bytes


def _hours_text(facts: StationFacts) -> dict[int, str]:
    return {day: ", ".join(f"{a}-{b}" for a, b in facts.hours.get(day, [])) for day in WEEKDAYS}


def _station_form(facts: StationFacts, station: Station | None, errors: list[str], status: int = 200,
                  unknown: UnknownStation | None = None, hours: dict[int, str] | None = None):
    districts = list(District.select().order_by(District.code))
    return render_template("station_admin/admin/network/station.html", facts=facts, station=station,
                           errors=errors, districts=districts, services=SERVICES, weekdays=WEEKDAYS,
                           hours=hours if hours is not None else _hours_text(facts), unknown=unknown), status


@bp.get("/stations")
@login_required("admin")
def stations():
    """Every station, open and closed, and the unknown station codes sending data."""
    rows = list(Station.select(Station, District).join(District).order_by(District.code, Station.code))
    imported = request.args.get("imported", "").split(",")
    return render_template("station_admin/admin/network/stations.html", stations=rows, unknown=unknown_stations(),
                           saved=request.args.get("saved"),
                           imported=dict(zip(("create", "change", "unchanged", "error"), imported, strict=True))
                           if len(imported) == 4 and all(n.isdigit() for n in imported) else None)


@bp.route("/stations/new", methods=["GET", "POST"])
@login_required("admin")
def new_station():
    """The new-station form (prefilled from an unknown code that sends data), and creating the station."""
    code = (request.values.get("code") or "").strip()[:40]
    unknown = UnknownStation.get_or_none(UnknownStation.station_code == code) if code else None
    if request.method == "GET":
        return _station_form(StationFacts(code=code, district="", name_zh="", name_en="", capacity=0), None, [],
                             unknown=unknown)
    facts, unreadable = facts_from_form(request.form)
    try:
        station = save_station(facts, actor=g.user, unreadable=unreadable)
    except Refused as refused:
        return _station_form(facts, None, refused.messages(), 400, unknown,
                             {day: request.form.get(f"hours_{day}", "") for day in WEEKDAYS})
    return redirect(url_for("network.stations", saved=station.code), 303)


def _station_or_404(code: str) -> Station:
    station = Station.select(Station, District).join(District).where(Station.code == code[:40]).first()
    if station is None:
        abort(404)
    return station


@bp.route("/stations/<code>", methods=["GET", "POST"])
@login_required("admin")
def edit_station(code: str):
    """A station's edit form, and saving it (its kiosk gets the new configuration)."""
    station = _station_or_404(code)
    if request.method == "GET":
        return _station_form(facts_of(station), station, [])
    facts, unreadable = facts_from_form(request.form, code=station.code)
    try:
        save_station(facts, station, actor=g.user, unreadable=unreadable)
    except Refused as refused:
        return _station_form(facts, station, refused.messages(), 400,
                             hours={day: request.form.get(f"hours_{day}", "") for day in WEEKDAYS})
    return redirect(url_for("network.stations", saved=station.code), 303)


@bp.post("/stations/<code>/close")
@login_required("admin")
def close_station(code: str):
    """Close a station for good: it leaves the dashboard and the API; its history stays."""
    set_closed(_station_or_404(code), True, utcnow(), actor=g.user)
    return redirect(url_for("network.stations", saved=code), 303)


@bp.post("/stations/<code>/reopen")
@login_required("admin")
def reopen_station(code: str):
    """Open a closed station again."""
    set_closed(_station_or_404(code), False, utcnow(), actor=g.user)
    return redirect(url_for("network.stations", saved=code), 303)


# The organisation tree

def _tree_page(errors: list[str] = (), status: int = 200, form: str = "", values: dict | None = None):
    districts = list(District.select().order_by(District.code))
    return render_template("station_admin/admin/network/organisation.html", tree=tree(), all_districts=districts,
                           federations=list(Federation.select().order_by(Federation.code)), errors=errors,
                           form=form, values=values or {}, saved=request.args.get("saved")), status


@bp.get("/organisation")
@login_required("admin")
def organisation():
    """Federations, their districts and the districts' legal-aid centres, with forms to add and change them."""
    return _tree_page()


def _saved(kind: str):
    return redirect(url_for("network.organisation", saved=kind), 303)


@bp.post("/federations", defaults={"federation_id": None})
@bp.post("/federations/<int:federation_id>")
@login_required("admin")
def save_federation_view(federation_id: int | None):
    """Add a federation, or change one."""
    federation = Federation.get_or_none(Federation.id == federation_id) if federation_id else None
    if federation_id and federation is None:
        abort(404)
    form = request.form
    try:
        save_federation(form.get("code", ""), form.get("name_zh", ""), form.get("name_en", ""),
                        form.get("members_need_approval") == "yes", federation, actor=g.user)
    except Refused as refused:
        return _tree_page(refused.messages(), 400, f"federation-{federation_id or 'new'}", form)
    return _saved("federation")


@bp.post("/districts", defaults={"district_id": None})
@bp.post("/districts/<int:district_id>")
@login_required("admin")
def save_district_view(district_id: int | None):
    """Add a district union under a federation, or change one."""
    district = District.get_or_none(District.id == district_id) if district_id else None
    if district_id and district is None:
        abort(404)
    form = request.form
    try:
        save_district(form.get("code", ""), form.get("federation", ""), form.get("name_zh", ""),
                      form.get("name_en", ""), district, actor=g.user)
    except Refused as refused:
        return _tree_page(refused.messages(), 400, f"district-{district_id or 'new'}", form)
    return _saved("district")


@bp.post("/centres", defaults={"centre_id": None})
@bp.post("/centres/<int:centre_id>")
@login_required("admin")
def save_centre_view(centre_id: int | None):
    """Add a legal-aid centre in a district, or change one, with the further districts it serves."""
    centre = LegalAidCentre.get_or_none(LegalAidCentre.id == centre_id) if centre_id else None
    if centre_id and centre is None:
        abort(404)
    form = request.form
    try:
        save_centre(form.get("district", ""), form.get("name_zh", ""), form.get("name_en", ""),
                    form.getlist("serves"), centre, actor=g.user)
    except Refused as refused:
        return _tree_page(refused.messages(), 400, f"centre-{centre_id or 'new'}", form)
    return _saved("centre")


# Bulk import: upload, preview (nothing written), confirm, a background job with its progress

# The preview lists every refused row, and creates and changes up to this many rows in all.
PREVIEW_ROWS = 500

def _import_path(token: str, suffix: str) -> Path:
    return Path(current_settings().central.import_dir) / f"{token}{suffix}"


@bp.get("/stations/import")
@login_required("admin")
def import_form():
    """The upload form for a CSV or .xlsx file of stations (docs/stations-import.md)."""
    return render_template("station_admin/admin/network/import.html", plans=None, errors=[], columns=imports.COLUMNS)


@bp.post("/stations/import")
@login_required("admin")
def import_preview():
    """Every row of the uploaded file as it would be imported; nothing is written until confirmed."""
    upload = request.files.get("file")
    name = (upload.filename or "") if upload else ""
    suffix = Path(name).suffix.lower()
    try:
        if not upload or suffix not in IMPORT_SUFFIXES:
            raise Refused.one("imports.error.kind")
        data = upload.read()
        plans = imports.plan(imports.read_rows(name, data))
    except Refused as refused:
        return render_template("station_admin/admin/network/import.html", plans=None, errors=refused.messages(),
                               columns=imports.COLUMNS), 400
    token = secrets.token_urlsafe(16)
    path = _import_path(token, suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    session["station_import"] = token + suffix
    session["station_import_name"] = name[:200]
    listed = [p for p in plans if p.action == "error"]
    listed += [p for p in plans if p.action in ("create", "change")][:max(0, PREVIEW_ROWS - len(listed))]
    listed.sort(key=lambda p: p.line)
    return render_template("station_admin/admin/network/import.html", plans=plans, errors=[], token=token + suffix,
                           name=name, columns=imports.COLUMNS, listed=listed,
                           more=sum(1 for p in plans if p.action in ("create", "change", "error")) - len(listed),
                           counts={a: sum(1 for p in plans if p.action == a)
                                   for a in ("create", "change", "unchanged", "error")})


@bp.post("/stations/import/confirm")
@login_required("admin")
def import_confirm():
    """Queue the previewed file's import; its progress page follows (checked again against the database then)."""
    token = request.form.get("token", "")
    if not token or token != session.get("station_import"):
        return render_template("station_admin/admin/network/import.html", plans=None, columns=imports.COLUMNS,
                               errors=[translate("imports.error.expired")]), 400
    path = _import_path(Path(token).stem, Path(token).suffix)
    if not path.is_file():
        return render_template("station_admin/admin/network/import.html", plans=None, columns=imports.COLUMNS,
                               errors=[translate("imports.error.expired")]), 400
    session.pop("station_import", None)
    try:
        job = import_jobs.start_import(g.user, path.name, session.pop("station_import_name", "") or path.name)
    except import_jobs.ImportBusy as busy:
        path.unlink(missing_ok=True)
        return _import_job_response(busy.job, notice="imports.busy")
    return redirect(url_for("network.import_job", job_id=job.id), 303)


@bp.get("/stations/import/jobs/<int:job_id>")
@login_required("admin")
def import_job(job_id: int):
    """An import's progress: polled by htmx while it runs, then what it wrote."""
    return _import_job_response(_own_import(job_id))


@bp.post("/stations/import/jobs/<int:job_id>/again")
@login_required("admin")
def import_again(job_id: int):
    """Run a failed import again: what it had written stays, the rest is written."""
    job = _own_import(job_id)
    if job.status != "failed" or not (Path(current_settings().central.import_dir) / job.path).is_file():
        return _import_job_response(job, notice="imports.cannot_again"), 409
    try:
        job = import_jobs.run_again(job)
    except import_jobs.ImportBusy as busy:
        return _import_job_response(busy.job or job, notice="imports.busy")
    return _import_job_response(job)


def _own_import(job_id: int) -> import_jobs.StationImportJob:
    job = import_jobs.StationImportJob.of_user(job_id, g.user)
    if job is None:
        abort(404)
    return job


def _import_job_response(job, notice: str | None = None):
    return page_or_fragment("station_admin/admin/network/import_job.html",
                            "station_admin/admin/network/_import_job.html", job=job, notice=notice,
                            poll_seconds=current_settings().reports.export_poll_seconds)
