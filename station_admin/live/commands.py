"""Commands staff send to a station's kiosk or charger controller, and their outcomes.

The web processes have no MQTT client: a staff request stores a pending Command row, central's MQTT
node (station_admin.node.operations) publishes it and settles it from the device's reply, or as timed out
when no reply comes in `operations.command_timeout_s`. Every request and every outcome is audited.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import peewee
from flask import Blueprint, abort, g, render_template, request
from flask_htmx import make_response

from devices.protocol import commands as wire
from devices.protocol import format_time, utcnow
from devices.protocol.events import new_event_id
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.models import BaseModel, ChargerSlotState, DeviceState, StaffUser, Station, live_stations
from station_admin.live.charging import ChargeSession
from waystation.db import UTCDateTimeField
from waystation.web import catalog, current_language, current_settings, htmx, page_or_fragment, translate

log = logging.getLogger(__name__)
bp = Blueprint("commands", __name__, url_prefix="/commands")

STATUSES = ("pending", "accepted", "rejected", "timed_out")
SLOT_COMMANDS = ("slot_disable", "slot_enable", "slot_stop")
DEFAULT_DEVICE = {"kiosk": "kiosk", "charger_controller": "charger"}
MAX_ANNOUNCE_CHARS = 280
MAX_ANNOUNCE_MINUTES = 7 * 24 * 60


class CommandError(ValueError):
    """A command that cannot be sent; `key` is its message in the locale files."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values


class Command(BaseModel):
    """One command to a station's kiosk or device, from its request to its outcome."""

    command_id = peewee.CharField(unique=True, max_length=32)
    station_code = peewee.CharField(index=True)
    device = peewee.CharField()
    name = peewee.CharField()
    args = peewee.TextField(default="{}")  # JSON, as sent
    requested_by = peewee.ForeignKeyField(StaffUser, null=True, on_delete="SET NULL")
    requested_by_name = peewee.CharField()  # "system" for central's own (a refused second session)
    requested_at = UTCDateTimeField()
    published_at = UTCDateTimeField(null=True)
    status = peewee.CharField(default="pending", index=True)
    answered_at = UTCDateTimeField(null=True)
    reason = peewee.CharField(null=True)

    class Meta:
        table_name = "command"

    @property
    def arguments(self) -> dict:
        return json.loads(self.args)

    @property
    def reason_known(self) -> bool:
        """Whether the reason is one of the wire's codes (shown translated) rather than free text."""
        return self.reason in wire.REASONS or self.reason == "no_reply"

    @property
    def pending(self) -> bool:
        return self.status == "pending"

    @classmethod
    def unpublished(cls):
        """Pending commands the node has not sent yet, oldest first."""
        return cls.select().where(cls.status == "pending", cls.published_at.is_null()).order_by(cls.id)

    @classmethod
    def recent(cls, station: str, limit: int = 10):
        """A station's newest commands."""
        return cls.select().where(cls.station_code == station).order_by(cls.id.desc()).limit(limit)

    def to_message(self) -> wire.Command:
        """The wire message for this command."""
        return wire.Command(self.station_code, self.device, self.command_id, self.name, self.requested_at,
                            self.arguments)


def request_command(station: Station, name: str, args: dict, actor: StaffUser | None, now: datetime) -> Command:
    """Store a pending command (after checking its arguments against the wire contract) and audit it."""
    kind = "kiosk" if name == "announce" else "charger_controller"
    found = (DeviceState.select(DeviceState.device)
             .where(DeviceState.station_code == station.code, DeviceState.kind == kind).first())
    device = found.device if found else DEFAULT_DEVICE[kind]
    command_id = new_event_id()
    wire.NAMES[name](args)  # the same check the device makes: a bad command never leaves central
    row = Command.create(command_id=command_id, station_code=station.code, device=device, name=name,
                         args=json.dumps(args, ensure_ascii=False), requested_by=actor,
                         requested_by_name=actor.username if actor else "system", requested_at=now)
    audit("command.request", "command", command_id, actor=actor, station=station.code, device=device, name=name,
          args=args)
    return row


def settle(reply: wire.CommandReply, now: datetime) -> bool:
    """Record a device's answer to a pending command; False for one central did not send or has settled."""
    status = "accepted" if reply.accepted else "rejected"
    done = (Command.update(status=status, answered_at=now, reason=reply.reason)
            .where(Command.command_id == reply.command_id, Command.status == "pending",
                   Command.station_code == reply.station).execute())
    if done:
        audit(f"command.{status}", "command", reply.command_id, actor=None, reason=reply.reason)
    return bool(done)


def time_out(now: datetime, timeout_s: float) -> int:
    """Settle commands that got no reply in time as timed out; how many."""
    late = list(Command.select().where(Command.status == "pending",
                                       Command.requested_at < now - timedelta(seconds=timeout_s)))
    for row in late:
        if Command.update(status="timed_out", answered_at=now, reason="no_reply").where(
                Command.id == row.id, Command.status == "pending").execute():
            audit("command.timed_out", "command", row.command_id, actor=None, station=row.station_code)
            log.warning("command %s (%s) to %s/%s timed out", row.command_id, row.name, row.station_code, row.device)
    return len(late)


