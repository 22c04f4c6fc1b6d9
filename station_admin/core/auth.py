"""Staff sign-in: a session for people, a bearer token for programs; roles guard every route.

A session is a signed cookie that names the user, the user's session epoch when it began, when it
began and when it was last used. It ends when the epoch moves on (sign-out, a new password, the
account disabled, "sign out everywhere"), after `central.session_hours`, or after
`central.session_idle_minutes` without a request. Wrong passwords are counted by the throttle
(station_admin.core.throttle) per account and address, with a growing wait, never a lock.
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for

from devices.protocol import utcnow
from station_admin.core import throttle
from station_admin.core.models import ApiToken, StaffUser, db
from waystation.web import local_target, switch_language, translate

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__, url_prefix="/auth")


# How stale a session's "last used" may get before a request writes it again (not a new cookie per request).
SEEN_RESOLUTION_S = 60


def init_app(app, settings) -> None:
    """Session cookies as the settings say; load the signed-in user (session or bearer token) before every request."""
    central = settings.central
    lifetime_s, idle_s = central.session_hours * 3600, central.session_idle_minutes * 60
    app.config.update(PERMANENT_SESSION_LIFETIME=timedelta(hours=central.session_hours),
                      SESSION_COOKIE_SECURE=central.public_url.startswith("https://"))

    @app.before_request
    def _load_user():
        g.user = None
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            g.user = ApiToken.user_for(header[len("Bearer "):].strip(), utcnow())
            g.via_token = True
        elif session.get("user_id"):
            g.user = StaffUser.get_or_none(StaffUser.id == session["user_id"], StaffUser.active == True)  # noqa: E712
            now = utcnow().timestamp()
            began, seen = session.get("began", 0), session.get("seen", 0)
            if (g.user is None or session.get("epoch", 0) != g.user.session_epoch  # signed out since it began
                    or now >= began + lifetime_s or now >= seen + idle_s):
                g.user = None
                session.clear()
            elif abs(now - seen) >= SEEN_RESOLUTION_S:
                session["seen"] = now


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
    error, status = None, 200
    if request.method == "POST":
        username, now = request.form.get("username", "")[:100], utcnow()
        address = request.remote_addr or "?"
        keys = {"account_address": f"{username.casefold()}\n{address}", "address": address}
        wait = throttle.held(throttle.SIGN_IN, keys, now)
        user = None if wait else StaffUser.authenticate(username, request.form.get("password", "")[:200])
        if user:
            with db.atomic():
                throttle.clear(throttle.SIGN_IN, "account_address", keys["account_address"])
            session.clear()  # a new session: nothing of the anonymous one (its anti-forgery token) carries over
            session.permanent = True
            session.update(user_id=user.id, epoch=user.session_epoch, began=now.timestamp(), seen=now.timestamp())
            log.info("staff user %s signed in", user.username)
            home = url_for(home_endpoint(user))
            target = local_target(request.args.get("next", ""), home)
            # The site's root means "my start page": a case worker sent to sign in from / lands on their queue,
            # not on a dashboard they may not see.
            return redirect(home if target.rstrip("?") == "/" else target, 303)
        if wait:
            error, status = translate("admin.login_held", seconds=wait.whole_seconds), 429
        else:
            with db.atomic():
                throttle.count(throttle.SIGN_IN, keys, now, subject=username)
            error, status = translate("admin.login_failed"), 401
            log.info("failed sign-in for %r", username)
    return render_template("station_admin/core/auth/login.html", error=error), status


@bp.post("/logout")
def logout():
    """Sign out: this session and every other one of the user end at once (a copied cookie is worth nothing)."""
    if g.user is not None and not getattr(g, "via_token", False):
        g.user.end_sessions()
    session.clear()
    return redirect(url_for("auth.login"), 303)


@bp.post("/language")
def language():
    """Switch the interface language for this session and go back to the page it was switched on."""
    home = url_for(home_endpoint(g.user)) if g.user is not None else url_for("auth.login")
    return switch_language(local_target(request.form.get("next", ""), home))
