"""The ingest worker: MQTT -> central database, in batches, acknowledging only what is committed.

Messages arrive on paho's network thread and wait in a queue; the worker thread validates each at
the edge, applies a batch in one transaction and only then acknowledges its QoS 1 messages (paho
manual ack). If the process dies before the commit, the broker still holds the messages for the
worker's persistent session and delivers them again; events are stored under their unique id, so
a second delivery has no second effect. Invalid messages are logged with their topic and dropped.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time

import peewee

from devices import protocol
from devices.mqtt import MqttLink
from devices.protocol import (
    availability,
    charger,
    commands,
    events,
    health,
    heartbeat,
    location,
    occupancy,
    receipts,
    sessions,
    utcnow,
)
from station_admin.community import careday, feedback, opening
from station_admin.core.models import ChargerSlotState, CheckIn, DeviceState, Station, StationEvent, StationLive, db
from station_admin.live import charging
from station_admin.live import commands as staff_commands
from station_admin.live import health as station_health
from station_admin.requests.casework import Intake, file_requests
from station_admin.rollups import hourly as rollups
from waystation.db import insert_rows

log = logging.getLogger(__name__)


class IngestWorker:
    """Subscribes to everything stations send and stores it; one MQTT client for the process."""

    def __init__(self, settings, link: MqttLink | None = None, intake: Intake | None = None):
        ingest = settings.ingest
        self.batch_size = ingest.batch_size
        self.batch_wait = ingest.batch_wait_ms / 1000
        self.max_payload = ingest.max_payload_bytes
        self.intake = intake or Intake.from_settings(settings)
        self.community = settings.community
        # Central's answers to voucher claims of the batch being stored, sent after its commit.
        self._decisions: list = []
        self.link = link or MqttLink(settings.broker, ingest.client_id, persistent_session=True,
                                     manual_ack=True, receive_window=ingest.receive_window)
        self._queue: queue.Queue = queue.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stored_batches = 0
        self.link.subscribe(protocol.STATION_TREE, self._queue.put, qos=1, shared_group=ingest.shared_group)

    def start(self) -> None:
        """Start the worker thread and connect."""
        self._thread = threading.Thread(target=self._run, name="ingest", daemon=True)
        self._thread.start()
        self.link.start()

    def stop(self) -> None:
        """Disconnect, then let the worker finish what it holds (what is not acked is redelivered)."""
        self.link.stop()
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                batch = self._next_batch()
                if not batch:
                    continue
                stored = self._store_until_done(batch)
                if stored is None:
                    return  # stopping: what is not acknowledged is delivered again
                self._send_receipts(stored)
                for message in batch:
                    if message.qos > 0:
                        self.link.ack(message.mid, message.qos)
        finally:
            _discard_connection()

    def _store_until_done(self, batch: list) -> dict[str, list[str]] | None:
        """Store a batch, retrying with backoff while the database fails; None if told to stop first."""
        backoff = 0.5
        while not self._stop.is_set():
            try:
                # One connection for the worker thread, kept between batches (opening one per batch
                # costs a WAL checkpoint on SQLite and a connect on PostgreSQL).
                db.connect(reuse_if_open=True)
                return self.store(batch)
            except peewee.PeeweeException:
                # Keep the batch unacknowledged and try again: the database may be restarting. A
                # connection the server killed fails the rollback with InterfaceError, which is no
                # DatabaseError; the connection is discarded and the retry opens a new one.
                log.exception("could not store a batch of %d messages; retrying in %.1f s", len(batch), backoff)
                _discard_connection()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30)
        return None

    def _send_receipts(self, stored: dict[str, list[str]]) -> None:
        """Tell each station which of its events are now stored, and its voucher decisions (after the
        commit, before the ack)."""
        now = utcnow()
        for station, event_ids in stored.items():
            for receipt in receipts.for_events(station, event_ids, now):
                self.link.publish(receipt)
        for decision in self._decisions:
            self.link.publish(decision)
        self._decisions = []

    def _next_batch(self) -> list:
        try:
            batch = [self._queue.get(timeout=0.5)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.batch_wait
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def parse(self, message):
        """The protocol message in an MQTT message, or None (logged) when it breaks the contract."""
        try:
            topic = self.link.relative(message.topic)
            if protocol.from_central(topic):
                return None
            if len(message.payload) > self.max_payload:
                raise protocol.ProtocolError(
                    f"payload of {len(message.payload)} bytes is over the {self.max_payload}-byte limit")
            parsed = protocol.parse_from_station(topic, message.payload)
            if isinstance(parsed, events.StationEvent) and isinstance(parsed.body, events.ServiceRequest):
                problems = self.intake.problems(parsed.body)
                if problems:
                    raise protocol.ProtocolError("service request not accepted: " + "; ".join(problems))
            return parsed
        except protocol.ProtocolError as e:
            log.warning("dropped invalid message on %s: %s", message.topic, e)
            return None

    def store(self, batch: list) -> dict[str, list[str]]:
        """Apply a batch of MQTT messages in one transaction; the event ids stored, by station."""
        parsed = [m for m in (self.parse(message) for message in batch) if m is not None]
        station_events = [m for m in parsed if isinstance(m, events.StationEvent)]
        self._decisions = []
        if parsed:
            with db.atomic():
                on_events(station_events, self.intake)
                claims = list({e.event_id: e for e in station_events
                               if isinstance(e.body, events.VoucherClaim)}.values())
                if claims:
                    self._decisions = careday.decide_claims(claims, self.intake.protector, self.community,
                                                            self.intake.timezone, utcnow())
                for m in parsed:
                    handler = STATE_HANDLERS.get(type(m))
                    if handler:
                        handler(m)
            self.stored_batches += 1
        stored: dict[str, list[str]] = {}
        for event in station_events:
            stored.setdefault(event.station, []).append(event.event_id)
        return stored


def on_events(batch: list[events.StationEvent], intake: Intake | None = None) -> int:
    """Store events not seen before, with their effects, in arrival order; returns how many were new.

    Service requests need `intake` (the catalogue and the key to open sealed contacts); without it
    they are stored as raw events only, and logged.
    """
    unique = list({e.event_id: e for e in batch}.values())
    now = utcnow()
    new = insert_rows(db, StationEvent, [
        {"event_id": e.event_id, "station_code": e.station, "seq": e.seq, "kind": e.kind,
         "occurred_at": e.ts, "received_at": now, "data": json.dumps(e.body.to_fields(), ensure_ascii=False)}
        for e in unique
    ], new_key="event_id")
    check_ins = [e for e in unique if e.event_id in new and isinstance(e.body, events.CheckIn)]
    insert_rows(db, CheckIn, [
        {"event_id": e.event_id, "station_code": e.station, "occurred_at": e.ts,
         "method": e.body.method, "member_no": e.body.member_no}
        for e in check_ins
    ])
    # Only events stored just now count, so a redelivered event never counts twice.
    rollups.record("checkin", [(e.station, e.ts) for e in check_ins])
    feedback.record([e for e in unique if e.event_id in new and isinstance(e.body, events.Feedback)])
    requests = [e for e in unique if e.event_id in new and isinstance(e.body, events.ServiceRequest)]
    if requests and intake is None:
        log.error("%d service requests stored as raw events only: no intake configured", len(requests))
    elif requests:
        file_requests(requests, intake.catalogue, intake.protector, now, intake.timezone, intake.counting)
    return len(new)


def on_availability(message: availability.Availability) -> None:
    """A kiosk or device came online or went offline (its Last Will)."""
    now = utcnow()
    (DeviceState.insert(station_code=message.station, device=message.device, kind=message.kind.value,
                        online=message.online, changed_at=now)
     .on_conflict(conflict_target=[DeviceState.station_code, DeviceState.device],
                  update={DeviceState.online: message.online, DeviceState.kind: message.kind.value,
                          DeviceState.changed_at: now})
     .execute())
    if not message.online and message.kind == availability.DeviceKind.CHARGER_CONTROLLER:
        charging.close_lost_sessions(message.station, "last_will")


def on_heartbeat(message: heartbeat.Heartbeat) -> None:
    """A kiosk or device is alive; a kiosk's heartbeat carries its outbox backlog."""
    (DeviceState.update(heartbeat_at=message.ts, outbox_pending=message.outbox_pending)
     .where(DeviceState.station_code == message.station, DeviceState.device == message.device,
            DeviceState.heartbeat_at.is_null() | (DeviceState.heartbeat_at <= message.ts))
     .execute())


