"""The ingest worker: MQTT -> central database, in batches, acknowledging only what is committed.

Messages arrive on paho's network thread and wait in a queue; the worker thread validates each at
the edge, applies a batch in one transaction and only then acknowledges its QoS 1 messages (paho
manual ack). If the process dies before the commit, the broker still holds the messages for the
worker's persistent session and delivers them again; events are stored under their unique id, so
a second delivery has no second effect. Invalid messages are logged with their topic and dropped.

No message can stop the worker. Parsers raise only ProtocolError; a batch that fails for any reason
but the database is applied again message by message, and a message that fails on its own goes to
the dead-letter table (station_admin.live.deadletters), is acknowledged, logged once and raised as
an alarm for admins. A database outage keeps the whole batch unacknowledged and retried. If the
worker thread dies anyway, `on_death` is called (the serve commands end the process, non-zero).

Central's receive time decides liveness and the order of live state; a device's `ts` is kept as
reported, unless it is more than `ingest.future_bound_s` ahead or `ingest.past_bound_days` behind,
when the receive time is stored instead and the event flagged (docs/mqtt.md, "Time").
"""

from __future__ import annotations

import dataclasses
import json
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import peewee

from devices import protocol
from devices.mqtt import MqttLink
from devices.protocol import (
    availability,
    charger,
    classroom,
    commands,
    events,
    health,
    heartbeat,
    location,
    markers,
    occupancy,
    receipts,
    sessions,
    utcnow,
)
from station_admin.classroom import library as classroom_library
from station_admin.community import careday, feedback, opening
from station_admin.core.models import CheckIn, DeviceState, Station, StationEvent, db
from station_admin.core.unknown import UnknownStation
from station_admin.live import alarms, charging, deadletters
from station_admin.live import commands as staff_commands
from station_admin.live import health as station_health
from station_admin.node import state
from station_admin.requests.casework import Intake, file_requests
from station_admin.rollups import hourly as rollups
from station_admin.surveys import responses as survey_responses
from waystation.db import insert_rows, is_sqlite

log = logging.getLogger(__name__)

# Markers sent and not seen back kept at most (at 2 s each, over half an hour of them).
MAX_MARKERS_OUT = 1000

# What a database outage looks like: the batch stays unacknowledged and is tried again. That is the
# database gone (OperationalError, InterfaceError) or not in shape (ProgrammingError: a missing table
# or column; InternalError; NotSupportedError): no message is to blame, and none may be dead-lettered
# for it. What a message can cause (IntegrityError, DataError, any Python exception) is isolated.
OUTAGE = (peewee.OperationalError, peewee.InterfaceError, peewee.ProgrammingError, peewee.InternalError,
          peewee.NotSupportedError)


@dataclasses.dataclass
class Received:
    """One MQTT message on its way in: what it parsed to, when central received it, and why it failed."""

    message: object  # paho MQTTMessage
    received_at: datetime
    parsed: object | None = None  # None: nothing to apply (invalid and dropped, or central's own)
    station: str | None = None
    clock: tuple[datetime, str] | None = None  # (ts as reported, "future"/"past") when it was out of bounds
    failure: str | None = None  # set when applying it failed on its own: it goes to the dead letters

    @property
    def topic(self) -> str:
        return topic_of(self.message)


def topic_of(message) -> str:
    """A message's topic as text; paho decodes it on each access, and a broker may let bad UTF-8 through."""
    try:
        return message.topic
    except UnicodeDecodeError:
        return repr(message._topic)


