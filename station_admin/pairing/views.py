"""Pairing pages: staff issue a station's code, unpair it or remove one device; the station claims its code.

The station PC calls central (`waystation pair`, JSON over HTTPS), never the other way round, so
pairing works behind NAT. A claim provisions one broker account per device kind through the
broker's Dynamic Security plugin (replacing old ones, which disconnects them) and answers with
everything the station's site file needs. Every bad code changes nothing but the attempt counter.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, abort, current_app, g, jsonify, render_template, request

from devices.protocol import utcnow
from devices.protocol.permissions import DEVICE_KINDS
from station_admin.core import throttle
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.broker_accounts import BrokerAccountError, BrokerAccounts
from station_admin.core.models import Station, db
from station_admin.pairing.models import CODE_DIGITS, PairedDevice, PairingCode
from waystation.qr import qr_svg
from waystation.web import csrf_exempt, current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("pairing", __name__)


def _station_or_404(code: str) -> Station:
    """A station the signed-in admin or its own manager may pair; 404 for any other."""
    station = Station.visible_to(g.user).where(Station.code == code).first()
    if station is None or g.user.role not in ("admin", "manager"):
        abort(404)
    return station


def _page(station: Station, **extra):
    return render_template("station_admin/pairing/station.html", station=station,
                           devices=PairedDevice.of_station(station.code),
                           minutes=current_settings().pairing.code_minutes, **extra)


@bp.get("/stations/<code>/pairing")
@login_required("admin", "manager")
def station_page(code: str):
    """A station's pairing page: its paired devices, a button for a new code, unpairing."""
    return _page(_station_or_404(code))


@bp.post("/stations/<code>/pairing/code")
@login_required("admin", "manager")
def issue_code(code: str):
    """Issue a fresh six-digit code for the station (audited); the page shows it once, with a QR code."""
    station = _station_or_404(code)
    minutes = current_settings().pairing.code_minutes
    with db.atomic():
        digits, row = PairingCode.issue(station.code, g.user, current_app.secret_key, utcnow(), minutes)
        audit("station.pairing_code", "station", station.code, expires_at=row.expires_at.isoformat())
    return _page(station, code=digits, expires_at=row.expires_at, qr=qr_svg(digits, digits))


def _revoke(action, *args) -> str | None:
    """Run a broker revocation; the translation key of what went wrong, or None."""
    try:
        with BrokerAccounts(current_settings().broker) as accounts:
            action(accounts, *args)
    except BrokerAccountError as e:
        log.error("broker revocation failed: %s", e)
        return "pairing.broker_failed"
    return None


@bp.post("/stations/<code>/pairing/unpair")
@login_required("admin", "manager")
def unpair(code: str):
    """Revoke every broker account of the station at once (its devices are disconnected); audited."""
    station = _station_or_404(code)
    error = _revoke(BrokerAccounts.revoke_station, station.code)
    if error:
        return _page(station, error=error), 502
    with db.atomic():
        devices = [d.device for d in PairedDevice.of_station(station.code)]
        PairedDevice.delete().where(PairedDevice.station_code == station.code).execute()
        audit("station.unpair", "station", station.code, devices=devices)
    return _page(station, notice="pairing.unpaired")


@bp.post("/stations/<code>/pairing/devices/<device>/remove")
@login_required("admin", "manager")
def remove_device(code: str, device: str):
    """Revoke one device's broker account at once (it is disconnected); audited."""
    station = _station_or_404(code)
    paired = PairedDevice.get_or_none(PairedDevice.station_code == station.code, PairedDevice.device == device)
    if paired is None:
        return _page(station, error="pairing.no_such_device"), 404
    error = _revoke(BrokerAccounts.revoke_device, station.code, device)
    if error:
        return _page(station, error=error), 502
    with db.atomic():
        paired.delete_instance()
        audit("station.device_remove", "station", station.code, device=device, kind=paired.kind)
    return _page(station, notice="pairing.device_removed")


def _refusal(key: str, status: int, **values):
    return jsonify({"error": key.rsplit(".", 1)[-1], "message": translate(key, "en", **values),
                    "message_zh": translate(key, "zh", **values)}), status


def station_broker_url(settings) -> str:
    """The broker URL stations get: pairing.station_broker_url, else central's broker.url without credentials."""
    if settings.pairing.station_broker_url:
        return settings.pairing.station_broker_url
    parts = urlsplit(settings.broker.url)
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, "", "", ""))


@bp.post("/pair/claim")
@csrf_exempt
def claim():
    """A station PC claims its code (JSON {"code": "123456"}): its settings and device credentials, or why not."""
    settings = current_settings()
    now = utcnow()
    client = request.remote_addr or "unknown"
    wait = throttle.held(throttle.PAIR, {"address": client}, now)
    if wait:
        return _refusal("pairing.too_many", 429, minutes=wait.minutes)
    body = request.get_json(silent=True)
    code = body.get("code") if isinstance(body, dict) else None
    reason = None
    row = None
    if not isinstance(code, str) or len(code) != CODE_DIGITS or not code.isdigit():
        reason = "malformed"
    else:
        row = PairingCode.live(code, current_app.secret_key, now)
        if row is None:
            newest = PairingCode.newest(code, current_app.secret_key)
            reason = "wrong" if newest is None else "used" if newest.used_at else "expired"
    if reason:
        with db.atomic():
            throttle.count(throttle.PAIR, {"address": client}, now, subject=reason)
        log.warning("pairing refused from %s: %s code", client, reason)
        return _refusal(f"pairing.refused_{reason}", 400)
    station = Station.get(Station.code == row.station_code)
    try:
        with db.atomic():  # a broker failure rolls the claim back: the code stays usable
            if not row.claim(now, client):
                return _refusal("pairing.refused_used", 400)
            with BrokerAccounts(settings.broker) as accounts:
                accounts.set_default_access()
                credentials = [accounts.provision_device(station.code, kind) for kind in DEVICE_KINDS]
            for c in credentials:
                (PairedDevice.insert(station_code=station.code, device=c.device, kind=str(c.kind), paired_at=now)
                 .on_conflict(conflict_target=[PairedDevice.station_code, PairedDevice.device],
                              update={PairedDevice.kind: str(c.kind), PairedDevice.paired_at: now}).execute())
            audit("station.paired", "station", station.code, actor=row.issued_by, client=client,
                  devices=[c.username for c in credentials])
    except BrokerAccountError as e:
        log.error("pairing %s: broker accounts failed: %s", station.code, e)
        return _refusal("pairing.broker_failed", 503)
    ca_file = settings.pairing.station_ca_file
    log.info("station %s paired from %s", station.code, client)
    return jsonify({
        "station_id": station.code,
        "station_name": {"zh": station.name_zh, "en": station.name_en},
        "kiosk_secret_key": secrets.token_hex(32),
        "broker_url": station_broker_url(settings),
        "topic_root": settings.broker.topic_root,
        "ca_certificate": Path(ca_file).read_text() if ca_file else None,
        "devices": [{"kind": str(c.kind), "device": c.device, "username": c.username, "password": c.password,
                     "client_id": c.client_id} for c in credentials],
    })
