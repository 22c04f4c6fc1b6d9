"""Getting a lost card link back on the rider's phone (/m/recover): member number and the phone's last four digits.

The card page's address is the member's card (station_admin.mobile.join). A rider who lost it (a new
phone, a cleared browser) names their member number and the last four digits of the mobile number
they joined with; on a match central makes a new card-page link and opens it, and the old link stops
working (whoever holds the old phone or a forwarded link sees nothing more). The card itself is not
re-issued: cards already saved keep working at the kiosks.

Wrong tries are counted by the throttle (station_admin.core.throttle) per member number and per client
address, and every mismatch gets the same answer: an unknown number, wrong digits and a membership that
has ended (revoked, left, erased) cannot be told apart, so the page says nothing about who is a member.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, redirect, render_template, request, url_for

from devices.protocol import utcnow
from devices.protocol.identifiers import MEMBER_NO_RE
from station_admin.core import throttle
from station_admin.core.context import current_protector
from station_admin.core.models import db
from station_admin.members import models as membership
from waystation.web import translate

log = logging.getLogger(__name__)
bp = Blueprint("recover", __name__, url_prefix="/m/recover")
LAST4_RE = re.compile(r"^[0-9]{4}$")


def normalise_member_no(text: str) -> str:
    """A member number as a rider may type it: spaces and dashes dropped, any case."""
    return re.sub(r"[\s\-]", "", text[:40]).upper()[:20]


def _page(status: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context.setdefault("member_no", "")
    response = Response(render_template("station_admin/mobile/recover/index.html", **context), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("")
def index():
    """The recovery form."""
    return _page()


@bp.post("")
def submit():
    """On a match a new card-page link, opened at once; otherwise one message for every mismatch, nothing changed."""
    member_no = normalise_member_no(request.form.get("member_no", ""))
    last4 = request.form.get("last4", "").strip()[:10]
    if not MEMBER_NO_RE.match(member_no) or not LAST4_RE.match(last4):
        return _page(400, member_no=member_no[:10], error=translate("recover.error_format"))
    now = utcnow()
    keys = {"member_no": member_no, "address": request.remote_addr or "?"}
    wait = throttle.held(throttle.RECOVER, keys, now)
    if wait:
        return _page(429, member_no=member_no, error=translate("recover.error_limited", minutes=wait.minutes))
    with db.atomic():
        member = membership.recoverable(current_protector(), member_no, last4)
        if member is None:
            throttle.count(throttle.RECOVER, keys, now, subject=member_no)
        else:
            token = membership.recover_link(member)
    if member is None:
        return _page(404, member_no=member_no, error=translate("recover.error_no_match"))
    log.info("member %s got a new card link", member.member_no)
    return redirect(url_for("join.card", token=token, new=1), 303)
