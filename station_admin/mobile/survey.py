"""A survey on the rider's own phone (/m/survey/<survey>/<member>/<tag>), from the kiosk invitation's
QR or the link on the member's card page; works in the WeChat browser (a plain form, no JavaScript).

The link is the member's own (a keyed tag central made), so the answer counts for that member, once,
as a kiosk's would (station_admin.surveys.responses). The form carries a response id made when it was
shown, so sending it twice is one response.
"""

from __future__ import annotations

import hmac
import logging

from flask import Blueprint, Response, abort, render_template, request

from devices.protocol import events, utcnow
from devices.protocol._base import EVENT_ID_RE
from station_admin.core.context import current_protector
from station_admin.core.models import District, db
from station_admin.members.models import Member
from station_admin.surveys import responses
from station_admin.surveys.models import Survey, SurveyResponse
from waystation.web import current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("survey_phone", __name__, url_prefix="/m/survey")


def _no_store(page: str, status: int = 200) -> Response:
    response = Response(page, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _resolve(survey_id: int, member_no: str, tag: str):
    """The survey, its asked version and the member of a genuine link; 404 for anything else."""
    protector = current_protector()
    want = protector.link_mac("survey-link", f"{survey_id}.{member_no[:20]}")
    if not hmac.compare_digest(want, tag[:64]):
        abort(404)
    survey = Survey.get_or_none(Survey.id == survey_id)
    member = Member.select(Member, District).join(District).where(Member.member_no == member_no,
                                                                  Member.status == "active").first()
    if survey is None or member is None:
        abort(404)
    return survey, survey.published(), member


def _state(survey, version, member) -> str | None:
    """Why the survey cannot be answered now (a message key), or None."""
    settings = current_settings()
    today = responses.local_day(utcnow(), settings.central.timezone)
    if version is None or survey.closed or not version.runs_on(today):
        return "surveys.phone.closed"
    if not version.fits(member):
        return "surveys.phone.not_targeted"
    key = responses.respondent_key(current_protector(), survey.id, member.member_no)
    if SurveyResponse.select().where(SurveyResponse.survey == survey.id, SurveyResponse.respondent_key == key).exists():
        return "surveys.phone.already"
    return None


def render(survey, version, member, link, error=None, status=200, values=None, response_id=None):
    page = render_template("station_admin/mobile/survey/index.html", survey=survey, version=version, link=link,
                           error=error, values=values or {}, response_id=response_id or events.new_event_id(),
                           state=_state(survey, version, member))
    return _no_store(page, status)


def read_form(version, form) -> dict:
    """The answers a phone form gives (empty fields skipped); numbers that are not numbers refused."""
    answers: dict = {}
    for q in version.questions:
        name = f"a_{q.question_id}"
        if q.kind == "multiple":
            chosen = [v[:20] for v in form.getlist(name) if v]
            if chosen:
                answers[q.question_id] = chosen
            continue
        value = form.get(name, "").strip()[:responses.MAX_TEXT * 2]
        if not value:
            continue
        if q.kind in ("rating", "number"):
            try:
                answers[q.question_id] = int(value)
            except ValueError:
                raise responses.AnswerError("surveys.error.bad_number", question=q.zh, low=q.low, high=q.high) \
                    from None
        else:
            answers[q.question_id] = value
    return answers


@bp.get("/<int:survey_id>/<member_no>/<tag>")
def form(survey_id: int, member_no: str, tag: str):
    """The whole survey on one page (free text too), or why it cannot be answered."""
    survey, version, member = _resolve(survey_id, member_no, tag)
    return render(survey, version, member, request.path)


@bp.post("/<int:survey_id>/<member_no>/<tag>")
def submit(survey_id: int, member_no: str, tag: str):
    """Count the phone's answers; a bad answer is shown with its message and nothing is stored."""
    survey, version, member = _resolve(survey_id, member_no, tag)
    response_id = request.form.get("response", "")
    if not EVENT_ID_RE.fullmatch(response_id):
        response_id = events.new_event_id()
    state = _state(survey, version, member)
    if state is not None:
        return render(survey, version, member, request.path, status=200 if state == "surveys.phone.already" else 409)
    try:
        answers = responses.check_answers(version, read_form(version, request.form), "phone")
    except responses.AnswerError as e:
        return render(survey, version, member, request.path, translate(e.key, **e.values), 400,
                      request.form, response_id)
    now = utcnow()
    with db.atomic():
        outcome = responses.record(survey, version, member, answers, response_id, "phone", None, now, now,
                                   current_protector())
    log.info("phone survey response %s to survey %s: %s", response_id, survey.id, outcome)
    return _no_store(render_template("station_admin/mobile/survey/thanks.html", survey=survey, version=version))
