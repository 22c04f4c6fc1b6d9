"""Care-day voucher (关爱日): a member scans their card and gets this month's meal voucher as a QR.

Central decides (docs/vouchers.md): the kiosk sends the claim through its outbox and waits up to
`community.voucher_wait_seconds` for central's answer. With no answer (the network is down, or
central is slow) it shows a provisional voucher, which central confirms or flags when the claim
arrives; the rider's card page shows which.
"""

from __future__ import annotations

import logging
import time
from zoneinfo import ZoneInfo

from flask import Blueprint, redirect, render_template, request, url_for

from devices.protocol import events, utcnow
from kiosk.context import broker_online, wake_outbox
from kiosk.models import CarePolicy, OutboxEvent, VoucherClaim, db
from kiosk.trust import check_card
from waystation.qr import qr_svg
from waystation.vouchers import new_voucher_no, provisional_voucher
from waystation.web import current_settings, htmx, translate

log = logging.getLogger(__name__)
bp = Blueprint("voucher", __name__, url_prefix="/voucher")


def _settings():
    return current_settings()


def _online() -> bool:
    return broker_online()


def care_today() -> dict:
    """The policy and whether today (local) is the care day."""
    settings = _settings()
    policy = CarePolicy.get_or_none(CarePolicy.station_id == settings.kiosk.station_id)
    today = utcnow().astimezone(ZoneInfo(settings.kiosk.timezone))
    return {"policy": policy, "is_care_day": policy is not None and policy.care_day == today.day}


@bp.get("/")
def index():
    """The voucher screen: when the care day is, and "scan your member card"."""
    return render_template("kiosk/voucher/index.html", **care_today())


def _refused(reason: str):
    return render_template("kiosk/voucher/_refused.html", reason=reason), 200 if htmx else 422


def _start_claim(member_no: str, month: str, online: bool) -> VoucherClaim:
    """The claim row and its outbox event, in one transaction."""
    now = utcnow()
    body = events.VoucherClaim(new_voucher_no(), member_no, provisional=not online)
    with db.atomic():
        event = OutboxEvent.add(body, now)
        return VoucherClaim.create(voucher_no=body.voucher_no, event_id=event.event_id, member_no=member_no,
                                   month=month, claimed_at=now, status="waiting" if online else "provisional")


def _wait_for_decision(claim: VoucherClaim, seconds: float) -> VoucherClaim:
    """Central's answer if it comes within `seconds`; else the claim turns provisional."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        claim = VoucherClaim.get_by_id(claim.id)
        if claim.status != "waiting":
            return claim
        time.sleep(0.1)
    VoucherClaim.update(status="provisional").where(VoucherClaim.id == claim.id,
                                                    VoucherClaim.status == "waiting").execute()
    return VoucherClaim.get_by_id(claim.id)


@bp.post("/claim")
def claim():
    """Claim this month's voucher with a scanned member card; every refusal says why."""
    settings = _settings()
    code = request.form.get("code", "")[:400]
    result = check_card(code)
    if not result.valid:
        log.info("card refused at voucher claim: %s", result.status)
        return _refused("card_" + result.status.value)
    care = care_today()
    if care["policy"] is None:
        return _refused("no_policy")
    if not care["is_care_day"]:
        return _refused("not_care_day")
    member_no = result.card.member_no
    month = utcnow().astimezone(ZoneInfo(settings.kiosk.timezone)).strftime("%Y%m")
    existing = VoucherClaim.of_member(member_no, month)
    if existing is not None and existing.status in VoucherClaim.HOLDING:
        return _show(existing)  # a second scan shows the same voucher again, never a second one
    if existing is not None:
        return _refused(existing.reason or "already_claimed")
    if VoucherClaim.issued(month) >= care["policy"].quota:
        return _refused("quota")
    online = _online()
    made = _start_claim(member_no, month, online)
    wake_outbox()
    if online:
        made = _wait_for_decision(made, settings.community.voucher_wait_seconds)
    log.info("voucher claim %s: %s", made.event_id, made.status)
    if made.status in ("refused", "flagged"):
        return _refused(made.reason or "already_claimed")
    return _show(made)


def _show(claim: VoucherClaim):
    text = claim.text if claim.status == "confirmed" else provisional_voucher(claim.voucher_no, claim.member_no,
                                                                               claim.month)
    return render_template("kiosk/voucher/_voucher.html", claim=claim, text=text,
                           qr=qr_svg(text, translate("kiosk.voucher.qr_label")),
                           month=f"{claim.month[:4]}-{claim.month[4:]}")


@bp.get("/dismiss")
def dismiss():
    """Close the voucher dialog."""
    if not htmx:
        return redirect(url_for("voucher.index"), 303)
    return render_template("kiosk/checkin/_dialog_slot.html")
