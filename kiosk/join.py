"""Join the union (扫码入会): a QR that opens central's join form on the rider's phone, naming this station.

Typing a name and phone number belongs on the rider's own phone, not on a public screen; the kiosk
only shows a fresh, signed, short-lived link.
"""

from __future__ import annotations

from flask import Blueprint

from devices.protocol import utcnow
from kiosk.models import StationInfo
from waystation.cards import join_link_query
from waystation.qr import qr_svg
from waystation.web import current_settings, page_or_fragment, translate

bp = Blueprint("join", __name__, url_prefix="/join")


def join_qr() -> dict:
    """The join link of this moment and its QR, or nothing until central has configured the station."""
    settings = current_settings()
    info = StationInfo.for_station(settings.kiosk.station_id)
    context = {"station": info, "refresh_seconds": settings.kiosk.join_qr_refresh_seconds,
               "join_url": None, "qr": None}
    if info.join_url and info.join_key:
        url = f"{info.join_url}?{join_link_query(info.join_key, info.station_id, utcnow())}"
        context.update(join_url=url, qr=qr_svg(url, translate("kiosk.join.qr_label")))
    return context


@bp.get("/")
def index():
    """The join screen."""
    return page_or_fragment("kiosk/join/index.html", "kiosk/join/_qr.html", **join_qr())


@bp.get("/qr")
def qr():
    """A fresh QR (polled while the join screen is open, so a photo of an old one expires)."""
    return page_or_fragment("kiosk/join/index.html", "kiosk/join/_qr.html", **join_qr())
