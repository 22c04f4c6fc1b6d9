"""The kiosk's health report to central: version, uptime, disk, database, outbox backlog and last sync.

A thread of its own (started with the kiosk's MQTT node) reports every `kiosk.health_seconds` and
right after each connect; the report is retained, so central sees it whenever it connects.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path

import waystation
from devices.mqtt import MqttLink
from devices.protocol import utcnow
from devices.protocol.health import Health
from kiosk.models import OutboxEvent, db

log = logging.getLogger(__name__)
STARTED = time.monotonic()


def measure(station_id: str, device_id: str, database_path: str) -> Health:
    """This kiosk's health now (call inside a database connection)."""
    now = utcnow()
    path = Path(database_path)
    db_bytes = sum(p.stat().st_size for p in (path, path.with_name(path.name + "-wal")) if p.exists())
    folder = path.parent if path.parent.exists() else Path(".")
    pending = OutboxEvent.select().where(OutboxEvent.confirmed_at.is_null())
    first = pending.order_by(OutboxEvent.occurred_at).first()
    synced = (OutboxEvent.select().where(OutboxEvent.confirmed_at.is_null(False))
              .order_by(OutboxEvent.confirmed_at.desc()).first())
    oldest, last_sync = (first.occurred_at if first else None), (synced.confirmed_at if synced else None)
    count = pending.count()
    return Health(station_id, device_id, now, waystation.__version__, int(time.monotonic() - STARTED),
                  shutil.disk_usage(folder).free, db_bytes, count,
                  max(int((now - oldest).total_seconds()), 0) if count and oldest else None, last_sync)


class HealthReporter:
    """Publishes the kiosk's health every `interval_s` seconds and after every connect."""

    def __init__(self, link: MqttLink, station_id: str, device_id: str, database_path: str, interval_s: float):
        self.link, self.station_id, self.device_id = link, station_id, device_id
        self.database_path, self.interval_s = database_path, interval_s
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        link.on_connect(self._wake.set)

    def start(self) -> None:
        """Report in a background thread."""
        self._thread = threading.Thread(target=self._run, name="health", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop reporting."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def report(self) -> Health:
        """Measure and publish once."""
        with db.connection_context():
            health = measure(self.station_id, self.device_id, self.database_path)
        self.link.publish(health)
        return health

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stop.is_set() or not self.link.connected.is_set():
                continue
            try:
                self.report()
            except Exception:
                log.exception("health report failed; trying again at the next interval")
