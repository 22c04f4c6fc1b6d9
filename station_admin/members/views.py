"""Staff work on members: find, approve, revoke, re-issue a card; card signing keys. Every action audited.

Admins see every member; station managers those who joined at or visited their stations; federation
users see counts only; case workers nothing here.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, g, render_template, request

from devices.protocol import utcnow
from station_admin.core.audit import AuditEntry, audit
from station_admin.core.auth import login_required
from station_admin.core.context import current_protector
from station_admin.core.models import db
from station_admin.members import models as membership
from station_admin.members.models import CardKey, ConsentText, Member, MembershipError
from waystation.qr import qr_svg
from waystation.web import current_settings, page_or_fragment, translate

log = logging.getLogger(__name__)
bp = Blueprint("members", __name__, url_prefix="/members")
PAGE_SIZE = 50



def _card_days() -> int:
    return current_settings().members.card_valid_days


def _visible_member(member_no: str) -> Member:
    """A member the signed-in user may see, or 404 (not 403: do not tell who exists)."""
    member = Member.visible_to(g.user).where(Member.member_no == member_no[:10]).first()
    if member is None:
        abort(404)
    return member


@bp.get("/")
@login_required("admin", "manager", "federation")
def index():
    """The member list with search, or counts for a federation user."""
    if g.user.role == "federation":
        return render_template("station_admin/members/counts.html", counts=Member.counts(g.user.federation_id))
    text = request.args.get("q", "")[:40]
    status = request.args.get("status", "")
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    query = Member.search(Member.visible_to(g.user), current_protector(), text)
    if status in membership.STATUSES:
        query = query.where(Member.status == status)
    rows = list(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    return page_or_fragment("station_admin/members/index.html", "station_admin/members/_list.html",
                            members=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, page_no=page, q=text, status=status,
                            statuses=membership.STATUSES, protector=current_protector())


@bp.get("/<member_no>")
@login_required("admin", "manager")
def show(member_no: str):
    """One member: masked phone, card, history."""
    member = _visible_member(member_no)
    audit("member.view", "member", member.member_no)
    return _detail(member)


def _detail(member: Member, message: str | None = None, new_link: str | None = None):
    history = list(AuditEntry.for_subject("member", member.member_no))
    link_qr = qr_svg(new_link, translate("members.new_link")) if new_link else None
    return page_or_fragment("station_admin/members/show.html", "station_admin/members/_member.html",
                            member=member, history=history, message=message, new_link=new_link, link_qr=link_qr,
                            phone=member.masked_phone(current_protector()))


@bp.post("/<member_no>/<action>")
@login_required("admin", "manager")
def act(member_no: str, action: str):
    """Approve, revoke or re-issue; the member fragment comes back with the outcome."""
    if action not in ("approve", "revoke", "reissue"):
        abort(404)
    member = _visible_member(member_no)
    now, new_link, message = utcnow(), None, None
    try:
        with db.atomic():
            if action == "approve":
                membership.activate(current_protector(), member, now, _card_days())
            elif action == "revoke":
                reason = " ".join(request.form.get("reason", "").split())[:200]
                if not reason:
                    raise MembershipError("reason_missing")
                membership.revoke(member, now, reason)
            else:
                token = membership.reissue(current_protector(), member, now, _card_days())
                public = current_settings().central.public_url.rstrip("/")
                new_link = f"{public or request.host_url.rstrip('/')}/m/card/{token}"
    except MembershipError as e:
        message = translate(f"members.error_{e.key}")
    else:
        message = translate(f"members.done_{action}")
        log.info("member %s: %s by %s", member.member_no, action, g.user.username)
    member = Member.get_by_id(member.id)
    return _detail(member, message, new_link)


def _consent_page(message: str | None = None, error: str | None = None, texts: dict | None = None, status=200):
    agreed = Member.consent_counts()
    versions = list(ConsentText.select().order_by(ConsentText.version.desc()))
    current = versions[0] if versions else None
    texts = texts or {"zh": current.text_zh if current else "", "en": current.text_en if current else ""}
    return page_or_fragment("station_admin/members/consent.html", "station_admin/members/_consent.html",
                            versions=versions, agreed=agreed, message=message, error=error, texts=texts), status


@bp.route("/consent", methods=["GET", "POST"])
@login_required("admin")
def consent():
    """The consent texts members agree to at joining: every version, and publishing a new one."""
    if request.method == "GET":
        return _consent_page()
    texts = {"zh": request.form.get("text_zh", "")[:ConsentText.MAX_CHARS + 1],
             "en": request.form.get("text_en", "")[:ConsentText.MAX_CHARS + 1]}
    try:
        with db.atomic():
            row = ConsentText.publish(texts["zh"], texts["en"], g.user.username, utcnow())
    except MembershipError as e:
        return _consent_page(error=translate(f"members.error_{e.key}"), texts=texts, status=400)
    log.info("consent text version %d published by %s", row.version, g.user.username)
    return _consent_page(message=translate("members.consent_published", version=row.version))


@bp.get("/keys")
@login_required("admin")
def keys():
    """Card signing keys: which one signs, which are still accepted, which are retired."""
    return page_or_fragment("station_admin/members/keys.html", "station_admin/members/_keys.html",
                            keys=list(CardKey.select().order_by(CardKey.created_at.desc())),
                            signer=CardKey.signer(), message=None)


@bp.post("/keys/<action>")
@login_required("admin")
def key_action(action: str):
    """Rotate (a new key signs from now on) or retire a key (its cards are refused everywhere)."""
    now, message = utcnow(), None
    with db.atomic():
        if action == "rotate":
            key = CardKey.rotate(current_protector(), now)
            audit("cardkey.rotate", "cardkey", key.kid)
            message = translate("members.key_rotated", kid=key.kid)
        elif action == "retire":
            key = CardKey.get_or_none(CardKey.kid == request.form.get("kid", "")[:4])
            if key is None:
                abort(404)
            if key.retired_at is None and CardKey.active().count() <= 1:
                message = translate("members.key_last")
            else:
                key.retire(now)
                audit("cardkey.retire", "cardkey", key.kid)
                message = translate("members.key_retired", kid=key.kid)
        else:
            abort(404)
    return page_or_fragment("station_admin/members/keys.html", "station_admin/members/_keys.html",
                            keys=list(CardKey.select().order_by(CardKey.created_at.desc())),
                            signer=CardKey.signer(), message=message)
