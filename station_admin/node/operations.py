"""Station operations in central's MQTT node: send staff commands, time them out, evaluate alarms.

One thread beside the ingest worker, in the only process that holds central's MQTT client. It looks
at the command table every `operations.command_poll_seconds` (new commands go out; commands without
a reply in `operations.command_timeout_s` become timed out), evaluates alarms every
`alarms.evaluate_seconds`, and applies the retention of personal data every
`privacy.retention_check_seconds` (station_admin.personal.retention).
"""

from __future__ import annotations

import logging
import threading
import time

import peewee

from devices.protocol import utcnow
from station_admin.core.models import db
from station_admin.live import alarms, commands
from station_admin.personal import retention

log = logging.getLogger(__name__)


class OperationsLoop:
    """Publishes pending commands, settles the ones that timed out and raises or clears alarms."""

    def __init__(self, settings, link, progress=None):
        self.link = link
        # How far ingest has got and whether that is known (IngestWorker.progress): liveness is judged
        # against it, not the wall clock.
        self.progress = progress
        self.ops = settings.operations
        self.alarm_settings = settings.alarms
        self.privacy = settings.privacy
        retention.check(self.privacy)
        self._next_retention = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_evaluation = 0.0
        self.evaluations = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="operations", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=10)

    def wake(self) -> None:
        """Look at the command table now."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with db.connection_context():
                    self.step()
            except peewee.PeeweeException:
                log.exception("operations step failed; trying again")
            self._wake.wait(self.ops.command_poll_seconds)
            self._wake.clear()

    def step(self) -> None:
        """One round: publish, time out, and (when due) evaluate alarms and apply retention."""
        now = utcnow()
        if self.link.connected.is_set():
            for command in commands.Command.unpublished():
                self.link.publish(command.to_message())
                commands.Command.update(published_at=now).where(commands.Command.id == command.id).execute()
                log.info("command %s (%s) sent to %s/%s", command.command_id, command.name, command.station_code,
                         command.device)
        with db.atomic():
            commands.time_out(now, self.ops.command_timeout_s)
        if time.monotonic() >= self._next_evaluation:
            self._next_evaluation = time.monotonic() + self.alarm_settings.evaluate_seconds
            # Not in a transaction: evaluate() reads first and writes in a short one of its own.
            live_until, known = self.progress() if self.progress else (now, True)
            alarms.evaluate(now, self.alarm_settings, live_until, liveness_known=known)
            self.evaluations += 1
        if time.monotonic() >= self._next_retention:
            self._next_retention = time.monotonic() + self.privacy.retention_check_seconds
            with db.atomic():
                retention.apply(now, self.privacy)
