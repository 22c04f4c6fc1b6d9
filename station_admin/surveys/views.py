"""The staff survey pages (/surveys/): the list, the builder, publish and close, results and exports."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for

from devices.protocol import utcnow
from station_admin.core.auth import login_required
from station_admin.core.context import current_protector
from station_admin.core.models import District, Station, db
from station_admin.members.models import PLATFORMS, WORKER_GROUPS
from station_admin.surveys import builder, results
from station_admin.surveys.models import KINDS, Survey, SurveyConflict, SurveyResponse
from waystation.web import current_language, page_or_fragment, translate

log = logging.getLogger(__name__)
bp = Blueprint("surveys", __name__, url_prefix="/surveys")
ROLES = ("admin", "federation")
BLANK_ROWS = 3


def survey_or_404(survey_id: int) -> Survey:
    """A survey this user may see; 404 for any other."""
    survey = builder.visible_surveys(g.user).where(Survey.id == survey_id).first()
    if survey is None:
        abort(404)
    return survey


def _builder(survey: Survey | None, facts: builder.VersionFacts, problems=(), status: int = 200):
    owners = builder.owners_for(g.user)
    federation_ids = {o.federation.id for o in owners}
    districts = list(District.select().where(District.federation.in_(list(federation_ids))).order_by(District.code))
    stations = list(Station.select(Station, District).join(District)
                    .where(District.federation.in_(list(federation_ids))).order_by(District.code, Station.code))
    rows = max(len(facts.questions) + BLANK_ROWS, 1)
    messages = [translate(key, **values) for key, values in problems]
    return render_template("station_admin/surveys/edit.html", survey=survey, facts=facts, owners=owners,
                           districts=districts, stations=stations, groups=WORKER_GROUPS, platforms=PLATFORMS,
                           kinds=KINDS, rows=min(rows, builder.MAX_QUESTIONS), errors=messages,
                           owner_code=request.form.get("owner", owners[0].code if owners else "")), status


@bp.get("/")
@login_required(*ROLES)
def index():
    """Every survey the user may manage, newest first, with its state and count of responses."""
    found = list(builder.visible_surveys(g.user))
    counts = {s.id: SurveyResponse.select().where(SurveyResponse.survey == s.id).count() for s in found}
    return render_template("station_admin/surveys/index.html", surveys=found, counts=counts,
                           can_build=bool(builder.owners_for(g.user)))


@bp.route("/new", methods=["GET", "POST"])
@login_required(*ROLES)
def new():
    """The builder for a new survey; saving makes its first version, a draft."""
    owners = {o.code: o for o in builder.owners_for(g.user)}
    if request.method == "GET":
        return _builder(None, builder.VersionFacts())
    owner = owners.get(request.form.get("owner", ""))
    if owner is None:
        return _builder(None, builder.VersionFacts(), [("surveys.error.owner", {})], 400)
    facts, problems = builder.parse_form(request.form, owner.federation)
    if problems:
        return _builder(None, facts, problems, 400)
    with db.atomic():
        survey = builder.create(owner, facts, g.user, utcnow())
    return redirect(url_for("surveys.show", survey_id=survey.id), 303)


@bp.get("/<int:survey_id>")
@login_required(*ROLES)
def show(survey_id: int):
    """A survey: its versions, the draft's builder, publish and close."""
    survey = survey_or_404(survey_id)
    return _show(survey)


def _show(survey: Survey, error: str | None = None, status: int = 200):
    draft = survey.draft()
    published = survey.published()
    return render_template("station_admin/surveys/show.html", survey=survey, versions=survey.versions(), draft=draft,
                           published=published, error=error,
                           responses=SurveyResponse.select().where(SurveyResponse.survey == survey.id).count(),
                           conflicts=list(SurveyConflict.select().where(SurveyConflict.survey == survey.id)
                                          .order_by(SurveyConflict.id))), status


@bp.route("/<int:survey_id>/edit", methods=["GET", "POST"])
@login_required(*ROLES)
def edit(survey_id: int):
    """Change the draft; on a published survey this makes a new version (the published one never changes)."""
    survey = survey_or_404(survey_id)
    if survey.closed:
        return _show(survey, translate("surveys.error.closed"), 409)
    if request.method == "GET":
        version = survey.draft() or survey.published()
        return _builder(survey, builder.facts_of(version))
    facts, problems = builder.parse_form(request.form, survey.federation)
    if problems:
        return _builder(survey, facts, problems, 400)
    with db.atomic():
        builder.save_draft(survey, facts, g.user, utcnow())
    return redirect(url_for("surveys.show", survey_id=survey.id), 303)


@bp.post("/<int:survey_id>/publish")
@login_required(*ROLES)
def publish(survey_id: int):
    """Publish the draft version: kiosks offer it within seconds."""
    return _act(survey_or_404(survey_id), builder.publish)


@bp.post("/<int:survey_id>/close")
@login_required(*ROLES)
def close(survey_id: int):
    """Close the survey: kiosks drop it within seconds, phones refuse it at once."""
    return _act(survey_or_404(survey_id), builder.close)


def _act(survey: Survey, action):
    try:
        with db.atomic():
            action(survey, g.user, utcnow())
    except builder.SurveyError as e:
        return _show(survey, translate(e.key, **e.values), 409)
    return redirect(url_for("surveys.show", survey_id=survey.id), 303)


def _results_for(survey: Survey) -> results.Results:
    number = request.args.get("version", "")
    published = [v for v in survey.versions() if v.published_at is not None]
    if not published:
        abort(404)
    version = next((v for v in published if str(v.number) == number), published[-1]) if number else published[-1]
    if number and str(version.number) != number:
        abort(404)
    protector = current_protector() if builder.reads_free_text(g.user, survey) else None
    return results.version_results(version, current_language(), translate, protector)


@bp.get("/<int:survey_id>/results")
@login_required(*ROLES)
def show_results(survey_id: int):
    """Per question: counts and shares, cross-tabs by group and district (suppressed), charts."""
    survey = survey_or_404(survey_id)
    found = _results_for(survey)
    published = [v for v in survey.versions() if v.published_at is not None]
    return page_or_fragment("station_admin/surveys/results.html", "station_admin/surveys/_results.html",
                            survey=survey, results=found, published=published,
                            reads_text=builder.reads_free_text(g.user, survey))


@bp.get("/<int:survey_id>/results.<any(csv, xlsx):kind>")
@login_required(*ROLES)
def export(survey_id: int, kind: str):
    """The results as CSV or .xlsx: the same suppressed figures as the page."""
    survey = survey_or_404(survey_id)
    found = _results_for(survey)
    name = f"survey-{survey.id}-v{found.version.number}.{kind}"
    log.info("%s exported survey %s version %d as %s", g.user.username, survey.id, found.version.number, kind)
    if kind == "csv":
        return Response(results.export_csv(found, translate), mimetype="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Response(results.export_xlsx(found, translate),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
