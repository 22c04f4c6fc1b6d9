"""Staff pages for a member's rights over their data, beside the member's page: export everything
held about them (admins and the managers who see the member), and erase their identity (admins).

Both ask for confirmation first, both are audited; an erasure needs the member number typed again
and a reason, and cannot be undone.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, abort, g, render_template, request

from devices.protocol import utcnow
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.context import current_protector
from station_admin.core.models import db
from station_admin.members.models import Member, MembershipError
from station_admin.personal import records
from waystation.web import translate

log = logging.getLogger(__name__)
bp = Blueprint("personal", __name__, url_prefix="/members")


def _member(member_no: str) -> Member:
    """A member the signed-in user may see, or 404 (not 403: do not tell who exists)."""
    member = Member.visible_to(g.user).where(Member.member_no == member_no[:10]).first()
    if member is None:
        abort(404)
    return member


@bp.route("/<member_no>/export", methods=["GET", "POST"])
@login_required("admin", "manager")
def export(member_no: str):
    """GET: what the file holds and a button; POST: the file (JSON), audited."""
    member = _member(member_no)
    if request.method == "GET":
        return render_template("station_admin/personal/export.html", member=member)
    now = utcnow()
    with db.atomic():
        document = records.export(member, current_protector(), now)
        audit("member.export", "member", member.member_no)
    log.info("member %s: data exported by %s", member.member_no, g.user.username)
    response = Response(json.dumps(document, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="member-{member.member_no}-data.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<member_no>/erase", methods=["GET", "POST"])
@login_required("admin")
def erase(member_no: str):
    """GET: what an erasure removes and keeps; POST with the member number typed again and a reason: erase."""
    member = _member(member_no)
    if request.method == "GET":
        return render_template("station_admin/personal/erase.html", member=member, error=None, done=None)
    reason = " ".join(request.form.get("reason", "").split())[:200]
    error = None
    if request.form.get("confirm", "").strip().upper() != member.member_no:
        error = translate("personal.error_confirm")
    elif not reason:
        error = translate("personal.error_reason")
    if error is None:
        try:
            with db.atomic():
                done = records.erase(member, utcnow(), reason)
        except MembershipError as e:
            error = translate(f"members.error_{e.key}")
        else:
            log.info("member %s: identity erased by %s", member.member_no, g.user.username)
            member = Member.get_by_id(member.id)
            return render_template("station_admin/personal/erase.html", member=member, error=None, done=done)
    return render_template("station_admin/personal/erase.html", member=member, error=error, done=None), 400
