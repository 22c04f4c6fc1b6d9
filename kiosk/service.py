"""Asking for help at the kiosk: legal aid, hardship aid, counselling, a health check — in six screens.

service → its questions (legal aid first asks what kind of labour dispute; a matter that is not one
is diverted with advice and nothing is filed) → who you are (member card, or a mobile number on
the keypad) → district and best time to call → confirm → receipt with a tracking code and QR.

The services and their questions are data (`config/services.toml`, read through waystation.services).
What the rider chose lives in the server session until they confirm, and the idle reset wipes it. A
mobile number is sealed to central the moment it is entered, so neither the session cookie nor the
kiosk database ever holds it in clear. The request goes through the outbox like every event, so it
is never lost while the kiosk is offline.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask_htmx import make_response

from devices.protocol import events, utcnow
from kiosk.context import broker_online, wake_outbox
from kiosk.models import OutboxEvent, StationInfo, db
from kiosk.trust import check_card, sealing_key
from waystation.phones import is_mobile, normalise_mobile
from waystation.qr import qr_svg
from waystation.sealing import seal
from waystation.services import load_services
from waystation.web import current_settings, htmx, translate

log = logging.getLogger(__name__)
bp = Blueprint("service", __name__, url_prefix="/service")
STATE = "service_request"
RECEIPT = "receipt"


def catalogue():
    """The service catalogue this kiosk offers (the file central uses too)."""
    return load_services(current_settings().requests.services_file or None)


def station() -> StationInfo:
    return StationInfo.for_station(current_settings().kiosk.station_id)


def state() -> dict:
    """What the rider has chosen so far (in the session, wiped by the idle reset)."""
    return session.get(STATE) or {}


def save(**values) -> None:
    session[STATE] = {**state(), **values}


def chosen_service():
    """The service of the request in progress, or None when the flow has not started."""
    return catalogue().get(state().get("service", ""))


def _restart():
    return redirect(url_for("service.index"), 303)


@bp.get("/")
def index():
    """Screen 1: which service."""
    session.pop(STATE, None)
    return render_template("kiosk/service/index.html", services=catalogue().services.values())


@bp.route("/<code>", methods=["GET", "POST"])
def questions(code: str):
    """Screen 2: the service's questions, all on one screen; a diverting answer ends with advice."""
    service = catalogue().get(code)
    if service is None:
        abort(404)
    answers, missing = {}, []
    if request.method == "POST":
        for question in service.questions:
            choice = question.choice(request.form.get(question.id, ""))
            if choice is None:
                missing.append(question.id)
            else:
                answers[question.id] = choice.id
        diverted = next((service.question(q).choice(c) for q, c in answers.items()
                         if service.question(q).choice(c).divert), None)
        if diverted is not None:
            session.pop(STATE, None)
            log.info("%s request diverted at the kiosk: %s", service.code, diverted.id)
            return render_template("kiosk/service/diverted.html", service=service, choice=diverted)
        if not missing:
            session[STATE] = {"service": service.code, "answers": answers}
            return redirect(url_for("service.identify"), 303)
    status = 400 if missing else 200
    return render_template("kiosk/service/questions.html", service=service, answers=answers or
                           (state().get("answers", {}) if state().get("service") == code else {}),
                           missing=missing), status


@bp.get("/identify")
def identify():
    """Screen 3: scan the member card, or enter a mobile number on the keypad."""
    if chosen_service() is None or "answers" not in state():
        return _restart()
    return render_template("kiosk/service/identify.html", service=chosen_service(),
                           can_use_phone=sealing_key() is not None, error=None)


@bp.post("/identify/card")
def identify_card():
    """A scanned member card identifies the rider (only the member number is kept)."""
    if chosen_service() is None:
        return make_response(redirect=url_for("service.index")) if htmx else _restart()
    result = check_card(request.form.get("code", "")[:400])
    if not result.valid:
        return render_template("kiosk/checkin/_card_refused.html", status=result.status.value,
                               hint_key="kiosk.service.card_hint"), 200 if htmx else 422
    save(member_no=result.card.member_no, sealed=None, last4=None)
    target = url_for("service.details")
    return make_response(redirect=target) if htmx else redirect(target, 303)


