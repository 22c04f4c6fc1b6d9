"""Central's MQTT side: the ingest worker, what central tells stations, station operations."""

from __future__ import annotations

import threading

from station_admin.core.protect import DataProtector
from station_admin.node.ingest import IngestWorker
from station_admin.node.operations import OperationsLoop
from station_admin.node.publishers import CommunityPublisher, TrustPublisher, publish_station_configs
from station_admin.requests.casework import Intake


class CentralNode:
    """Started by `waystation central` and `waystation ingest`; never by create_app."""

    def __init__(self, settings, protector: DataProtector | None = None):
        protector = protector or DataProtector(settings.secret("central.data_key"))
        self.ingest = IngestWorker(settings, intake=Intake.from_settings(settings, protector))
        self.link = self.ingest.link
        self.trust = TrustPublisher(self.link, protector, settings.central.trust_publish_seconds)
        self.operations = OperationsLoop(settings, self.link)
        self.community = CommunityPublisher(self.link, settings)
        public_url = settings.central.public_url
        # Configurations are read from the database, so not on paho's network thread.
        self.link.on_connect(lambda: threading.Thread(
            target=publish_station_configs, args=(self.link, protector, public_url), daemon=True).start())

    def start(self) -> None:
        """Start ingesting and publishing (the link connects in the background)."""
        self.ingest.start()
        self.trust.start()
        self.operations.start()
        self.community.start()

    def stop(self) -> None:
        """Stop publishing, then ingest (which disconnects)."""
        self.operations.stop()
        self.trust.stop()
        self.community.stop()
        self.ingest.stop()
