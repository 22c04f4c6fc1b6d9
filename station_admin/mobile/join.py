"""Joining on the rider's phone (/m/join from a kiosk's QR) and the member card page (/m/card/<link>).

The card page's address is the member's secret: whoever opens it sees the card, so it is long,
random, stored only as a hash, never cached, and replaced when a card is re-issued.

A join link lives for minutes (`members.join_form_minutes`) and lets a bounded number of riders
join (`members.joins_per_link`); joins per client address and attempts per mobile number are
bounded too (station_admin.core.throttle), so one photo of a kiosk QR does not make a crowd of members.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for

from devices.protocol import utcnow
from station_admin.community.careday import Voucher, local_month
from station_admin.core import throttle
from station_admin.core.context import current_protector
from station_admin.core.models import District, Station, db
from station_admin.core.protect import is_mobile, normalise_mobile
from station_admin.members import models as membership
from station_admin.surveys import responses as survey_responses
from waystation.cards import check_join_link
from waystation.qr import qr_png, qr_svg
from waystation.web import current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("join", __name__, url_prefix="/m")

NAME_MAX = 20
# Letters of any script (Chinese, Latin, Uyghur...), single spaces, the middle dot of transliterated names.
NAME_RE = re.compile(r"^[^\W\d_]+(?:[ ·.\-][^\W\d_]+)*$")




def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _link_station(max_minutes: int) -> Station | None:
    """The station a join link names, when its signature is right and it is fresh enough."""
    args = request.values
    station = Station.get_or_none(Station.code == args.get("s", "")[:40])
    if station is None:
        return None
    ok = check_join_link(current_protector().join_key(station.code), station.code, args.get("t", ""), args.get("h", ""),
                         utcnow(), timedelta(minutes=max_minutes))
    return station if ok else None


def validate_join(form, districts: dict[str, District]) -> tuple[dict, dict[str, str]]:
    """The cleaned join form and, for each field that is wrong, the message to show beside it."""
    errors: dict[str, str] = {}
    name = " ".join(form.get("name", "").split())
    if not name:
        errors["name"] = translate("join.error_name_missing")
    elif len(name) > NAME_MAX:
        errors["name"] = translate("join.error_name_long", max=NAME_MAX)
    elif not NAME_RE.match(name):
        errors["name"] = translate("join.error_name_chars")
    phone = normalise_mobile(form.get("phone", "")[:30])
    if not phone:
        errors["phone"] = translate("join.error_phone_missing")
    elif not is_mobile(phone):
        errors["phone"] = translate("join.error_phone")
    platform = form.get("platform", "")
    if platform not in membership.PLATFORMS:
        errors["platform"] = translate("join.error_platform")
    worker_group = form.get("worker_group", "")
    if worker_group and worker_group not in membership.WORKER_GROUPS:
        errors["worker_group"] = translate("join.error_worker_group")
    district = districts.get(form.get("district", ""))
    if district is None:
        errors["district"] = translate("join.error_district")
    if form.get("consent") != "yes":
        errors["consent"] = translate("join.error_consent")
    return {"name": name, "phone": phone, "platform": platform, "district": district,
            "worker_group": worker_group or None}, errors


@bp.route("/join", methods=["GET", "POST"])
def form():
    """The join form (GET from the kiosk's QR), and joining (POST)."""
    settings = current_settings()
    minutes = settings.members.join_link_minutes if request.method == "GET" else settings.members.join_form_minutes
    station = _link_station(minutes)
    if station is None:
        return _no_store(Response(render_template("station_admin/mobile/join/expired.html"), 400))
    districts = {d.code: d for d in District.select().where(District.federation == station.district.federation_id)
                 .order_by(District.code)}
    values = {"district": station.district.code}
    errors: dict[str, str] = {}
    wait = None
    consent = membership.ConsentText.current()
    if request.method == "POST":
        values = {k: request.form.get(k, "")[:200] for k in ("name", "phone", "platform", "worker_group", "district",
                                                         "consent")}
        cleaned, errors = validate_join(request.form, districts)
        if request.form.get("consent_version", "") != str(consent.version):
            # A new notice was published while the form was open: the joiner agrees to the one they read.
            errors["consent"] = translate("join.error_consent_changed")
            values["consent"] = ""
        now = utcnow()
        keys = {"link": "|".join(request.values.get(k, "")[:40] for k in ("s", "t", "h")),
                "address": request.remote_addr or "?", "phone": cleaned["phone"]}
        wait = None if errors else throttle.held(throttle.JOIN, keys, now)
        if wait:
            errors["form"] = translate(f"join.error_limited_{wait.scope}", minutes=wait.minutes)
        elif not errors:
            try:
                with db.atomic():
                    member, token = membership.join(
                        current_protector(), name=cleaned["name"], phone=cleaned["phone"], platform=cleaned["platform"],
                        district=cleaned["district"], station_code=station.code, now=now,
                        card_days=settings.members.card_valid_days, consent=consent,
                        worker_group=cleaned["worker_group"])
                    throttle.count(throttle.JOIN, keys, now, subject=station.code)
            except membership.MembershipError as e:
                with db.atomic():
                    throttle.count(throttle.JOIN, {"phone": keys["phone"]}, now, subject=station.code)
                errors["phone" if e.key == "already_member" else "form"] = translate(f"join.error_{e.key}")
            else:
                log.info("member %s joined at %s (%s)", member.member_no, station.code, member.status)
                return redirect(url_for("join.card", token=token), 303)
    page = render_template("station_admin/mobile/join/form.html", station=station, districts=districts.values(),
                           platforms=membership.PLATFORMS, worker_groups=membership.WORKER_GROUPS, values=values,
                           errors=errors, consent=consent,
                           link={k: request.values.get(k, "") for k in ("s", "t", "h")})
    return _no_store(Response(page, 429 if wait else 400 if errors else 200))


@bp.get("/card/<token>")
def card(token: str):
    """The member's card: QR, member number, validity; or where the membership stands."""
    member = membership.Member.by_page_token(token[:64])
    if member is None:
        abort(404)
    text = member.card_text(current_protector())
    month = local_month(utcnow(), current_settings().central.timezone)
    claims = list(Voucher.of_member(member.member_no, month))
    voucher = next((v for v in claims if v.status == "confirmed"), claims[0] if claims else None)
    voucher_text = voucher.text if voucher is not None and voucher.status == "confirmed" else None
    waiting = survey_responses.waiting_for(member, current_protector(), survey_responses.local_day(
        utcnow(), current_settings().central.timezone)) if member.status == "active" else []
    page = render_template("station_admin/mobile/join/card.html", member=member, token=token, surveys=waiting,
                           qr=qr_svg(text, translate("join.card_qr_label")) if text else None, voucher=voucher,
                           voucher_qr=qr_svg(voucher_text, translate("kiosk.voucher.qr_label")) if voucher_text
                           else None)
    return _no_store(Response(page))


@bp.get("/card/<token>/card.png")
def card_png(token: str):
    """The card's QR as a picture to save on the phone."""
    member = membership.Member.by_page_token(token[:64])
    text = member.card_text(current_protector()) if member else None
    if text is None:
        abort(404)
    response = Response(qr_png(text), mimetype="image/png")
    response.headers["Content-Disposition"] = f'attachment; filename="member-card-{member.member_no}.png"'
    return _no_store(response)
