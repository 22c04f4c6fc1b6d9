"""Realistic station activity besides check-ins, for trying every report: charge sessions, feedback, and
service requests worked to their outcomes (`waystation seed`).

Everything goes in through the product's own paths — the wire messages a kiosk or a controller sends,
stored by the functions ingest calls (`charging.on_session`, `feedback.record`,
`casework.file_requests`), then worked by a case worker with the case-work functions — so the reports
read seeded rows exactly as they read real ones. All of it lies in the past: nothing after `until`.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, date, datetime, timedelta

from devices.protocol import events, sessions
from station_admin.community import feedback
from station_admin.core.models import StaffUser, Station, db
from station_admin.core.protect import DataProtector
from station_admin.live import charging
from station_admin.members.models import Member
from station_admin.requests import casework
from waystation.pain_points import load_pain_points
from waystation.services import Catalogue

log = logging.getLogger(__name__)

# Share of finished charge sessions by how they ended (the rest were unplugged early).
END_REASONS = [(sessions.EndReason.FULL, 0.62), (sessions.EndReason.UNPLUGGED, 0.22),
               (sessions.EndReason.TIME_LIMIT, 0.12), (sessions.EndReason.FAULT, 0.04)]
REQUESTS_PER_STATION_DAY = 0.5
SCORES = [(5, 0.46), (4, 0.32), (3, 0.13), (2, 0.06), (1, 0.03)]


def _pick(rng: random.Random, weighted):
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted], k=1)[0]


def seed_activity(codes: list[str], days: int, last_day: date, offset: int, rng: random.Random,
                  protector: DataProtector | None, catalogue: Catalogue, timezone: str,
                  until: datetime) -> dict[str, int]:
    """Charge sessions, feedback and service requests at these stations over `days` local days; counts made."""
    stations = {s.code: s for s in Station.select().where(Station.code.in_(codes))}
    members = [m.member_no for m in Member.select(Member.member_no).where(Member.status == "active")] \
        if protector else []
    worker = StaffUser.get_or_none(StaffUser.role == "caseworker")
    points = load_pain_points().ids
    made = {"sessions": 0, "feedback": 0, "requests": 0}
    first = last_day - timedelta(days=days - 1)
    with db.atomic():
        for n in range(days):
            day = first + timedelta(days=n)
            midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=offset)
            for code, station in stations.items():
                made["sessions"] += _charge_day(station, midnight, rng, members, until)
                made["feedback"] += _feedback_day(code, midnight, rng, members, points, until)
                if members and worker and rng.random() < REQUESTS_PER_STATION_DAY:
                    try:
                        with db.atomic():
                            made["requests"] += _request(code, midnight, rng, members, worker, protector,
                                                         catalogue, timezone, until)
                    except ValueError as e:  # members encrypted under another data key: no phone to call
                        log.warning("no service requests seeded: %s", e)
                        members = []
    log.info("seeded %(sessions)d charge sessions, %(feedback)d feedback, %(requests)d service requests", made)
    return made


def _charge_day(station: Station, midnight: datetime, rng: random.Random, members: list[str],
                until: datetime) -> int:
    """A day of sessions on each slot: back to back with gaps, as riders come and go."""
    made = 0
    for slot in range(1, station.charger_slots + 1):
        moment = midnight + timedelta(hours=rng.uniform(6, 9))
        while moment < midnight + timedelta(hours=22):
            hours = rng.uniform(0.5, 3.5)
            end = moment + timedelta(hours=hours)
            if end >= until:
                break
            reason = _pick(rng, END_REASONS)
            sid = events.new_event_id()
            member = rng.choice(members) if members and rng.random() < 0.7 else None
            energy = int(hours * rng.uniform(250, 420))
            for phase, ts, wh, why in ((sessions.Phase.START, moment, 0, None),
                                       (sessions.Phase.END, end, energy, reason)):
                charging.on_session(sessions.ChargeSession(station.code, slot, sid, phase, moment, ts, wh,
                                                           0 if why else 400, 4 * 3600, member, why))
            made += 1
            moment = end + timedelta(hours=rng.expovariate(1 / 1.5))
    return made


def _feedback_day(code: str, midnight: datetime, rng: random.Random, members: list[str], points: list[str],
                  until: datetime) -> int:
    batch = []
    for _ in range(rng.randint(1, 6)):
        ts = midnight + timedelta(hours=rng.uniform(7, 22))
        if ts >= until:
            continue
        score = _pick(rng, SCORES) if rng.random() < 0.9 else None
        named = tuple(rng.sample(points, k=rng.choice([0, 0, 1, 1, 2]))) if points else ()
        if score is None and not named:
            score = 4
        body = events.Feedback(score, named, rng.choice(members) if members and rng.random() < 0.4 else None)
        batch.append(events.StationEvent(code, events.new_event_id(), 0, ts, body))
    feedback.record(batch)
    return len(batch)


def _request(code: str, midnight: datetime, rng: random.Random, members: list[str], worker: StaffUser,
             protector: DataProtector, catalogue: Catalogue, timezone: str, until: datetime) -> int:
    """One member's request filed at the kiosk, then worked by the case worker as far as its age allows."""
    filed_at = midnight + timedelta(hours=rng.uniform(8, 21))
    if filed_at >= until:
        return 0
    service = rng.choice(list(catalogue.services.values()))
    answers = tuple((q.id, rng.choice([c for c in q.choices if not c.divert]).id) for q in service.questions)
    body = events.ServiceRequest(service.code, events.new_tracking_code(), answers,
                                 rng.choice(catalogue.best_times).id, member_no=rng.choice(members))
    filed = casework.file_requests([events.StationEvent(code, events.new_event_id(), 0, filed_at, body)],
                                   catalogue, protector, filed_at, timezone)
    if not filed or filed[0].centre is None:
        return len(filed)
    req = filed[0]
    contact = filed_at + timedelta(hours=rng.uniform(1, 60))  # most within two working days, some late
    if contact >= until:
        return 1
    if rng.random() < 0.3:
        casework.log_attempt(req, "no_answer", worker, contact - timedelta(hours=1))
    casework.record_contact(req, worker, contact)
    done = contact + timedelta(days=rng.uniform(1, 20))
    if done >= until:
        return 1
    ending = rng.random()
    if ending < 0.55:
        casework.close(req, True, service.code == "legal_aid" and rng.random() < 0.6,
                       f"{rng.randrange(500, 20000)}" if service.code == "legal_aid" else "", worker, done)
    elif ending < 0.7:
        casework.close(req, False, False, "", worker, done)
    elif ending < 0.82 and service.code == "legal_aid":
        casework.refer(req, rng.choice(["arbitration", "court"]), worker, done)
    elif ending < 0.88:
        casework.move(req, "withdrawn", worker, done)
    if not req.is_open and rng.random() < 0.6:
        casework.rate(req, _pick(rng, SCORES), done + timedelta(days=1))
    return 1