@bp.post("/identify/phone")
def identify_phone():
    """A non-member's mobile number, sealed to central at once; only its last four digits stay readable."""
    if chosen_service() is None:
        return _restart()
    key = sealing_key()
    phone = normalise_mobile(request.form.get("phone", "")[:20])
    error = None
    if key is None:
        error = translate("kiosk.service.phone_unavailable")
    elif not is_mobile(phone):
        error = translate("kiosk.service.phone_invalid")
    if error:
        # The digits stay on the keypad to be corrected, not typed again.
        typed = "".join(c for c in request.form.get("phone", "") if c.isdigit())[:11]
        return render_template("kiosk/service/identify.html", service=chosen_service(),
                               can_use_phone=key is not None, error=error, typed=typed), 400
    save(member_no=None, sealed=seal(key, phone), last4=phone[-4:])
    return redirect(url_for("service.details"), 303)


def _districts() -> list[tuple[str, str, str]]:
    info = station()
    return [tuple(d) for d in json.loads(info.districts or "[]")]


@bp.route("/details", methods=["GET", "POST"])
def details():
    """Screen 4: the rider's district (the station's unless they say otherwise) and when to call."""
    current = state()
    if chosen_service() is None or not (current.get("member_no") or current.get("sealed")):
        return _restart()
    districts = _districts()
    best_times = catalogue().best_times
    district = current.get("district") or station().district_code
    best_time = current.get("best_time")
    missing = []
    if request.method == "POST":
        district = request.form.get("district", "")
        best_time = request.form.get("best_time", "")
        if districts and district not in {code for code, *_ in districts}:
            missing.append("district")
        if catalogue().best_time(best_time) is None:
            missing.append("best_time")
        if not missing:
            save(district=district or None, best_time=best_time)
            return redirect(url_for("service.confirm"), 303)
    return render_template("kiosk/service/details.html", service=chosen_service(), districts=districts,
                           district=district, best_times=best_times, best_time=best_time,
                           missing=missing), 400 if missing else 200


@bp.route("/confirm", methods=["GET", "POST"])
def confirm():
    """Screen 5: what will be sent; confirming files it through the outbox."""
    current = state()
    service = chosen_service()
    if service is None or not current.get("best_time"):
        return _restart()
    if request.method == "POST":
        body = events.ServiceRequest(
            service=service.code, tracking_code=events.new_tracking_code(),
            answers=tuple(sorted(current["answers"].items())), best_time=current["best_time"],
            district=current.get("district"), member_no=current.get("member_no"),
            contact_sealed=current.get("sealed"), phone_last4=current.get("last4"))
        with db.atomic():
            event = OutboxEvent.add(body, utcnow())
            wake_outbox()
        session.pop(STATE, None)
        # The receipt is shown from the session (wiped by the idle reset), not from the outbox row:
        # the row keeps nothing of the rider once central confirms it, which may be before the receipt loads.
        session[RECEIPT] = {"service": service.code, "code": body.tracking_code, "member": body.member_no,
                            "last4": body.phone_last4}
        # Never the tracking code or phone digits in a log: with the kiosk PC they open /m/track.
        log.info("%s request queued as event %s", service.code, event.event_id)
        return redirect(url_for("service.receipt"), 303)
    districts = {code: (zh, en) for code, zh, en in _districts()}
    return render_template("kiosk/service/confirm.html", service=service, state=current,
                           district=districts.get(current.get("district") or ""),
                           best_time=catalogue().best_time(current["best_time"]))


@bp.get("/receipt")
def receipt():
    """Screen 6: the tracking code and a QR that opens the tracking page on the rider's phone."""
    data = session.get(RECEIPT)
    service = catalogue().get(data["service"]) if isinstance(data, dict) else None
    if service is None:
        return redirect(url_for("home.index"), 303)
    info = station()
    track_url = f"{info.public_url}/m/track?code={data['code']}" if info.public_url else None
    return render_template("kiosk/service/receipt.html", service=service, code=data["code"],
                           member=data.get("member"), last4=data.get("last4"), track_url=track_url,
                           qr=qr_svg(track_url, translate("kiosk.service.track_qr")) if track_url else None,
                           offline=kiosk_offline())


def kiosk_offline() -> bool:
    """Whether what the kiosk just saved may wait: no broker now, or events central should long have
    confirmed still unconfirmed. A request filed a moment ago on a working network is neither."""
    settings = current_settings()
    overdue = utcnow() - timedelta(seconds=settings.kiosk.confirm_timeout_s)
    return not broker_online() or OutboxEvent.overdue_count(overdue) > 0
