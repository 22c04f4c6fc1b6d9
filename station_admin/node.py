"""Central's MQTT side: the ingest worker, plus what central tells stations on every connect and change."""

from __future__ import annotations

import threading

from station_admin.broadcast import publish_station_configs
from station_admin.casework import Intake
from station_admin.community import CommunityPublisher
from station_admin.ingest import IngestWorker
from station_admin.protect import DataProtector
from station_admin.trust import TrustPublisher


class CentralNode:
    """Started by `waystation central` and `waystation ingest`; never by create_app."""

    def __init__(self, settings, protector: DataProtector | None = None):
        protector = protector or DataProtector(settings.secret("central.data_key"))
        self.ingest = IngestWorker(settings, intake=Intake.from_settings(settings, protector))
        self.link = self.ingest.link
        self.trust = TrustPublisher(self.link, protector, settings.central.trust_publish_seconds)
        self.community = CommunityPublisher(self.link, settings)
        public_url = settings.central.public_url
        # Configurations are read from the database, so not on paho's network thread.
        self.link.on_connect(lambda: threading.Thread(
            target=publish_station_configs, args=(self.link, protector, public_url), daemon=True).start())

    def start(self) -> None:
        """Start ingesting and publishing (the link connects in the background)."""
        self.ingest.start()
        self.trust.start()
        self.community.start()

    def stop(self) -> None:
        """Stop publishing, then ingest (which disconnects)."""
        self.trust.stop()
        self.community.stop()
        self.ingest.stop()