class IngestWorker:
    """Subscribes to everything stations send and stores it; one MQTT client for the process."""

    def __init__(self, settings, link: MqttLink | None = None, intake: Intake | None = None):
        ingest = settings.ingest
        self.batch_size = ingest.batch_size
        self.batch_wait = ingest.batch_wait_ms / 1000
        self.max_payload = ingest.max_payload_bytes
        self.sqlite_cache_mb = ingest.sqlite_cache_mb
        self.intake = intake or Intake.from_settings(settings)
        self.community = settings.community
        self.public_url = settings.central.public_url
        self.future_bound = timedelta(seconds=ingest.future_bound_s)
        self.past_bound = timedelta(days=ingest.past_bound_days)
        self.rerun_poll = ingest.rerun_poll_seconds
        self._next_rerun_look = 0.0
        self.client_id = ingest.client_id
        self._released = False  # whether the re-runs an earlier start of this worker left running were released
        # Called if the worker thread dies anyway; the serve commands end the process with it.
        self.on_death: Callable[[BaseException], None] | None = None
        self.died: BaseException | None = None
        self.dead_letters = 0  # messages this worker put in the dead-letter table (counted, for the log and tests)
        self.dropped = 0  # invalid messages logged and dropped
        self._known_stations: set[str] = set()  # station codes central was found to know (UnknownStation.note)
        # Central's answers to voucher claims of the batch being stored, sent after its commit.
        self._decisions: list = []
        self.link = link or MqttLink(settings.broker, ingest.client_id, persistent_session=True,
                                     manual_ack=True, receive_window=ingest.receive_window)
        # Bounded: when full, paho's network thread waits in _enqueue and stops reading the socket, so a
        # backlog (QoS 0 heartbeats too) waits at the broker, not in this process's memory.
        self._queue: queue.Queue = queue.Queue(maxsize=ingest.queue_limit)
        # paho's receive stamp (time.monotonic()) of the oldest message not yet stored; None when none waits.
        self._oldest_waiting: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stored_batches = 0
        # Markers (devices.protocol.markers): how far this worker has got, broker backlog included.
        self.marker_interval = ingest.marker_seconds
        self._marker_run = secrets.token_hex(8)
        self._marker_worker = markers.worker_key(ingest.client_id)
        self._marker_topic = markers.PATTERN.format(worker=self._marker_worker)
        self._marker_full_topic = protocol.join(self.link.root, self._marker_topic)
        self._markers_lock = threading.Lock()
        self._markers: dict[int, datetime] = {}  # sent, not yet stored past: sequence -> central's send time
        self._marker_seq = 0
        self._next_marker = 0.0
        self._marker_back: datetime | None = None  # the send time of the newest marker stored past
        self._started_at = utcnow()
        self.link.subscribe(protocol.STATION_TREE, self._enqueue, qos=1, shared_group=ingest.shared_group)
        if self.marker_interval > 0:
            self.link.subscribe(self._marker_topic, self._enqueue, qos=1)  # its own: never in the shared group

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

    def _enqueue(self, message) -> None:
        """Hand a message to the worker, waiting while the queue is full (back-pressure on the broker)."""
        while True:
            try:
                self._queue.put(message, timeout=0.5)
                return
            except queue.Full:
                if self._stop.is_set() or not self.alive:
                    return  # not acknowledged: the broker delivers a QoS 1 message again

    def caught_up_to(self) -> datetime:
        """Up to when ingest has stored what it received: the receive time of the oldest message waiting, or now."""
        oldest = self._oldest_waiting
        now = utcnow()
        return now if oldest is None else now - timedelta(seconds=max(time.monotonic() - oldest, 0))

    def progress(self) -> tuple[datetime, bool]:
        """How far ingest has got, by central's clock, broker backlog included, and whether that is known.

        Everything the broker held for this worker when a marker was sent is stored once the marker's
        batch is: so the send time of the newest marker stored past (or, if later, the worker's own
        queue's caught_up_to) is the answer. Until this start's first marker is back, it is not known (a
        persistent session may hold a backlog from before): (start time, False). Without markers
        (`ingest.marker_seconds = 0`): the worker's own queue only, always known.
        """
        inside = self.caught_up_to()
        if self.marker_interval <= 0:
            return inside, True
        with self._markers_lock:
            back = self._marker_back
        if back is None:
            return min(inside, self._started_at), False
        return min(inside, back), True

    def _send_marker_if_due(self) -> None:
        if self.marker_interval <= 0 or time.monotonic() < self._next_marker or not self.link.connected.is_set():
            return
        self._next_marker = time.monotonic() + self.marker_interval
        now = utcnow()
        with self._markers_lock:
            self._marker_seq += 1
            self._markers[self._marker_seq] = now
            while len(self._markers) > MAX_MARKERS_OUT:  # a broker that lost them: forget the oldest
                del self._markers[min(self._markers)]
        self.link.publish(markers.Marker(self._marker_worker, self._marker_run, self._marker_seq, now))

    def _marker_stored(self, message) -> None:
        """A marker came through a committed batch: everything the broker held before it is stored."""
        try:
            marker = markers.parse(self.link.relative(message.topic), message.payload)
        except (protocol.ProtocolError, UnicodeDecodeError):
            return
        if marker.run != self._marker_run:
            return  # an earlier start's, delivered by the persistent session
        with self._markers_lock:
            sent = self._markers.get(marker.seq)
            if sent is None:
                return
            for seq in [seq for seq in self._markers if seq <= marker.seq]:
                del self._markers[seq]
            if self._marker_back is None or sent > self._marker_back:
                self._marker_back = sent

    def _note_waiting(self, batch: list | None) -> None:
        head = batch[0] if batch else None
        if head is None:
            try:
                head = self._queue.queue[0]
            except IndexError:
                self._oldest_waiting = None
                return
        self._oldest_waiting = getattr(head, "timestamp", 0.0) or time.monotonic()

    @property
    def alive(self) -> bool:
        """Whether the worker thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._send_marker_if_due()
                batch = self._next_batch()
                if not batch:
                    self._note_waiting(None)
                    self.rerun_requested()
                    continue
                self._note_waiting(batch)
                stored = self._store_until_done(batch)
                if stored is None:
                    return  # stopping: what is not acknowledged is delivered again
                self._after_commit(batch, stored)
                self._note_waiting(None)
                self.rerun_requested()
        except BaseException as e:  # noqa: BLE001 - whatever it is, the process must not live on without ingest
            self.died = e
            log.critical("the ingest worker died: %r", e, exc_info=True)
            if self.on_death is not None:
                self.on_death(e)
            raise
        finally:
            _discard_connection()

    def _after_commit(self, batch: list, stored: dict[str, list[str]]) -> None:
        """Receipts and voucher decisions out, then the acknowledgements: what is committed is never lost."""
        try:
            self._send_receipts(stored)
        except Exception:  # noqa: BLE001 - a receipt not sent is sent again on the kiosk's resend
            log.exception("could not send receipts for a stored batch")
            self._decisions = []
        for message in batch:
            if message.qos > 0:
                self.link.ack(message.mid, message.qos)
            if topic_of(message) == self._marker_full_topic:
                self._marker_stored(message)

    def _store_until_done(self, batch: list) -> dict[str, list[str]] | None:
        """Store a batch, retrying with backoff while the database fails; None if told to stop first."""
        backoff = 0.5
        while not self._stop.is_set():
            try:
                # One connection for the worker thread, kept between batches (opening one per batch
                # costs a WAL checkpoint on SQLite and a connect on PostgreSQL).
                if db.connect(reuse_if_open=True):
                    self._configure_connection()
                return self.store(batch)
            except OUTAGE:
                # Keep the batch unacknowledged and try again: the database may be restarting. A
                # connection the server killed fails the rollback with InterfaceError, which is no
                # DatabaseError; the connection is discarded and the retry opens a new one.
                log.exception("could not store a batch of %d messages; retrying in %.1f s", len(batch), backoff)
                _discard_connection()
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 30)
        return None

    def _configure_connection(self) -> None:
        """A new connection of the worker's: on SQLite, a page cache that holds the live state's pages."""
        if is_sqlite(db) and self.sqlite_cache_mb > 0:
            db.execute_sql(f"PRAGMA cache_size = {-1024 * int(self.sqlite_cache_mb)}")  # negative: KiB

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
            try:
                topic = self.link.relative(message.topic)
            except UnicodeDecodeError:
                raise protocol.ProtocolError("topic is not UTF-8") from None
            if protocol.from_central(topic) or topic == self._marker_topic:
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
            log.warning("dropped invalid message on %r: %s", topic_of(message), e)
            self.dropped += 1
            return None

    def receive(self, message) -> Received:
        """Parse one MQTT message and bound its time; a parser that breaks its contract makes it a dead letter."""
        # paho stamps each message with time.monotonic() as it arrives: the receive time, not the batch's
        # (0 for a message that did not come off the network, such as a dead letter re-run).
        stamped = getattr(message, "timestamp", 0.0) or 0.0
        waited = max(time.monotonic() - stamped, 0.0) if stamped else 0.0
        item = Received(message, utcnow() - timedelta(seconds=waited))
        try:
            parsed = self.parse(message)
        except Exception as e:  # noqa: BLE001 - a parser bug: the message is kept, the worker goes on
            item.failure = f"parser failed: {_describe(e)}"
            return item
        if parsed is not None:
            item.station = getattr(parsed, "station", None)
            item.parsed, item.clock = self.bounded(parsed, item.received_at)
        return item

    def bounded(self, parsed, received_at: datetime):
        """The message with its `ts` replaced by the receive time when implausible; and (reported, flag) then."""
        ts = getattr(parsed, "ts", None)
        if not isinstance(ts, datetime) or isinstance(parsed, (heartbeat.Heartbeat, health.Health)):
            return parsed, None  # a heartbeat's or health report's ts is kept as reported: it measures the offset
        if ts > received_at + self.future_bound:
            flag = "future"
        elif ts < received_at - self.past_bound:
            flag = "past"
        else:
            return parsed, None
        log.warning("%s on %s/%s dated %s (%s); stored with central's receive time %s", type(parsed).__name__,
                    parsed.station, getattr(parsed, "device", getattr(parsed, "slot", "")), ts.isoformat(), flag,
                    received_at.isoformat())
        changes = {"ts": received_at}
        if isinstance(parsed, sessions.ChargeSession) and not (
                received_at - self.past_bound <= parsed.started_at <= received_at + self.future_bound):
            changes["started_at"] = received_at
        elif isinstance(parsed, sessions.ChargeSession):
            changes["started_at"] = min(parsed.started_at, received_at)
        return dataclasses.replace(parsed, **changes), (ts, flag)

    def store(self, batch: list) -> dict[str, list[str]]:
        """Apply a batch of MQTT messages; the event ids stored (or kept as dead letters), by station.

        One transaction for the batch. If it fails for a reason other than a database outage, each
        message is applied in a transaction of its own and those that fail alone become dead letters.
        An outage (raised) leaves the batch to be tried again whole.
        """
        items = [self.receive(message) for message in batch]
        good = [i for i in items if i.parsed is not None and i.failure is None]
        self._decisions = []
        if good:
            try:
                with db.atomic():
                    self._decisions = self.apply(good)
            except OUTAGE:
                raise
            except Exception as e:  # noqa: BLE001 - one message may be to blame: find it
                log.warning("a batch of %d messages failed (%s); applying them one by one", len(good), _describe(e))
                self._one_by_one(good)
            self.stored_batches += 1
        dead = [i for i in items if i.failure is not None]
        if dead:
            try:
                with db.atomic():
                    for item in dead:
                        self._dead_letter(item)
            except OUTAGE:
                raise
            except Exception as e:  # noqa: BLE001 - keeping it failed too: retry the batch, never drop it
                log.exception("could not keep %d dead letters", len(dead))
                raise peewee.OperationalError(f"could not keep dead letters: {_describe(e)}") from e
        stored: dict[str, list[str]] = {}
        # Dead-lettered events are receipted too: central holds them, so the kiosk need not send them again.
        for item in items:
            if isinstance(item.parsed, events.StationEvent):
                stored.setdefault(item.parsed.station, []).append(item.parsed.event_id)
        return stored

    def _one_by_one(self, items: list[Received]) -> None:
        self._decisions = []
        for item in items:
            try:
                with db.atomic():
                    self._decisions += self.apply([item])
            except OUTAGE:
                raise
            except Exception as e:  # noqa: BLE001 - this message alone breaks a handler
                if isinstance(e, peewee.PeeweeException):
                    _database_answers()  # an error from a database that has gone away is an outage, not the message
                item.failure = _describe(e)

    def apply(self, items: list[Received]) -> list:
        """Apply parsed messages in the caller's transaction; central's voucher decisions to send after it."""
        parsed = [i.parsed for i in items]
        station_events = [m for m in parsed if isinstance(m, events.StationEvent)]
        clocks = {i.parsed.event_id: i.clock for i in items
                  if i.clock is not None and isinstance(i.parsed, events.StationEvent)}
        decisions = []
        # Stored as usual below; admins see that the code is unknown.
        UnknownStation.note(parsed, utcnow(), self._known_stations)
        new: set[str] = set()
        on_events(station_events, self.intake, clocks, new)
        claims = list({e.event_id: e for e in station_events if isinstance(e.body, events.VoucherClaim)}.values())
        if claims:
            decisions = careday.decide_claims(claims, self.intake.protector, self.community, self.intake.timezone,
                                              utcnow())
        # Invitations go only to check-ins stored just now: a redelivered check-in invites nobody twice.
        decisions = decisions + survey_responses.invitations(
            [e for e in station_events if e.event_id in new and isinstance(e.body, events.CheckIn)],
            self.intake.protector, self.intake.timezone, self.public_url, utcnow())
        batched: dict[type, list] = {kind: [] for kind in BATCHED_STATE}
        for item in items:
            kind = type(item.parsed)
            if kind in batched:
                batched[kind].append((item.parsed, item.received_at))
                continue
            handler = STATE_HANDLERS.get(kind)
            if handler:
                handler(item.parsed, item.received_at)
        # The bulk of the traffic: a few statements per table for the whole batch (station_admin.node.state).
        for kind, store in BATCHED_STATE.items():
            store(batched[kind])
        return decisions

    def _dead_letter(self, item: Received) -> None:
        """Keep a message that failed on its own, count it, log it the first time, raise the admins' alarm."""
        now = utcnow()
        new = deadletters.record(item.topic, item.message.payload, item.failure, item.station, now)
        self.dead_letters += 1
        if new:
            log.error("message on %r could not be applied and is kept as a dead letter: %s", item.topic, item.failure)
        else:
            log.debug("dead letter on %r seen again", item.topic)
        alarms.raise_alarm("ingest_dead_letter", "ingest", None, {"count": deadletters.DeadLetter.open_count()}, now)

    def rerun_requested(self, force: bool = False) -> None:
        """Apply again the dead letters an admin asked to re-run (every few seconds, between batches)."""
        if time.monotonic() < self._next_rerun_look and not force:
            return
        self._next_rerun_look = time.monotonic() + self.rerun_poll
        try:
            db.connect(reuse_if_open=True)
            if not self._released:
                with db.atomic():
                    deadletters.release_interrupted(self.client_id, utcnow())
                self._released = True
            with db.atomic():
                claimed = deadletters.claim_reruns(self.client_id, utcnow())
            for row in claimed:
                self._rerun(row)
        except OUTAGE:
            log.warning("could not look for dead letters to re-run; trying again later", exc_info=True)
            _discard_connection()

    def _rerun(self, row) -> None:
        message = _StoredMessage(row.topic, bytes(row.payload))
        item = self.receive(message)
        error = item.failure
        if error is None and item.parsed is None:
            error = "the message is invalid (it breaks the wire contract): nothing to apply"
        if error is None:
            try:
                with db.atomic():
                    decisions = self.apply([item])
            except OUTAGE:
                raise
            except Exception as e:  # noqa: BLE001 - still broken: it stays a dead letter
                error = _describe(e)
            else:
                for decision in decisions:
                    self.link.publish(decision)
                if isinstance(item.parsed, events.StationEvent):
                    self._send_receipts({item.parsed.station: [item.parsed.event_id]})
        with db.atomic():
            deadletters.settle_rerun(row, error, utcnow())
        log.info("dead letter %d on %r re-run: %s", row.id, row.topic, error or "applied")


