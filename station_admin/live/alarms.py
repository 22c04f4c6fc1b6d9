"""Alarms: raised and cleared at central from the stored live state, acknowledged and cleared by staff.

At most one open alarm per (kind, source): `open_key` is "kind|source" while the alarm is open and
NULL once cleared, under a unique index (many NULLs are allowed on SQLite and PostgreSQL alike).
The evaluator runs in central's MQTT node; alarms are rows, so they outlive any restart.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import peewee
from flask import Blueprint, abort, g, render_template

from devices.protocol import utcnow
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.models import BaseModel, ChargerSlotState, DeviceState, StaffUser, Station, StationLive, db
from station_admin.live import health
from station_admin.live.charging import close_lost_sessions_at
from station_admin.live.deadletters import DeadLetter
from station_admin.requests.casework import unrouted_requests
from station_admin.requests.models import OPEN_STATUSES, ServiceRequest
from waystation.db import JSONField, UTCDateTimeField, insert_rows
from waystation.web import current_settings, page_or_fragment

log = logging.getLogger(__name__)
bp = Blueprint("alarms", __name__, url_prefix="/alarms")

SEVERITY = {"device_offline": "critical", "slot_faulted": "critical", "occupancy_high": "warning",
            "outbox_backlog": "warning", "request_overdue": "warning", "request_unrouted": "warning",
            "ingest_dead_letter": "critical", "ingest_behind": "critical", "disk_low": "critical",
            "clock_off": "warning",
            "version_behind": "info", "outbox_old": "warning"}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


class Alarm(BaseModel):
    """Something wrong at a station or in the request queue, from raising to clearing."""

    kind = peewee.CharField()
    source = peewee.CharField()  # station/device, station/slot, station, or a request's tracking code
    station_code = peewee.CharField(null=True, index=True)
    severity = peewee.CharField()
    raised_at = UTCDateTimeField(index=True)
    details = JSONField(default=dict)  # what the condition saw: why, values, counts
    open_key = peewee.CharField(null=True, unique=True)
    acknowledged_at = UTCDateTimeField(null=True)
    acknowledged_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL", backref="+")
    acknowledged_by_name = peewee.CharField(null=True)
    cleared_at = UTCDateTimeField(null=True)
    cleared_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL", backref="+")
    cleared_by_name = peewee.CharField(null=True)  # "system" when the condition went away
    clear_reason = peewee.CharField(null=True)  # resolved (by the evaluator) or staff

    class Meta:
        table_name = "alarm"
        indexes = ((("station_code", "open_key"), False),)  # a station's open alarms (the board)

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None

    @classmethod
    def open(cls):
        """Every open alarm."""
        return cls.select().where(cls.open_key.is_null(False))

    @classmethod
    def visible_to(cls, user: StaffUser):
        """Alarms a staff user may see: admins all; others those of their stations."""
        if user.role == "admin":
            return cls.select()
        # A subquery, not a list of codes: a federation's scope may be a province's stations.
        return cls.select().where(cls.station_code.in_(Station.visible_to(user).select(Station.code).order_by()))

    @classmethod
    def open_counts(cls, codes: list[str]) -> dict[str, int]:
        """Open alarms per station, of these stations (a page of the dashboard)."""
        if not codes:
            return {}
        query = (cls.select(cls.station_code, peewee.fn.COUNT(cls.id)).where(cls.station_code.in_(codes),
                                                                           cls.open_key.is_null(False))
                 .group_by(cls.station_code).tuples())
        return dict(query)

    @classmethod
    def board(cls, user: StaffUser, now: datetime, cleared_hours: int = 24) -> tuple[list[Alarm], list[Alarm]]:
        """Open alarms (most severe, then newest first) and those cleared in the last hours, for one user."""
        visible = cls.visible_to(user)
        opened = sorted(visible.where(cls.cleared_at.is_null()),
                        key=lambda a: (SEVERITY_ORDER.get(a.severity, 9), -a.raised_at.timestamp()))
        cleared = list(visible.where(cls.cleared_at >= now - timedelta(hours=cleared_hours))
                       .order_by(cls.cleared_at.desc()).limit(20))
        return opened, cleared


def raise_alarm(kind: str, source: str, station: str | None, details: dict, now: datetime) -> bool:
    """Open an alarm unless one is open for (kind, source); whether this opened it."""
    if Alarm.select().where(Alarm.open_key == f"{kind}|{source}").exists():
        return False
    (Alarm.insert(kind=kind, source=source, station_code=station, severity=SEVERITY[kind], raised_at=now,
                  details=details, open_key=f"{kind}|{source}")
     .on_conflict_ignore().execute())
    log.warning("alarm raised: %s %s %s", kind, source, details)
    return True


def clear(alarm: Alarm, now: datetime, actor: StaffUser | None) -> bool:
    """Clear an open alarm (staff, or the evaluator when the condition is gone); whether it was open."""
    done = (Alarm.update(cleared_at=now, cleared_by=actor, cleared_by_name=actor.username if actor else "system",
                         clear_reason="staff" if actor else "resolved", open_key=None)
            .where(Alarm.id == alarm.id, Alarm.open_key.is_null(False)).execute())
    if done and actor is not None:
        audit("alarm.clear", "alarm", alarm.id, actor=actor, kind=alarm.kind, source=alarm.source)
    return bool(done)


def acknowledge(alarm: Alarm, now: datetime, actor: StaffUser) -> bool:
    """Record that staff saw an open alarm and are on it; whether it was open and not yet acknowledged."""
    done = (Alarm.update(acknowledged_at=now, acknowledged_by=actor, acknowledged_by_name=actor.username)
            .where(Alarm.id == alarm.id, Alarm.open_key.is_null(False), Alarm.acknowledged_at.is_null())
            .execute())
    if done:
        audit("alarm.acknowledge", "alarm", alarm.id, actor=actor, kind=alarm.kind, source=alarm.source)
    return bool(done)


def conditions(now: datetime, settings, live_until: datetime | None = None, liveness_known: bool = True,
               ) -> dict[tuple[str, str], tuple[str | None, dict]]:
    """What is wrong now: (kind, source) -> (station, details); closes the sessions of silent controllers.

    Set-based: each kind is one query that returns only what is wrong, so a healthy province costs
    a few index scans, not a row per device. Liveness is judged against `live_until`, how far
    ingest has got (broker backlog included: IngestWorker.progress), when that is behind `now`: a
    backlog is not silence at the stations. Ingest further behind than a heartbeat timeout is one
    alarm of its own. While how far ingest has got is not known (`liveness_known` false: a worker
    just started, whose first marker is not back), no device is judged: offline alarms are left as
    they are (evaluate keeps them), none raised or cleared.
    """
    found: dict[tuple[str, str], tuple[str | None, dict]] = {}
    heard_until = min(now, live_until) if live_until else now
    timeout = timedelta(seconds=settings.heartbeat_timeout_s)
    if now - heard_until > timeout:
        found[("ingest_behind", "ingest")] = (None, {"behind_s": round((now - heard_until).total_seconds()),
                                                     "known": liveness_known})
    stale_before = heard_until - timeout
    offline = (DeviceState.select(DeviceState.station_code, DeviceState.device, DeviceState.kind, DeviceState.online)
               .where((DeviceState.online == False) | (DeviceState.heartbeat_at < stale_before)  # noqa: E712
                      | (DeviceState.heartbeat_at.is_null() & (DeviceState.changed_at < stale_before))).tuples())
    lost_controllers: dict[str, str] = {}
    for station, device, kind, online in offline if liveness_known else ():
        why = "last_will" if not online else "no_heartbeat"
        found[("device_offline", f"{station}/{device}")] = (station, {"device": device, "kind": kind, "why": why})
        if kind == "charger_controller":
            lost_controllers[station] = why
    if lost_controllers:
        close_lost_sessions_at(lost_controllers)
    backlog = (DeviceState.select(DeviceState.station_code, DeviceState.device, DeviceState.outbox_pending)
               .where(DeviceState.kind == "kiosk", DeviceState.outbox_pending > settings.outbox_backlog).tuples())
    for station, device, pending in backlog:
        if ("device_offline", f"{station}/{device}") not in found:
            found[("outbox_backlog", f"{station}/{device}")] = (station, {"pending": pending})
    faulted = (ChargerSlotState.select(ChargerSlotState.station_code, ChargerSlotState.slot, ChargerSlotState.fault)
               .where(ChargerSlotState.status == "faulted").tuples())
    for station, slot, fault in faulted:
        found[("slot_faulted", f"{station}/{slot}")] = (station, {"slot": slot, "fault": fault})
    full = (StationLive.select(StationLive.station_code, StationLive.people_inside, Station.capacity)
            .join(Station, on=(Station.code == StationLive.station_code))
            .where(Station.capacity > 0,
                   StationLive.people_inside * 100 >= Station.capacity * settings.occupancy_percent).tuples())
    for station, inside, capacity in full:
        found[("occupancy_high", station)] = (station, {"inside": inside, "capacity": capacity})
    overdue = ServiceRequest.select().where(ServiceRequest.first_contact_at.is_null(),
                                            ServiceRequest.status.in_(OPEN_STATUSES), ServiceRequest.due_at < now)
    for r in overdue:
        found[("request_overdue", r.tracking_code)] = (r.station_code, {"service": r.service, "due_at": r.due_at})
    for r in unrouted_requests():
        found[("request_unrouted", r.tracking_code)] = (r.station_code, {"service": r.service})
    waiting = DeadLetter.open_count()
    if waiting:
        # No station: only admins see it, and only admins may re-run or discard a dead letter.
        found[("ingest_dead_letter", "ingest")] = (None, {"count": waiting})
    found.update(health.conditions(now, settings))
    return found


def evaluate(now: datetime, settings, live_until: datetime | None = None,
             liveness_known: bool = True) -> tuple[int, int]:
    """Raise alarms for new conditions and clear those whose condition is gone; (raised, cleared).

    Everything is read first; the writes (one multi-row INSERT for the raised, one UPDATE per 500
    cleared) follow in one short transaction, so SQLite's write lock is held for milliseconds and
    ingest does not wait on an evaluation. Without known liveness (conditions()) the open offline
    alarms stay open.
    """
    wanted = conditions(now, settings, live_until, liveness_known)
    opened = {(kind, source): alarm_id for alarm_id, kind, source in
              Alarm.select(Alarm.id, Alarm.kind, Alarm.source).where(Alarm.open_key.is_null(False)).tuples()}
    if not liveness_known:
        wanted.update({key: (None, {}) for key in opened if key[0] == "device_offline"})
    new = [{"kind": kind, "source": source, "station_code": station, "severity": SEVERITY[kind], "raised_at": now,
            "details": Alarm.details.db_value(details), "open_key": f"{kind}|{source}"}
           for (kind, source), (station, details) in wanted.items() if (kind, source) not in opened]
    gone = [alarm_id for key, alarm_id in opened.items() if key not in wanted]
    cleared = 0
    with db.atomic():
        for start in range(0, len(new), 500):
            insert_rows(db, Alarm, new[start:start + 500], skip_conflicts=True)
        for start in range(0, len(gone), 500):
            cleared += (Alarm.update(cleared_at=now, cleared_by=None, cleared_by_name="system", clear_reason="resolved",
                                     open_key=None)
                        .where(Alarm.id.in_(gone[start:start + 500]), Alarm.open_key.is_null(False)).execute())
    for row in new[:20]:
        log.warning("alarm raised: %s %s %s", row["kind"], row["source"], wanted[(row["kind"], row["source"])][1])
    if len(new) > 20:
        log.warning("%d more alarms raised (%d in all)", len(new) - 20, len(new))
    return len(new), cleared


def _board(**extra):
    settings = current_settings()
    opened, cleared = Alarm.board(g.user, utcnow())
    return page_or_fragment("station_admin/live/alarms/index.html", "station_admin/live/alarms/_alarms.html",
                            open_alarms=opened, cleared_alarms=cleared, alarm_poll_seconds=settings.alarms.poll_seconds,
                            may_handle=g.user.role in ("admin", "manager"), **extra)


STRIP_LIMIT = 8  # open alarms listed in the dashboard's strip; the rest are on the alarms page


def strip_context(user: StaffUser, now: datetime) -> dict:
    """What the dashboard's alarm strip shows: the first STRIP_LIMIT open alarms, most severe then newest
    first, and the open alarms' counts by severity: two statements, however many are open (a province's
    tens of thousands are counted in the database, not loaded)."""
    opened = Alarm.visible_to(user).where(Alarm.cleared_at.is_null())
    counts = {severity: 0 for severity in SEVERITY_ORDER}
    for severity, n in opened.select(Alarm.severity, peewee.fn.COUNT(Alarm.id)).group_by(Alarm.severity).tuples():
        counts[severity] = counts.get(severity, 0) + n
    rank = peewee.Case(Alarm.severity, list(SEVERITY_ORDER.items()), len(SEVERITY_ORDER))
    first = list(opened.order_by(rank, Alarm.raised_at.desc(), Alarm.id.desc()).limit(STRIP_LIMIT))
    return {"open_alarms": first, "open_count": sum(counts.values()), "counts": counts, "strip_limit": STRIP_LIMIT,
            "alarm_poll_seconds": current_settings().alarms.poll_seconds}


@bp.get("/strip")
@login_required("admin", "federation", "manager")
def strip():
    """The dashboard's alarm strip (the fragment it polls)."""
    return render_template("station_admin/live/alarms/_strip.html", **strip_context(g.user, utcnow()))


@bp.get("/")
@login_required("admin", "federation", "manager")
def index():
    """Open alarms first, then the recently cleared: the page, or the fragment the dashboard polls."""
    return _board()


def _alarm_or_404(alarm_id: int) -> Alarm:
    alarm = Alarm.visible_to(g.user).where(Alarm.id == alarm_id).first()
    if alarm is None:
        abort(404)
    return alarm


@bp.post("/<int:alarm_id>/acknowledge")
@login_required("admin", "manager")
def ack(alarm_id: int):
    """Acknowledge an open alarm (audited); a cleared or acknowledged one is left as it is, with a note."""
    done = acknowledge(_alarm_or_404(alarm_id), utcnow(), g.user)
    return _board(notice=None if done else "alarms.already_handled")


@bp.post("/<int:alarm_id>/clear")
@login_required("admin", "manager")
def clear_by_staff(alarm_id: int):
    """Clear an open alarm (audited); one still true is raised again at the next evaluation."""
    done = clear(_alarm_or_404(alarm_id), utcnow(), g.user)
    return _board(notice=None if done else "alarms.already_handled")
