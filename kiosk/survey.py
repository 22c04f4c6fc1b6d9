"""Surveys at the kiosk (问卷): central's invitation after a card check-in, the questions by taps, the answer
through the outbox.

Central decides who is invited (in the survey's target, not answered, not invited yet today: see
station_admin.surveys.responses) and answers a card check-in on the station's invitation topic. The
check-in confirmation always comes first; when it closes, an invitation for that check-in takes its
place (never in the way of checking in). With no network the kiosk offers, at most once a day, an
invitation it received earlier for that member. The response carries an id made here; central counts
one response per member per survey, whichever kiosk or phone it comes from first. Free text is asked
on the phone only (the invitation's QR opens the rider's own link).
"""

from __future__ import annotations

import json
import logging
from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, redirect, render_template, request, session, url_for

from devices.protocol import events, surveys, utcnow
from kiosk.context import broker_online, wake_outbox
from kiosk.listener import stored
from kiosk.models import CheckIn, OpenSurvey, OutboxEvent, SurveyInvite, db
from waystation.qr import qr_svg
from waystation.web import current_settings, htmx, translate

log = logging.getLogger(__name__)
bp = Blueprint("survey", __name__, url_prefix="/survey")
INVITE = "survey_invite"


class SurveyListener:
    """Subscribes to the station's open surveys and to central's invitations."""

    def __init__(self, link, station_id: str):
        self.link = link
        self.station_id = station_id

    def subscribe(self) -> None:
        """Register the subscriptions (kept across reconnects by the link)."""
        s = self.station_id
        self.link.subscribe(surveys.SURVEYS_PATTERN.format(station=s),
                            stored(self.link, surveys.parse_surveys, on_surveys))
        self.link.subscribe(surveys.INVITATION_PATTERN.format(station=s),
                            stored(self.link, surveys.parse_invitation, on_invitation))


def on_surveys(message: surveys.StationSurveys) -> None:
    """Replace the offered surveys with central's list: a closed survey is gone at once."""
    with db.atomic():
        OpenSurvey.delete().execute()
        for s in message.surveys:
            OpenSurvey.create(survey_id=s.survey_id, version=s.version, title_zh=s.title["zh"], title_en=s.title["en"],
                              ends=s.ends, anonymous=s.anonymous,
                              questions=json.dumps([q.to_fields() for q in s.questions], ensure_ascii=False))
    log.info("%d surveys offered at this station", len(message.surveys))


def on_invitation(message: surveys.SurveyInvitation) -> None:
    """Keep central's invitation of a member (shown when the check-in's confirmation closes)."""
    now = utcnow()
    for invitation in message.invitations:
        (SurveyInvite.insert(checkin_event_id=message.checkin_id, member_no=message.member_no,
                             survey_id=invitation.survey_id, version=invitation.version, link=invitation.link,
                             received_at=now)
         .on_conflict_ignore().execute())
    log.info("member %s invited to %d surveys", message.member_no, len(message.invitations))


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(current_settings().kiosk.timezone)).date()


def _answered_here(member_no: str, survey_id: int) -> bool:
    return SurveyInvite.select().where(SurveyInvite.member_no == member_no, SurveyInvite.survey_id == survey_id,
                                       SurveyInvite.answered_at.is_null(False)).exists()


def _offerable(invite: SurveyInvite, today: date) -> bool:
    survey = OpenSurvey.running(invite.survey_id, utcnow())
    return (survey is not None and survey.version == invite.version and invite.answered_at is None
            and invite.shown_on != today and not _answered_here(invite.member_no, invite.survey_id)
            and not SurveyInvite.select().where(SurveyInvite.member_no == invite.member_no,
                                                SurveyInvite.shown_on == today).exists())


def invitation_after(checkin: CheckIn) -> SurveyInvite | None:
    """The invitation to show when this check-in's confirmation closes: central's for this check-in, or
    (offline) an earlier one for the member; never one shown already today."""
    if not checkin.member_no:
        return None
    today = _today()
    mine = SurveyInvite.select().where(SurveyInvite.checkin_event_id == checkin.event_id).order_by(SurveyInvite.id)
    found = next((i for i in mine if _offerable(i, today)), None)
    if found is None and not broker_online():
        earlier = (SurveyInvite.select().where(SurveyInvite.member_no == checkin.member_no)
                   .order_by(SurveyInvite.id.desc()))
        found = next((i for i in earlier if _offerable(i, today)), None)
    if found is not None:
        SurveyInvite.update(shown_on=today).where(SurveyInvite.id == found.id).execute()
        session[INVITE] = found.id
    return found


