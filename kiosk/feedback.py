"""Feedback at the kiosk: rate the station today (1 to 5) and/or tap pain points, anonymous unless a card is scanned.

Taps only, one screen. A member card scanned on that screen attaches the member number (kept in
the session until the feedback is sent; the idle reset wipes it). Sending queues one `feedback`
event through the outbox, the record of it; nothing else is stored at the kiosk.
"""

from __future__ import annotations

import logging

from flask import Blueprint, redirect, render_template, request, session, url_for

from devices.protocol import events, utcnow
from kiosk.context import wake_outbox
from kiosk.models import OutboxEvent, db
from kiosk.trust import check_card
from waystation.pain_points import load_pain_points
from waystation.web import htmx, translate

log = logging.getLogger(__name__)
bp = Blueprint("feedback", __name__, url_prefix="/feedback")
MEMBER = "feedback_member"
SENT = "feedback_sent"
SCORES = (1, 2, 3, 4, 5)


def pain_points():
    """The pain points the screen offers (config/pain_points.toml, shared with central)."""
    return load_pain_points()


def _form(score=None, chosen=(), error=None, status=200):
    return render_template("kiosk/feedback/index.html", pain_points=pain_points().items, scores=SCORES,
                           score=score, chosen=set(chosen), member_no=session.get(MEMBER), error=error), status


def parse_feedback(form, known: list[str]) -> tuple[events.Feedback | None, str | None]:
    """The feedback a submitted form asks to send, or the message key saying what is wrong with it."""
    score_text = form.get("score", "").strip()
    categories = list(dict.fromkeys(form.getlist("category")))
    if score_text and score_text not in {str(s) for s in SCORES}:
        return None, "kiosk.feedback.bad_score"
    if any(c not in known for c in categories) or len(categories) > events.MAX_FEEDBACK_CATEGORIES:
        return None, "kiosk.feedback.bad_category"
    if not score_text and not categories:
        return None, "kiosk.feedback.choose_something"
    return events.Feedback(int(score_text) if score_text else None, tuple(categories), session.get(MEMBER)), None


@bp.get("/")
def index():
    """The feedback screen: five faces, the pain points, send."""
    return _form()


@bp.post("/")
def create():
    """Queue the rider's feedback as one outbox event; bad input is shown again with a message, nothing queued."""
    body, error = parse_feedback(request.form, pain_points().ids)
    if body is None:
        log.info("feedback refused: %s", error)
        score = request.form.get("score", "")
        return _form(int(score) if score.isdigit() else None, request.form.getlist("category"),
                     translate(error), 400)
    with db.atomic():
        event = OutboxEvent.add(body, utcnow())
    wake_outbox()
    session.pop(MEMBER, None)
    # The thank-you reads the session, not the outbox row: once central confirms the event, the row
    # no longer holds the member number.
    session[SENT] = {"event": event.event_id, "member_no": body.member_no}
    log.info("feedback %s queued (%s)", event.event_id, "member" if body.member_no else "anonymous")
    return redirect(url_for("feedback.thanks"), 303)


@bp.post("/card")
def card():
    """A member card scanned on the feedback screen: its member number goes with the feedback."""
    result = check_card(request.form.get("code", "")[:400])
    if not result.valid:
        log.info("card refused at feedback: %s", result.status)
        return render_template("kiosk/checkin/_card_refused.html", status=result.status.value,
                               hint_key="kiosk.feedback.card_hint"), 200 if htmx else 422
    session[MEMBER] = result.card.member_no
    if not htmx:
        return redirect(url_for("feedback.index"), 303)
    return render_template("kiosk/feedback/_member.html", member_no=result.card.member_no)


@bp.get("/thanks")
def thanks():
    """The thank-you, saying whether the feedback went anonymously or with the member number."""
    sent = session.get(SENT)
    if not isinstance(sent, dict):
        return redirect(url_for("home.index"), 303)
    return render_template("kiosk/feedback/thanks.html", member_no=sent.get("member_no"))
