"""What both web apps share: the Flask app frame, Flask-HTMX, the language of the request, page-or-fragment."""

from __future__ import annotations

import json
import logging
import secrets
import time
import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Flask, abort, current_app, g, redirect, render_template, request, session
from flask_htmx import HTMX

from waystation.paths import STATIC_DIR, TEMPLATES_DIR

log = logging.getLogger(__name__)

# A request that takes this long is logged (method, path, status, seconds), for the operator to see.
SLOW_REQUEST_S = 2.0

SETTINGS = "waystation.settings"

htmx = HTMX()
LANGUAGES = ("zh", "en")

# What every response of both apps says to the browser (docs/operations.md, "Headers and content security policy").
# Scripts, styles, images, fonts, media and fetches only from this site; no inline script or style, no eval, no
# plugins; forms post only here; no page may be framed (clickjacking a "revoke" or "stop charging" button).
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "object-src 'none'",
    "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # no page address (a card link, a tracking look-up) leaves for another site
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"  # a year; sent only on a request that came over HTTPS
# htmx set up to match the policy: no eval (hx-on, trigger filters, js: values), no <script> run from a swapped
# fragment, no <style> element injected for its indicators.
HTMX_CONFIG = {"allowEval": False, "allowScriptTags": False, "includeIndicatorStyles": False}
LOCALES_DIR = Path(__file__).parent / "locales"


@cache
def catalog(lang: str) -> dict[str, str]:
    """All strings of one language, flattened to dotted keys (`kiosk.checkin.button`)."""
    with open(LOCALES_DIR / f"{lang}.toml", "rb") as f:
        return _flatten(tomllib.load(f))


def _flatten(tree: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def translate(key: str, lang: str | None = None, **values) -> str:
    """The string for `key` in the request's language, with {placeholders} filled."""
    text = catalog(lang or current_language())[key]
    return text.format(**values) if values else text


def current_settings():
    """The settings the app was built with (waystation.settings.Settings)."""
    return current_app.extensions[SETTINGS]


def current_language() -> str:
    """The language of this request: the one chosen in the session, else the app's default."""
    lang = getattr(g, "lang", None)
    if lang is None:
        lang = session.get("lang") or g.get("default_lang", "zh")
        g.lang = lang if lang in LANGUAGES else "zh"
    return g.lang


def new_flask_app(import_name: str, settings, secret: str, *, default_language: str = "zh",
                  timezone: str = "Asia/Shanghai", htmx_config: dict | None = None) -> Flask:
    """A Flask app on the shared templates and static folders, with htmx, translations and the security
    headers wired in; `htmx_config` adds to HTMX_CONFIG for every page of the app."""
    app = Flask(import_name, template_folder=str(TEMPLATES_DIR), static_folder=str(STATIC_DIR))
    app.config.update(SECRET_KEY=secret, SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      MAX_CONTENT_LENGTH=64 * 1024)
    app.extensions[SETTINGS] = settings
    htmx.init_app(app)

    @app.before_request
    def _language_and_csrf():
        g.request_started = time.perf_counter()
        g.default_lang = default_language
        exempt = getattr(app.view_functions.get(request.endpoint), "csrf_exempt", False)
        if request.method not in ("GET", "HEAD", "OPTIONS") and not exempt and not _csrf_ok():
            abort(400, description="csrf")

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        took = time.perf_counter() - g.get("request_started", time.perf_counter())
        if took >= SLOW_REQUEST_S:  # the path only: a query string may hold a search for a name
            log.warning("slow request: %s %s %d in %.1f s", request.method, request.path, response.status_code, took)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    zone = ZoneInfo(timezone)
    app_htmx_config = {**HTMX_CONFIG, **(htmx_config or {})}

    def _htmx_config(**extra) -> str:
        """The page's htmx settings as the JSON its <meta name="htmx-config"> holds."""
        return json.dumps({**app_htmx_config, **extra}, separators=(",", ":"))

    @app.template_filter("local_time")
    def _local_time(moment: datetime | None, fmt: str = "%H:%M") -> str:
        return moment.astimezone(zone).strftime(fmt) if moment else "—"

    @app.context_processor
    def _globals():
        return {"t": translate, "lang": current_language(), "languages": LANGUAGES, "csrf_token": csrf_token,
                "htmx_config": _htmx_config}

    return app


def csrf_exempt(view):
    """Mark a view that no browser session reaches (a machine's JSON endpoint) as needing no anti-forgery token."""
    view.csrf_exempt = True
    return view


def csrf_token() -> str:
    """This session's anti-forgery token, put in every form and in htmx's request headers."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token")
    return bool(sent) and secrets.compare_digest(sent, session.get("csrf", ""))


def page_or_fragment(page: str, fragment: str, **context) -> str:
    """The fragment alone for an htmx request, else the full page (which includes the same fragment)."""
    return render_template(fragment if htmx and not htmx.boosted else page, **context)


def local_target(target: str, fallback: str) -> str:
    """`target` when it is a path on this site (never another host), else `fallback`."""
    # Browsers drop tabs and newlines from addresses ("/\t/evil" becomes "//evil"), and read "\\" as "/".
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target) or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return fallback
    return target


def switch_language(back_to: str):
    """Set the session's language from the submitted form and go back; 400 for a language we do not speak."""
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        abort(400)
    session["lang"] = lang
    return redirect(back_to, 303)
