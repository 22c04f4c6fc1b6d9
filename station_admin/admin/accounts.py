"""Admin pages of staff accounts and API tokens: add a user with a role and scope, change role and
scope, reset a password, disable or enable; issue a token (shown once) and revoke it.

Admins only. The work is done by station_admin.admin.staff, the same functions as `waystation users`.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from devices.protocol import utcnow
from station_admin.admin.refusal import Refused
from station_admin.admin.staff import (
    ROLES,
    Scope,
    add_token,
    add_user,
    api_tokens,
    change_user,
    describe,
    revoke_token,
    set_active,
    set_password,
    sign_out_everywhere,
    staff_users,
)
from station_admin.core.auth import login_required
from station_admin.core.models import District, Federation, StaffUser, Station
from station_admin.requests.models import LegalAidCentre

log = logging.getLogger(__name__)
bp = Blueprint("accounts", __name__, url_prefix="/admin")


def _scope_from(form) -> Scope:
    centre = form.get("centre", "").strip()
    return Scope(federation=form.get("federation") or None, stations=tuple(form.getlist("stations")),
                 centre=int(centre) if centre.isdigit() else None)


def _choices() -> dict:
    return {"roles": ROLES, "federations": list(Federation.select().order_by(Federation.code)),
            "stations": list(Station.select(Station, District).join(District).order_by(Station.code)),
            "centres": list(LegalAidCentre.select(LegalAidCentre, District).join(District)
                            .order_by(District.code, LegalAidCentre.id))}


def _users_page(errors: list[str] = (), status: int = 200, values=None):
    return render_template("station_admin/admin/accounts/users.html", users=staff_users(), errors=errors,
                           values=values or {}, saved=request.args.get("saved"), describe=describe,
                           **_choices()), status


@bp.get("/staff")
@login_required("admin")
def users():
    """Every staff user with role, scope and state, and the form to add one."""
    return _users_page()


@bp.post("/staff")
@login_required("admin")
def add_user_view():
    """Add a staff user (the password is typed twice)."""
    form = request.form
    try:
        if form.get("password", "") != form.get("password_again", ""):
            raise Refused.one("staff.error.password_mismatch")
        user = add_user(form.get("username", "")[:40], form.get("display_name", "")[:100], form.get("role", ""),
                        form.get("password", "")[:300], _scope_from(form), actor=g.user)
    except Refused as refused:
        return _users_page(refused.messages(), 400, form)  # the form never shows passwords again
    return redirect(url_for("accounts.users", saved=user.username), 303)


def _user_or_404(username: str) -> StaffUser:
    user = StaffUser.get_or_none(StaffUser.username == username[:40])
    if user is None:
        abort(404)
    return user


def _user_page(user: StaffUser, errors: list[str] = (), status: int = 200):
    return render_template("station_admin/admin/accounts/user.html", user=user, facts=describe(user), errors=errors,
                           saved=request.args.get("saved"), **_choices()), status


@bp.route("/staff/<username>", methods=["GET", "POST"])
@login_required("admin")
def user(username: str):
    """A staff user's page: change display name, role and scope."""
    target = _user_or_404(username)
    if request.method == "GET":
        return _user_page(target)
    form = request.form
    try:
        change_user(target, form.get("display_name", "")[:100], form.get("role", ""), _scope_from(form), actor=g.user)
    except Refused as refused:
        return _user_page(StaffUser.get_by_id(target.id), refused.messages(), 400)
    return redirect(url_for("accounts.user", username=target.username, saved="scope"), 303)


@bp.post("/staff/<username>/password")
@login_required("admin")
def user_password(username: str):
    """Reset a staff user's password (typed twice)."""
    target = _user_or_404(username)
    form = request.form
    try:
        if form.get("password", "") != form.get("password_again", ""):
            raise Refused.one("staff.error.password_mismatch")
        set_password(target, form.get("password", "")[:300], actor=g.user)
    except Refused as refused:
        return _user_page(target, refused.messages(), 400)
    return redirect(url_for("accounts.user", username=target.username, saved="password"), 303)


@bp.post("/staff/<username>/active")
@login_required("admin")
def user_active(username: str):
    """Disable a staff user (refused at once, sessions and tokens too) or enable them again."""
    target = _user_or_404(username)
    try:
        set_active(target, request.form.get("active") == "yes", actor=g.user)
    except Refused as refused:
        return _user_page(target, refused.messages(), 400)
    return redirect(url_for("accounts.user", username=target.username, saved="active"), 303)


@bp.post("/staff/<username>/sign-out")
@login_required("admin")
def user_sign_out(username: str):
    """End every open session of a staff user at once."""
    target = _user_or_404(username)
    sign_out_everywhere(target, actor=g.user)
    return redirect(url_for("accounts.user", username=target.username, saved="sign-out"), 303)


# API tokens

def _tokens_page(errors: list[str] = (), status: int = 200, values=None, issued: tuple[str, str] | None = None):
    return render_template("station_admin/admin/accounts/tokens.html", tokens=api_tokens(), errors=errors,
                           values=values or {}, issued=issued, saved=request.args.get("saved"), **_choices()), status


@bp.get("/tokens")
@login_required("admin")
def tokens():
    """Every API token: name, role, scope, created, last used, revoked; and the form to issue one."""
    return _tokens_page()


@bp.post("/tokens")
@login_required("admin")
def add_token_view():
    """Issue an API token and show it this once (only its hash is kept)."""
    form = request.form
    name = form.get("name", "")[:40]
    try:
        secret = add_token(name, form.get("role", ""), _scope_from(form), utcnow(), actor=g.user)
    except Refused as refused:
        return _tokens_page(refused.messages(), 400, form)
    # Shown in this response only: no redirect, so the token never sits in a URL or the history.
    response = _tokens_page(issued=(name.strip(), secret))
    return response[0], 201, {"Cache-Control": "no-store"}


@bp.post("/tokens/<name>/revoke")
@login_required("admin")
def revoke_token_view(name: str):
    """Revoke an API token: refused from its next request on."""
    try:
        revoke_token(name[:40], utcnow(), actor=g.user)
    except Refused as refused:
        return _tokens_page(refused.messages(), 400)
    return redirect(url_for("accounts.tokens", saved=name[:40]), 303)
