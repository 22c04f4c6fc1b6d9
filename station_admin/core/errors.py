"""Error pages in the user's language: on a phone page the phone frame, for programs JSON."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.exceptions import HTTPException

from waystation.web import translate

HANDLED = (400, 403, 404, 405, 413, 429)


def init_app(app) -> None:
    """Answer refused requests with a clear message instead of the framework's English page."""

    @app.errorhandler(HTTPException)
    def _error(error: HTTPException):
        code = error.code or 500
        key = f"errors.e{code}" if code in HANDLED else "errors.other"
        if error.description == "csrf":
            key = "errors.csrf"
        message = translate(key)
        if request.path.startswith(("/api/", "/open311/")):
            return {"error": message}, code
        frame = "station_admin/mobile/base.html" if request.path.startswith("/m/") else "station_admin/base.html"
        # error_page: the staff header's language switch then goes to the user's start page, not back to
        # the refused address (which may name another manager's station).
        return render_template("station_admin/error.html", frame=frame, message=message, code=code,
                               error_page=True), code