def parse_form(station: Station, form, now: datetime) -> tuple[str, dict]:
    """The command name and arguments a staff form asks for; CommandError says what is wrong."""
    name = form.get("name", "")
    if name in SLOT_COMMANDS:
        slot = form.get("slot", "")
        if not slot.isdigit() or not 1 <= int(slot) <= station.charger_slots:
            raise CommandError("ops.error.slot", count=station.charger_slots)
        return name, {"slot": int(slot)}
    if name == "announce":
        texts = {lang: " ".join(form.get(f"text_{lang}", "").split()) for lang in ("zh", "en")}
        if not all(texts.values()):
            raise CommandError("ops.error.text_missing")
        if any(len(text) > MAX_ANNOUNCE_CHARS for text in texts.values()):
            raise CommandError("ops.error.text_long", count=MAX_ANNOUNCE_CHARS)
        minutes = form.get("minutes", "")
        if not minutes.isdigit() or not 1 <= int(minutes) <= MAX_ANNOUNCE_MINUTES:
            raise CommandError("ops.error.minutes", count=MAX_ANNOUNCE_MINUTES)
        return name, {"text": texts, "until": format_time(now + timedelta(minutes=int(minutes)))}
    raise CommandError("ops.error.name")


def _station_or_404(code: str) -> Station:
    station = Station.visible_to(g.user).where(Station.code == code).first()
    if station is None:
        abort(404)
    return station


def _poll_seconds() -> int:
    return current_settings().operations.command_status_poll_seconds


@bp.get("/station/<code>")
@login_required("admin", "federation", "manager")
def station(code: str):
    """A station's slots, its sessions and the commands staff may send it."""
    row = _station_or_404(code)
    # The federation reads usage, never people: its session table has no member numbers.
    return render_template("station_admin/live/commands/station.html", **_slots_context(row),
                           sessions=list(ChargeSession.recent([code])), commands=list(Command.recent(code)),
                           poll_seconds=_poll_seconds(), show_members=g.user.role != "federation")


@bp.get("/station/<code>/slots")
@login_required("admin", "federation", "manager")
def slots(code: str):
    """The station's slot table (the fragment the page polls and refreshes when a command settles)."""
    return render_template("station_admin/live/commands/_slots.html", **_slots_context(_station_or_404(code)))


# What staff may do with a slot in each state: stop only what charges, enable only what is out of service.
SLOT_ACTIONS = {
    "available": ("slot_disable",),
    "charging": ("slot_stop", "slot_disable"),
    "finished": ("slot_disable",),
    "faulted": ("slot_disable",),
    "unavailable": ("slot_enable",),
    "offline": ("slot_disable", "slot_enable"),  # the controller is silent: what it last was is unknown
    "unknown": ("slot_disable", "slot_enable"),  # never reported: it may be in service or not
}


def slot_actions(status: str) -> tuple[str, ...]:
    """The commands that apply to a slot in this state, in the order they are offered."""
    return SLOT_ACTIONS.get(status, ())


def fault_label(code: str) -> str:
    """A controller's fault code in the user's language; a code the catalogue does not know is shown as sent."""
    key = f"ops.fault.{code}"
    return translate(key) if key in catalog(current_language()) else translate("ops.fault_code", code=code)


def _slots_context(row: Station) -> dict:
    now = utcnow()
    live = live_stations([row], now)[0]
    slots = {s.slot: s for s in ChargerSlotState.select().where(ChargerSlotState.station_code == row.code)}
    return {"station": row, "live": live, "slot_rows": slots, "now": now, "slot_actions": slot_actions,
            "fault_label": fault_label, "may_command": g.user.role in ("admin", "manager"),
            "slot_poll_seconds": current_settings().central.poll_seconds}


@bp.post("/station/<code>")
@login_required("admin", "manager")
def create(code: str):
    """Send a command to the station; the answer is the command's status, polled while pending."""
    row = _station_or_404(code)
    now = utcnow()
    try:
        name, args = parse_form(row, request.form, now)
    except CommandError as e:
        log.info("command refused for %s: %s", code, e.key)
        error = render_template("station_admin/live/commands/_error.html", message=translate(e.key, **e.values))
        if htmx:  # the error goes where the user looks for the answer, not into the list of commands
            return make_response(error, retarget="#command-result", reswap="innerHTML")
        return error, 422
    command = request_command(row, name, args, g.user, now)
    return render_template("station_admin/live/commands/_command.html", command=command, poll_seconds=_poll_seconds())


@bp.get("/<command_id>")
@login_required("admin", "federation", "manager")
def show(command_id: str):
    """A command's status: the fragment polled while it is pending."""
    command = Command.get_or_none(Command.command_id == command_id[:32])
    if command is None:
        abort(404)
    _station_or_404(command.station_code)
    body = page_or_fragment("station_admin/live/commands/show.html", "station_admin/live/commands/_command.html",
                            command=command, poll_seconds=_poll_seconds())
    if htmx and not command.pending:  # settled: the slot table shows what the command changed
        return make_response(body, trigger="commandSettled")
    return body
