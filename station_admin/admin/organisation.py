"""The organisation tree: federations, district unions under them, legal-aid centres in districts
with the further districts they serve (request routing reads this). Every change is audited with
before and after; a refused change writes nothing.
"""

from __future__ import annotations

import logging

from devices.protocol import ID_RE
from station_admin.admin.refusal import Refused
from station_admin.core.audit import audit
from station_admin.core.models import District, Federation, StaffUser, db
from station_admin.requests.models import CentreDistrict, LegalAidCentre

log = logging.getLogger(__name__)
NAME_MAX = 80


def _clean(text: str) -> str:
    return " ".join((text or "").split())


def _name_problems(name_zh: str, name_en: str) -> list[tuple[str, dict]]:
    if not name_zh or not name_en or len(name_zh) > NAME_MAX or len(name_en) > NAME_MAX:
        return [("manage.error.names", {"max": NAME_MAX})]
    return []


def _code_problems(model, code: str, current_id: int | None = None) -> list[tuple[str, dict]]:
    if not ID_RE.match(code):
        return [("manage.error.code", {})]
    taken = model.select().where(model.code == code)
    if current_id is not None:
        taken = taken.where(model.id != current_id)
    return [("manage.error.code_taken", {"code": code})] if taken.exists() else []


def federation_facts(federation: Federation) -> dict:
    """A federation as the audit log keeps it."""
    return {"code": federation.code, "name_zh": federation.name_zh, "name_en": federation.name_en,
            "members_need_approval": federation.members_need_approval}


def save_federation(code: str, name_zh: str, name_en: str, members_need_approval: bool = False,
                    federation: Federation | None = None, actor: StaffUser | None = None) -> Federation:
    """Create a federation, or change one (its code too); Refused when anything is wrong."""
    code, name_zh, name_en = code.strip(), _clean(name_zh), _clean(name_en)
    with db.atomic():
        problems = _code_problems(Federation, code, federation.id if federation else None)
        problems += _name_problems(name_zh, name_en)
        if problems:
            raise Refused(problems)
        before = federation_facts(federation) if federation else None
        federation = federation or Federation()
        federation.code, federation.name_zh, federation.name_en = code, name_zh, name_en
        federation.members_need_approval = members_need_approval
        federation.save()
        audit("federation.change" if before else "federation.add", "federation", federation.id, actor=actor,
              before=before, after=federation_facts(federation))
    return federation


def district_facts(district: District) -> dict:
    """A district as the audit log keeps it."""
    return {"code": district.code, "federation": district.federation.code, "name_zh": district.name_zh,
            "name_en": district.name_en}


def save_district(code: str, federation_code: str, name_zh: str, name_en: str, district: District | None = None,
                  actor: StaffUser | None = None) -> District:
    """Create a district union under a federation, or change one; Refused when anything is wrong."""
    code, name_zh, name_en = code.strip(), _clean(name_zh), _clean(name_en)
    with db.atomic():
        problems = _code_problems(District, code, district.id if district else None)
        problems += _name_problems(name_zh, name_en)
        federation = Federation.get_or_none(Federation.code == federation_code)
        if federation is None:
            problems.append(("manage.error.federation", {"code": federation_code}))
        if problems:
            raise Refused(problems)
        before = district_facts(district) if district else None
        district = district or District()
        district.code, district.federation, district.name_zh, district.name_en = code, federation, name_zh, name_en
        district.save()
        audit("district.change" if before else "district.add", "district", district.id, actor=actor,
              before=before, after=district_facts(district))
    return district


def centre_facts(centre: LegalAidCentre) -> dict:
    """A legal-aid centre as the audit log keeps it, with the districts it serves."""
    return {"district": centre.district.code, "name_zh": centre.name_zh, "name_en": centre.name_en,
            "serves": [d.code for d in centre.served_districts()]}


def save_centre(district_code: str, name_zh: str, name_en: str, serves: list[str] = (),
                centre: LegalAidCentre | None = None, actor: StaffUser | None = None) -> LegalAidCentre:
    """Create a legal-aid centre in a district, or change one, with the further districts it serves.

    A district is served by one centre at most: naming one another centre serves is refused.
    """
    name_zh, name_en = _clean(name_zh), _clean(name_en)
    serves = list(dict.fromkeys(c for c in serves if c and c != district_code))
    with db.atomic():
        problems = _name_problems(name_zh, name_en)
        district = District.get_or_none(District.code == district_code)
        if district is None:
            problems.append(("manage.error.district", {"code": district_code}))
        served = list(District.select().where(District.code.in_(serves))) if serves else []
        missing = sorted(set(serves) - {d.code for d in served})
        if missing:
            problems.append(("manage.error.district", {"code": ", ".join(missing)}))
        taken = (CentreDistrict.select(CentreDistrict, District).join(District)
                 .where(CentreDistrict.district.in_([d.id for d in served])))
        if centre is not None:
            taken = taken.where(CentreDistrict.centre != centre.id)
        for row in taken:
            problems.append(("manage.error.served_elsewhere", {"code": row.district.code}))
        if problems:
            raise Refused(problems)
        before = centre_facts(centre) if centre else None
        centre = centre or LegalAidCentre()
        centre.district, centre.name_zh, centre.name_en = district, name_zh, name_en
        centre.save()
        CentreDistrict.delete().where(CentreDistrict.centre == centre.id).execute()
        for d in served:
            CentreDistrict.create(centre=centre, district=d)
        audit("centre.change" if before else "centre.add", "centre", centre.id, actor=actor, before=before,
              after=centre_facts(centre))
    return centre


def tree() -> list[tuple[Federation, list[tuple[District, list[LegalAidCentre]]]]]:
    """The whole organisation tree for the admin page: federations, their districts, each district's centres."""
    centres: dict[int, list[LegalAidCentre]] = {}
    for centre in LegalAidCentre.select().order_by(LegalAidCentre.id):
        centres.setdefault(centre.district_id, []).append(centre)
    districts: dict[int, list] = {}
    for district in District.select().order_by(District.code):
        districts.setdefault(district.federation_id, []).append((district, centres.get(district.id, [])))
    return [(f, districts.get(f.id, [])) for f in Federation.select().order_by(Federation.code)]
