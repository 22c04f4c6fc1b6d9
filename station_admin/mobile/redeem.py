"""Redeeming a care-day voucher at a partner shop (/m/redeem, on the shop's phone; shop staff sign in).

The shop scans the rider's voucher QR (phone camera or a scanner typing into the field) or types
the text; central checks the signature and its record, and redeems it once. Refused texts are
counted per shop account (station_admin.core.throttle): past the limit, the shop waits.
"""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template, request

from devices.protocol import utcnow
from station_admin.community.careday import redeem
from station_admin.core import throttle
from station_admin.core.auth import login_required
from station_admin.core.models import db
from waystation.web import current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("redeem", __name__, url_prefix="/m/redeem")
ROLES = ("shop", "admin")


@bp.get("/")
@login_required(*ROLES)
def index():
    """The redeem form."""
    return render_template("station_admin/mobile/redeem/index.html", result=None, error=None, code="")


@bp.post("/")
@login_required(*ROLES)
def submit():
    """Redeem the scanned voucher once; anything else is refused with the reason and changes nothing."""
    code = request.form.get("code", "").strip()[:200]
    if not code:
        return render_template("station_admin/mobile/redeem/index.html", result=None,
                               error=translate("redeem.error_empty"), code=""), 400
    timezone, now, keys = current_settings().central.timezone, utcnow(), {"shop": str(g.user.id)}
    wait = throttle.held(throttle.REDEEM, keys, now)
    if wait:
        return render_template("station_admin/mobile/redeem/index.html", result=None, code=code,
                               error=translate("redeem.error_limited", minutes=wait.minutes)), 429
    with db.atomic():
        result = redeem(code, g.user, now, timezone)
        if not result.ok:
            throttle.count(throttle.REDEEM, keys, now, subject=g.user.username)
    log.info("voucher redemption by %s: %s", g.user.username, result.key)
    if not result.ok:
        when = result.voucher.redeemed_at if result.voucher and result.voucher.redeemed_at else None
        error = translate(f"redeem.error_{result.key}", time=_local(when, timezone) if when else "")
        return render_template("station_admin/mobile/redeem/index.html", result=result, error=error, code=code), 409 \
            if result.key == "already_redeemed" else 400
    return render_template("station_admin/mobile/redeem/index.html", result=result, error=None, code="")


def _local(moment, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")
