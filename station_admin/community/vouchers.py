"""The care-day voucher page for staff: the federation sets each district's care day and quota;
everyone in scope sees this month's claims per station and the flagged ones."""

from __future__ import annotations

import logging

from flask import Blueprint, g, render_template, request

from devices.protocol import utcnow, vouchers
from station_admin.community.careday import Voucher, VoucherPolicy, local_month, set_policy, station_quotas
from station_admin.core.auth import login_required
from station_admin.core.models import District, Station, db
from waystation.web import current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("vouchers", __name__, url_prefix="/vouchers")


def _districts():
    """The districts whose policy this user may set (admins: all; a federation: its own)."""
    if g.user.role == "admin":
        return list(District.select().order_by(District.code))
    if g.user.role == "federation":
        return list(District.select().where(District.federation == g.user.federation_id).order_by(District.code))
    return []


def _page(status: int = 200, **extra):
    settings = current_settings()
    month = local_month(utcnow(), settings.central.timezone)
    stations = list(Station.visible_to(g.user))
    quotas: dict[str, int] = {}
    policies = {}
    for district in {s.district.id: s.district for s in stations}.values():
        care_day, quota = VoucherPolicy.for_district(district.id, settings.community)
        policies[district.id] = (care_day, quota)
        codes = [s.code for s in Station.select(Station.code).where(Station.district == district.id)]
        quotas.update(station_quotas(quota, codes))
    editable = [(d, *VoucherPolicy.for_district(d.id, settings.community)) for d in _districts()]
    codes = [s.code for s in stations]
    context = {"month": f"{month[:4]}-{month[4:]}", "stations": stations, "quotas": quotas, "policies": policies,
               "counts": Voucher.month_counts(codes, month), "flagged": list(Voucher.flagged(codes, month)),
               "editable": editable, "error": None, "saved": None, "values": {}, **extra}
    return render_template("station_admin/community/vouchers/index.html", **context), status


@bp.get("/")
@login_required("admin", "federation", "manager")
def index():
    """This month's vouchers by station, the flagged claims, and (federation) the policy form."""
    return _page()


def parse_policy(form, districts: dict[str, District]) -> tuple[District | None, int, int, str | None]:
    """The district, care day and quota of the policy form, or the message key of what is wrong."""
    district = districts.get(form.get("district", "")[:40])
    if district is None:
        return None, 0, 0, "vouchers.error_district"
    try:
        care_day = int(form.get("care_day", "").strip())
    except ValueError:
        return district, 0, 0, "vouchers.error_day"
    if not 1 <= care_day <= 28:
        return district, 0, 0, "vouchers.error_day"
    try:
        quota = int(form.get("quota", "").strip())
    except ValueError:
        return district, care_day, 0, "vouchers.error_quota"
    if not 0 <= quota <= vouchers.MAX_QUOTA:
        return district, care_day, 0, "vouchers.error_quota"
    return district, care_day, quota, None


@bp.post("/policy")
@login_required("admin", "federation")
def policy():
    """Set a district's care day and monthly quota; a bad value is refused and changes nothing."""
    districts = {d.code: d for d in _districts()}
    district, care_day, quota, error = parse_policy(request.form, districts)
    values = {k: request.form.get(k, "")[:40] for k in ("district", "care_day", "quota")}
    if error:
        return _page(400, error=translate(error, max=vouchers.MAX_QUOTA), values=values)
    with db.atomic():
        set_policy(district, care_day, quota, utcnow())
    log.info("voucher policy of %s: day %d, quota %d", district.code, care_day, quota)
    name = district.name_zh if translate("common.language_name") == "中文" else district.name_en
    return _page(saved=translate("vouchers.saved", district=name, day=care_day, quota=quota))

