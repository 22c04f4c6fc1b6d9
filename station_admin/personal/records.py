"""What central holds about one member: all of it as a file ("export my data"), or their identity
erased ("delete my data") with every count kept.

An erasure empties what says who the member is: name, mobile number (ciphertext and look-up hash),
card, card-page link; it revokes the member's cards everywhere; and it erases the contact details
of their service requests (those filed with their member number or their mobile number). What the
member did stays, under the member number alone, now linked to nobody: check-ins, charge sessions,
vouchers, feedback, requests' facts and the rollups, so every report counts the same as before.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import peewee

from station_admin.community.careday import Voucher
from station_admin.community.feedback import Feedback
from station_admin.core.audit import AuditEntry, audit
from station_admin.core.models import CheckIn
from station_admin.core.protect import DataProtector
from station_admin.hardship.models import HardshipCase
from station_admin.live.charging import ChargeSession
from station_admin.members.models import ConsentText, Member, MembershipError
from station_admin.requests.models import ContactAttempt, ServiceRequest, StatusChange

FORMAT = "waystation.member-data/1"


def _time(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _requests_of(member: Member, phone_hash: str | None):
    """The service requests filed with this member's number or mobile number."""
    where = ServiceRequest.member_no == member.member_no
    if phone_hash:
        where = where | (ServiceRequest.phone_hash == phone_hash)
    return ServiceRequest.select().where(where).order_by(ServiceRequest.filed_at, ServiceRequest.id)


def _phone_of(member: Member, protector: DataProtector) -> str | None:
    return protector.decrypt(member.phone_enc) if member.erased_at is None and member.phone_enc else None


def export(member: Member, protector: DataProtector, now: datetime) -> dict:
    """Everything central holds about the member, readable (phone numbers decrypted), as one document."""
    phone = _phone_of(member, protector)
    consent = ConsentText.get_or_none(ConsentText.version == member.consent_version)
    no = member.member_no
    requests = []
    for r in _requests_of(member, member.phone_hash if member.erased_at is None else None):
        requests.append({
            "tracking_code": r.tracking_code, "service": r.service, "station": r.station_code,
            "district": r.district_code, "answers": r.answer_map, "best_time": r.best_time,
            "phone": protector.decrypt(r.phone_encrypted) if r.phone_encrypted else None,
            "phone_last4": r.phone_last4, "filed_at": _time(r.filed_at), "status": r.status,
            "first_contact_at": _time(r.first_contact_at), "closed_at": _time(r.closed_at),
            "mediated": r.mediated, "amount_recovered_yuan": r.amount_recovered_yuan, "referred_to": r.referred_to,
            "satisfaction": r.satisfaction, "contact_erased_at": _time(r.contact_erased_at),
            "history": [{"at": _time(c.at), "from": c.from_status, "to": c.to_status, "by": c.actor_name,
                         "note": c.note} for c in StatusChange.history(r)],
            "contact_attempts": [{"at": _time(a.at), "outcome": a.outcome} for a in ContactAttempt.select()
                                 .where(ContactAttempt.request == r).order_by(ContactAttempt.at)],
        })
    return {
        "format": FORMAT,
        "exported_at": _time(now),
        "member": {
            "member_no": no, "name": member.name or None, "phone": phone, "platform": member.platform,
            "district": member.district.code, "join_station": member.join_station, "status": member.status,
            "joined_at": _time(member.created_at), "approved_at": _time(member.approved_at),
            "revoked_at": _time(member.revoked_at), "erased_at": _time(member.erased_at),
            "card": {"key": member.card_kid, "issued_at": _time(member.card_issued_at),
                     "expires_at": _time(member.card_expires_at)} if member.card_issued_at else None,
        },
        "consent": {"version": member.consent_version, "hash": member.consent_hash,
                    "agreed_at": _time(member.consent_at),
                    "text_zh": consent.text_zh if consent else None,
                    "text_en": consent.text_en if consent else None} if member.consent_version else None,
        "check_ins": [{"station": c.station_code, "at": _time(c.occurred_at), "method": c.method}
                      for c in CheckIn.select().where(CheckIn.member_no == no).order_by(CheckIn.occurred_at)],
        "charge_sessions": [
            {"station": s.station_code, "slot": s.slot, "started_at": _time(s.started_at),
             "ended_at": _time(s.ended_at), "energy_wh": s.energy_wh, "end_reason": s.end_reason}
            for s in ChargeSession.select().where(ChargeSession.member_no == no).order_by(ChargeSession.started_at)],
        "vouchers": [
            {"voucher_no": v.voucher_no, "station": v.station_code, "month": v.month, "status": v.status,
             "claimed_at": _time(v.claimed_at), "redeemed_at": _time(v.redeemed_at)}
            for v in Voucher.select().where(Voucher.member_no == no).order_by(Voucher.claimed_at)],
        "feedback": [
            {"station": f.station_code, "at": _time(f.occurred_at), "score": f.score,
             "categories": sorted(c.category for c in f.categories)}
            for f in Feedback.select().where(Feedback.member_no == no).order_by(Feedback.occurred_at)],
        "service_requests": requests,
        "hardship_cases": [
            {"district": h.district.code, "cause": h.cause, "household_members": h.household_members,
             "household_income_fen": h.household_income_fen, "census_on": h.census_on.isoformat(),
             "recorded_at": _time(h.recorded_at), "approved_at": _time(h.approved_at),
             "visits": [v.visited_on.isoformat() for v in h.visits],
             "documents": [{"kind": d.kind, "filename": d.filename, "uploaded_at": _time(d.uploaded_at)}
                           for d in h.documents]}
            for h in HardshipCase.select().where(HardshipCase.member_no == no).order_by(HardshipCase.recorded_at)],
        "audit": [{"at": _time(e.at), "action": e.action, "by": e.actor_name}
                  for e in AuditEntry.for_subject("member", no)],
    }


def erase_request_contact(query: peewee.ModelSelect, now: datetime) -> int:
    """Erase the rider's contact details (phone ciphertext, hash, last four) of these requests; how many."""
    ids = [r.id for r in query.where(ServiceRequest.phone_encrypted.is_null(False)
                                     | ServiceRequest.phone_hash.is_null(False)
                                     | ServiceRequest.phone_last4.is_null(False))]
    if not ids:
        return 0
    return (ServiceRequest.update(phone_encrypted=None, phone_hash=None, phone_last4=None, contact_erased_at=now,
                                  rating_open=False)
            .where(ServiceRequest.id.in_(ids)).execute())


def erase(member: Member, now: datetime, reason: str) -> dict[str, int]:
    """Erase the member's identity at their request (the caller's transaction); audited with what it did."""
    if member.erased_at is not None:
        raise MembershipError("already_erased")
    requests = erase_request_contact(_requests_of(member, member.phone_hash), now)
    if member.status != "revoked":
        member.status, member.revoked_at = "revoked", now
    # Cards stay refused at every kiosk until the last one would have expired.
    member.revocation_until = max(filter(None, [member.card_expires_at, member.revocation_until]), default=None)
    member.name, member.phone_enc, member.card_enc = "", "", None
    member.phone_hash = f"erased:{member.member_no}"
    member.page_token_hash = Member.token_hash(secrets.token_urlsafe(24))  # the card page link is dead
    member.erased_at = now
    member.save()
    done = {"requests": requests}
    audit("member.erase", "member", member.member_no, reason=reason, **done)
    return done
