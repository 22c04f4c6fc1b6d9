"""Staff sign-in: a session for people, a bearer token for programs; roles guard every route."""

from __future__ import annotations

import functools
import logging

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from devices.protocol import utcnow
from station_admin.core.models import ApiToken, StaffUser
from waystation.web import local_target, switch_language, translate

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__, url_prefix="/auth")


def init_app(app) -> None:
    """Load the signed-in user (session or bearer token) before every request."""

    @app.before_request
    def _load_user():
        g.user = None
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            g.user = ApiToken.user_for(header[len("Bearer "):].strip(), utcnow())
            g.via_token = True
        elif session.get("user_id"):
            g.user = StaffUser.get_or_none(StaffUser.id == session["user_id"], StaffUser.active == True)  # noqa: E712
            if g.user is not None and session.get("epoch", 0) != g.user.session_epoch:
                g.user = None  # signed out everywhere since this session began
                session.clear()


def login_required(*roles: str):
    """Only for signed-in staff, and only those roles when any are named."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.user is None:
                if request.path.startswith("/api/"):
                    return {"error": "authentication required"}, 401
                return redirect(url_for("auth.login", next=request.full_path))
            if roles and g.user.role not in roles:
                abort(403)
            if g.user.role == "shop" and "shop" not in roles:
                abort(403)  # a partner shop's staff only redeem vouchers; no staff page is theirs
            return view(*args, **kwargs)
        return wrapped

    return decorate


def home_endpoint(user: StaffUser) -> str:
    """Where a staff user starts: case workers at their queue, shop staff at redeeming, the rest at the dashboard."""
    return {"caseworker": "queue.index", "shop": "redeem.index"}.get(user.role, "dashboard.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; on success back to where the user was going."""
    error = None
    if request.method == "POST":
        user = StaffUser.authenticate(request.form.get("username", "")[:100], request.form.get("password", "")[:200])
        if user:
            session.clear()
            session["user_id"] = user.id
            session["epoch"] = user.session_epoch
            log.info("staff user %s signed in", user.username)
            home = url_for(home_endpoint(user))
            target = local_target(request.args.get("next", ""), home)
            # The site's root means "my start page": a case worker sent to sign in from / lands on their queue,
            # not on a dashboard they may not see.
            return redirect(home if target.rstrip("?") == "/" else target, 303)
        error = translate("admin.login_failed")
        log.info("failed sign-in for %r", request.form.get("username", "")[:100])
    return render_template("station_admin/core/auth/login.html", error=error), 401 if error else 200


@bp.post("/logout")
def logout():
    """Sign out."""
    session.clear()
    return redirect(url_for("auth.login"), 303)


@bp.post("/language")
def language():
    """Switch the interface language for this session."""
    return switch_language(url_for("dashboard.index"))