def on_occupancy(message: occupancy.Occupancy) -> None:
    """The people counter's latest count; an older reading never overwrites a newer one."""
    (StationLive.insert(station_code=message.station, people_inside=message.inside,
                        entered_today=message.entered_today, occupancy_at=message.ts)
     .on_conflict(conflict_target=[StationLive.station_code],
                  update={StationLive.people_inside: message.inside,
                          StationLive.entered_today: message.entered_today,
                          StationLive.occupancy_at: message.ts},
                  where=(StationLive.occupancy_at <= message.ts))
     .execute())


def on_charger(message: charger.ChargerSlotState) -> None:
    """A charger slot's latest state (an older report never overwrites a newer one), and its history."""
    charging.record_slot_change(message)
    values = {"status": message.status.value, "power_w": message.power_w, "energy_wh": message.energy_wh,
              "fault": message.fault, "reported_at": message.ts}
    (ChargerSlotState.insert(station_code=message.station, slot=message.slot, **values)
     .on_conflict(conflict_target=[ChargerSlotState.station_code, ChargerSlotState.slot],
                  update={getattr(ChargerSlotState, k): v for k, v in values.items()},
                  where=(ChargerSlotState.reported_at <= message.ts))
     .execute())


def on_command_reply(message: commands.CommandReply) -> None:
    """A device answered a command: settle central's command (a kiosk's own slot_start is not central's)."""
    settled = staff_commands.settle(message, utcnow())
    log.info("command %s on %s/%s: %s %s%s", message.command_id, message.station, message.device,
             "accepted" if message.accepted else "rejected", message.reason or "",
             "" if settled else " (not pending at central)")


def on_session(message: sessions.ChargeSession) -> None:
    """A charge session report; a second open session of one member is stopped (one per member)."""
    started = charging.on_session(message)
    if started is not None and charging.other_open_session(started) is not None:
        station = Station.get_or_none(Station.code == message.station)
        if station is not None:
            staff_commands.request_command(station, "slot_stop", {"slot": message.slot}, None, utcnow())
        log.warning("member %s already charges elsewhere: session %s at %s/%d is stopped", started.member_no,
                    started.session_id, message.station, message.slot)


def _discard_connection() -> None:
    """Close this thread's database connection, even a broken one (the next use opens a new one)."""
    try:
        if not db.is_closed():
            db.close()
    except peewee.PeeweeException:
        log.debug("closing a broken database connection failed", exc_info=True)


STATE_HANDLERS = {
    availability.Availability: on_availability,
    heartbeat.Heartbeat: on_heartbeat,
    occupancy.Occupancy: on_occupancy,
    charger.ChargerSlotState: on_charger,
    commands.CommandReply: on_command_reply,
    sessions.ChargeSession: on_session,
    location.Location: opening.on_location,
    health.Health: station_health.on_health,
}
