"""What the kiosk hears from central about community life: the voucher policy, decisions on voucher
claims, and the station's events for the week; all stored, so they hold with no network."""

from __future__ import annotations

import logging

from devices.protocol import schedule, utcnow, vouchers
from kiosk.listener import stored
from kiosk.models import CarePolicy, ScheduleItem, VoucherClaim, db

log = logging.getLogger(__name__)


class CommunityListener:
    """Subscribes to the station's voucher policy, voucher decisions and schedule."""

    def __init__(self, link, station_id: str):
        self.link = link
        self.station_id = station_id

    def subscribe(self) -> None:
        """Register the subscriptions (kept across reconnects by the link)."""
        s = self.station_id
        self.link.subscribe(vouchers.POLICY_PATTERN.format(station=s), self._route(vouchers.parse_policy, on_policy))
        self.link.subscribe(vouchers.DECISION_PATTERN.format(station=s),
                            self._route(vouchers.parse_decision, on_decision))
        self.link.subscribe(schedule.PATTERN.format(station=s), self._route(schedule.parse, on_schedule))

    def _route(self, parse, handler):
        return stored(self.link, parse, handler)


def on_policy(policy: vouchers.VoucherPolicy) -> None:
    """Central's care day and this station's quota."""
    (CarePolicy.insert(station_id=policy.station, care_day=policy.care_day, quota=policy.quota,
                       received_at=utcnow())
     .on_conflict(conflict_target=[CarePolicy.station_id],
                  update={CarePolicy.care_day: policy.care_day, CarePolicy.quota: policy.quota,
                          CarePolicy.received_at: utcnow()})
     .execute())


def on_decision(decision: vouchers.VoucherDecision) -> None:
    """Central decided a claim: a confirmed voucher replaces a provisional one; a refusal of a
    provisional voucher flags it."""
    claim = VoucherClaim.get_or_none(VoucherClaim.event_id == decision.claim_id)
    if claim is None or claim.voucher_no != decision.voucher_no:
        log.warning("decision for a voucher claim this kiosk does not have: %s", decision.claim_id)
        return
    if decision.status == "confirmed":
        claim.status, claim.text, claim.reason = "confirmed", decision.voucher, None
    else:
        claim.status = "flagged" if claim.status in ("provisional", "flagged") else "refused"
        claim.reason = decision.reason
    claim.save()
    log.info("voucher claim %s: %s", decision.claim_id, claim.status)


def on_schedule(message: schedule.Schedule) -> None:
    """Replace the stored events with central's current list."""
    with db.atomic():
        ScheduleItem.delete().execute()
        for item in message.items:
            ScheduleItem.create(event_id=item.event_id, kind=item.kind, title_zh=item.title["zh"],
                                title_en=item.title["en"], starts=item.start, ends=item.end)
