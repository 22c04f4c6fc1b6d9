"""Documents for a hardship case from the worker's own phone (/m/upload/<token>).

The district's case worker hands out a link (valid for a few days, unforgeable); the page shows
nothing about the case, takes a photo or a PDF, checks it like a staff upload (type by its bytes,
size) and stores it encrypted. It works in the WeChat browser: a plain form, no JavaScript.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, render_template, request

from devices.protocol import utcnow
from station_admin.core.context import current_protector
from station_admin.core.models import db
from station_admin.hardship import register
from station_admin.hardship.models import DOCUMENT_KINDS
from station_admin.hardship.register import HardshipError
from waystation.web import translate

log = logging.getLogger(__name__)
bp = Blueprint("upload", __name__, url_prefix="/m/upload")


@bp.url_value_preprocessor
def _upload_size(endpoint, values):
    # Before the anti-forgery check reads the form: a document may be larger than other forms.
    if endpoint == "upload.submit":
        request.max_content_length = register.MAX_DOCUMENT_BYTES * 2


def case_or_404(token: str):
    """The case of a genuine, unexpired link; 404 for anything else (a guess learns nothing)."""
    case = register.case_for_token(token[:64], current_protector(), utcnow())
    if case is None:
        abort(404)
    return case


def render(token: str, error: str | None = None, sent: bool = False, status: int = 200):
    """The upload page: choose the kind, take a photo or pick a PDF."""
    return render_template("station_admin/mobile/upload/index.html", token=token, kinds=DOCUMENT_KINDS,
                           error=error, sent=sent), status


@bp.get("/<token>")
def form(token: str):
    """The upload form of a valid link."""
    case_or_404(token)
    return render(token)


@bp.post("/<token>")
def submit(token: str):
    """Store one document from the phone; a refused file gets its reason and nothing is stored."""
    case = case_or_404(token)
    try:
        with db.atomic():
            register.add_uploaded(case, request.form.get("kind", ""), request.files.get("file"), "phone",
                                  current_protector(), None, utcnow())
    except HardshipError as e:
        log.info("phone document refused on hardship case %s: %s", case.id, e.key)
        return render(token, translate(e.key), status=400)
    return render(token, sent=True)
