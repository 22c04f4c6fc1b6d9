"""What every page on a rider's or shop's own phone (/m/...) shares: the language switch."""

from __future__ import annotations

from flask import Blueprint, request

from waystation.web import local_target, switch_language

bp = Blueprint("mobile", __name__, url_prefix="/m")


@bp.post("/language")
def language():
    """Switch the language for this phone's session and go back to the page it came from."""
    return switch_language(local_target(request.form.get("next", ""), "/m/"))