def render_invitation(invite: SurveyInvite):
    """The invitation dialog: start here, or scan to answer on the phone, or not now."""
    survey = OpenSurvey.get_by_id(invite.survey_id)
    qr = qr_svg(invite.link, translate("kiosk.survey.qr_label")) if invite.link else None
    return render_template("kiosk/survey/_invitation.html", invite=invite, survey=survey, qr=qr,
                           count=len(json.loads(survey.questions)))


def _current(invite_id: int) -> tuple[SurveyInvite, OpenSurvey]:
    """The invitation this screen's rider was shown, and its survey while offered; 404 for anything else."""
    if session.get(INVITE) != invite_id:
        abort(404)
    invite = SurveyInvite.get_or_none(SurveyInvite.id == invite_id)
    survey = OpenSurvey.running(invite.survey_id, utcnow()) if invite else None
    if invite is None:
        abort(404)
    return invite, survey


def _questions(survey: OpenSurvey) -> list[surveys.Question]:
    return [surveys.Question.from_fields(q) for q in json.loads(survey.questions)]


def _screen(invite, survey, error=None, chosen=None, status=200):
    gone = survey is None or survey.version != invite.version
    return render_template("kiosk/survey/index.html", invite=invite, survey=survey, gone=gone,
                           questions=[] if gone else _questions(survey), error=error, chosen=chosen or {},
                           answered=invite.answered_at is not None or _answered_here(invite.member_no,
                                                                                      invite.survey_id)), status


@bp.get("/<int:invite_id>")
def show(invite_id: int):
    """The survey's questions, one screen of taps."""
    invite, survey = _current(invite_id)
    return _screen(invite, survey)


def parse_answers(questions: list[surveys.Question], form) -> tuple[dict, str | None]:
    """The answers the form gives, or the message of what is wrong (nothing chosen, a bad value)."""
    answers: dict = {}
    for q in questions:
        name = f"a_{q.question_id}"
        ids = {c.choice_id for c in q.choices}
        if q.kind == "multiple":
            chosen = list(dict.fromkeys(v for v in form.getlist(name) if v))
            if chosen and not set(chosen) <= ids:
                return answers, translate("kiosk.survey.bad_answer")
            if chosen:
                answers[q.question_id] = tuple(sorted(chosen))
            continue
        value = form.get(name, "").strip()
        if not value:
            continue
        if q.kind == "single":
            if value not in ids:
                return answers, translate("kiosk.survey.bad_answer")
            answers[q.question_id] = value
        else:
            low, high = (1, 5) if q.kind == "rating" else (q.low, q.high)
            if not value.lstrip("-").isdecimal() or len(value) > 11 or not low <= int(value) <= high:
                return answers, translate("kiosk.survey.bad_number", low=low, high=high)
            answers[q.question_id] = int(value)
    if not answers:
        return answers, translate("kiosk.survey.nothing")
    return answers, None


@bp.post("/<int:invite_id>")
def answer(invite_id: int):
    """Queue the response as one outbox event; a bad answer is shown with its message and nothing is queued."""
    invite, survey = _current(invite_id)
    if survey is None or survey.version != invite.version or invite.answered_at is not None or \
            _answered_here(invite.member_no, invite.survey_id):
        return _screen(invite, survey, status=409)
    answers, error = parse_answers(_questions(survey), request.form)
    if error:
        chosen = {k: request.form.getlist(k) for k in request.form if k.startswith("a_")}
        return _screen(invite, survey, error, chosen, 400)
    body = surveys.SurveyResponse(events.new_event_id(), invite.survey_id, invite.version, invite.member_no,
                                  tuple(sorted(answers.items())))
    now = utcnow()
    with db.atomic():
        OutboxEvent.add(body, now)
        SurveyInvite.update(answered_at=now, response_id=body.response_id).where(SurveyInvite.id == invite.id).execute()
    wake_outbox()
    log.info("survey %s response %s queued", invite.survey_id, body.response_id)
    return redirect(url_for("survey.thanks", invite_id=invite.id), 303)


@bp.get("/<int:invite_id>/thanks")
def thanks(invite_id: int):
    """The thank-you after answering."""
    invite, survey = _current(invite_id)
    if invite.answered_at is None:
        return redirect(url_for("survey.show", invite_id=invite.id), 303)
    session.pop(INVITE, None)
    return render_template("kiosk/survey/thanks.html", invite=invite)


@bp.get("/<int:invite_id>/later")
def later(invite_id: int):
    """Not now: close the invitation (it is not shown again today)."""
    session.pop(INVITE, None)
    if not htmx:
        return redirect(url_for("home.index"), 303)
    return render_template("kiosk/checkin/_dialog_slot.html")