class _StoredMessage:
    """A dead letter's topic and payload in the shape of the MQTT message it came in as."""

    qos = 0
    mid = 0

    def __init__(self, topic: str, payload: bytes):
        self.topic = topic
        self.payload = payload


def _database_answers() -> None:
    """Raise the outage (OperationalError or InterfaceError) if the database does not answer a trivial query."""
    db.execute_sql("SELECT 1").fetchall()


def _describe(error: BaseException) -> str:
    """An exception as one line for the log and the admin page: type and message, bounded."""
    text = f"{type(error).__name__}: {error}"
    return text if len(text) <= 500 else text[:500] + "…"


# What the raw usage log does not keep of an event: a service request's way to reach or track the rider
# (its service_request row holds them, and expires them by setting; migration 22 did the same to older rows).
NOT_IN_RAW_LOG = {"service_request": ("contact_sealed", "phone_last4", "tracking_code")}


def raw_fields(body) -> str:
    """An event body as the raw usage log stores it: without the rider's contact details."""
    withheld = NOT_IN_RAW_LOG.get(body.KIND, ())
    return json.dumps({k: v for k, v in body.to_fields().items() if k not in withheld}, ensure_ascii=False)


def on_events(batch: list[events.StationEvent], intake: Intake | None = None,
              clocks: dict[str, tuple[datetime, str]] | None = None, new_ids: set[str] | None = None) -> int:
    """Store events not seen before, with their effects, in arrival order; returns how many were new
    (and adds their ids to `new_ids` when given).

    Service requests need `intake` (the catalogue and the key to open sealed contacts); without it
    they are stored as raw events only, and logged. `clocks` names the events whose time was out of
    bounds (already replaced by the receive time): their time as reported and why, kept on the row.
    """
    unique = list({e.event_id: e for e in batch}.values())
    now = utcnow()
    clocks = clocks or {}
    new = insert_rows(db, StationEvent, [
        {"event_id": e.event_id, "station_code": e.station, "seq": e.seq, "kind": e.kind,
         "occurred_at": e.ts, "received_at": now, "data": raw_fields(e.body),
         "ts_flag": clocks[e.event_id][1] if e.event_id in clocks else None,
         "device_ts": clocks[e.event_id][0] if e.event_id in clocks else None}
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
    classroom_library.record_plays([e for e in unique
                                    if e.event_id in new and isinstance(e.body, events.ClassroomPlay)])
    requests = [e for e in unique if e.event_id in new and isinstance(e.body, events.ServiceRequest)]
    if requests and intake is None:
        log.error("%d service requests stored as raw events only: no intake configured", len(requests))
    elif requests:
        file_requests(requests, intake.catalogue, intake.protector, now, intake.timezone, intake.counting)
    answered = [e for e in unique if e.event_id in new and isinstance(e.body, events.SurveyResponse)]
    if answered and intake is None:
        log.error("%d survey responses stored as raw events only: no intake configured", len(answered))
    elif answered:
        survey_responses.on_kiosk_responses(answered, intake.protector, intake.timezone, now)
    if new_ids is not None:
        new_ids.update(new)
    return len(new)


def on_availability(message: availability.Availability, received_at: datetime | None = None) -> None:
    """A kiosk or device came online or went offline (its Last Will)."""
    now = received_at or utcnow()
    (DeviceState.insert(station_code=message.station, device=message.device, kind=message.kind.value,
                        online=message.online, changed_at=now)
     .on_conflict(conflict_target=[DeviceState.station_code, DeviceState.device],
                  update={DeviceState.online: message.online, DeviceState.kind: message.kind.value,
                          DeviceState.changed_at: now})
     .execute())
    state.unannounced.discard((message.station, message.device))
    if not message.online and message.kind == availability.DeviceKind.CHARGER_CONTROLLER:
        charging.close_lost_sessions(message.station, "last_will")


def on_heartbeat(message: heartbeat.Heartbeat, received_at: datetime | None = None) -> None:
    """A kiosk or device is alive, by central's receive time (one message; ingest stores them a batch at a time)."""
    state.store_heartbeats([(message, received_at or utcnow())])


def on_occupancy(message: occupancy.Occupancy, received_at: datetime | None = None) -> None:
    """The people counter's latest count; a reading received earlier never overwrites one received later."""
    state.store_occupancy([(message, received_at or utcnow())])


def on_charger(message: charger.ChargerSlotState, received_at: datetime | None = None) -> None:
    """A charger slot's latest state (one received earlier never overwrites one received later), and its history."""
    state.store_slots([(message, received_at or utcnow())])


def on_command_reply(message: commands.CommandReply, received_at: datetime | None = None) -> None:
    """A device answered a command: settle central's command (a kiosk's own slot_start is not central's)."""
    settled = staff_commands.settle(message, utcnow())
    log.info("command %s on %s/%s: %s %s%s", message.command_id, message.station, message.device,
             "accepted" if message.accepted else "rejected", message.reason or "",
             "" if settled else " (not pending at central)")


def on_session(message: sessions.ChargeSession, received_at: datetime | None = None) -> None:
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


# Stored per batch, after the messages handled one at a time (none of those reads what these write).
BATCHED_STATE = {
    heartbeat.Heartbeat: state.store_heartbeats,
    occupancy.Occupancy: state.store_occupancy,
    charger.ChargerSlotState: state.store_slots,
}

STATE_HANDLERS = {
    availability.Availability: on_availability,
    heartbeat.Heartbeat: on_heartbeat,
    occupancy.Occupancy: on_occupancy,
    charger.ChargerSlotState: on_charger,
    commands.CommandReply: on_command_reply,
    sessions.ChargeSession: on_session,
    location.Location: lambda message, received_at: opening.on_location(message),
    health.Health: station_health.on_health,
    classroom.Holdings: classroom_library.on_holdings,
}
