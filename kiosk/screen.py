"""The screen's own state: language switch and the idle reset that wipes the session."""

from __future__ import annotations

from flask import Blueprint, redirect, session, url_for

from waystation.web import switch_language

bp = Blueprint("screen", __name__, url_prefix="/screen")


@bp.post("/language")
def language():
    """Switch the screen language for this session."""
    return switch_language(url_for("home.index"))


@bp.get("/reset")
def reset():
    """Idle reset: forget everything about the last person at the screen, back to the start."""
    session.clear()
    response = redirect(url_for("home.index"), 303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
