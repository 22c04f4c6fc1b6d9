"""Central's MQTT side: the ingest worker, what central tells stations, station operations."""

from __future__ import annotations

from station_admin.core.protect import DataProtector
from station_admin.node.ingest import IngestWorker
from station_admin.node.operations import OperationsLoop
from station_admin.node.publishers import (
    ClassroomPublisher,
    CommunityPublisher,
    StationConfigPublisher,
    SurveyPublisher,
    TrustPublisher,
)
from station_admin.requests.casework import Intake


class CentralNode:
    """Started by `waystation central` and `waystation ingest`; never by create_app."""

    def __init__(self, settings, protector: DataProtector | None = None):
        protector = protector or DataProtector(settings.secret("central.data_key"))
        self.ingest = IngestWorker(settings, intake=Intake.from_settings(settings, protector))
        self.link = self.ingest.link
        self.trust = TrustPublisher(self.link, protector, settings.central.trust_publish_seconds)
        self.operations = OperationsLoop(settings, self.link, self.ingest.progress)
        self.community = CommunityPublisher(self.link, settings)
        self.configs = StationConfigPublisher(self.link, protector, settings.central.public_url,
                                              settings.central.config_publish_seconds)
        self.classroom = ClassroomPublisher(self.link, settings, protector)
        self.surveys = SurveyPublisher(self.link, settings)

    def start(self) -> None:
        """Start ingesting and publishing (the link connects in the background)."""
        self.ingest.start()
        self.configs.start()
        self.trust.start()
        self.operations.start()
        self.community.start()
        self.classroom.start()
        self.surveys.start()

    def stop(self) -> None:
        """Stop publishing, then ingest (which disconnects)."""
        self.operations.stop()
        self.configs.stop()
        self.trust.stop()
        self.community.stop()
        self.classroom.stop()
        self.surveys.stop()
        self.ingest.stop()
