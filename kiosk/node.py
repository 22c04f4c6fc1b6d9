"""The kiosk's MQTT side: one connection that announces the kiosk, listens to its station, drains the outbox."""

from __future__ import annotations

from devices.mqtt import MqttLink
from devices.protocol.availability import Availability, DeviceKind
from devices.protocol.permissions import account_name
from kiosk.classroom_download import ClassroomDownloader
from kiosk.community import CommunityListener
from kiosk.health import HealthReporter
from kiosk.live import StationListener
from kiosk.models import database_path
from kiosk.operations import StationOperations
from kiosk.outbox import OutboxPublisher
from kiosk.survey import SurveyListener
from kiosk.trust import TrustListener
from waystation.pairing import device_login


class KioskNode:
    """Started by `waystation kiosk` beside the web app; never by create_app."""

    def __init__(self, settings):
        k = settings.kiosk
        self.station_id = k.station_id
        # The kiosk's own broker account (written by `waystation pair`), else the one in broker.url.
        login = device_login(settings, "kiosk")
        # The client id is the kiosk's broker account name (station.device), to which the broker binds it.
        self.link = MqttLink(
            settings.broker, account_name(k.station_id, k.device_id),
            online=Availability(k.station_id, k.device_id, DeviceKind.KIOSK, True),
            offline=Availability(k.station_id, k.device_id, DeviceKind.KIOSK, False),
            username=login[0] if login else None, password=login[1] if login else None,
        )
        self.listener = StationListener(self.link, k.station_id)
        self.trust = TrustListener(self.link)
        self.operations = StationOperations(self.link, k.station_id, k.device_id,
                                            limit_s=settings.operations.charge_limit_s)
        self.community = CommunityListener(self.link, k.station_id)
        self.surveys = SurveyListener(self.link, k.station_id)
        self.publisher = OutboxPublisher(self.link, k.station_id, k.device_id, window=k.outbox_window,
                                         ack_timeout_s=k.outbox_ack_timeout_s, heartbeat_s=k.heartbeat_seconds,
                                         confirm_timeout_s=k.confirm_timeout_s)
        self.classroom = ClassroomDownloader(self.link, settings)
        self.health = HealthReporter(self.link, k.station_id, k.device_id, database_path(settings), k.health_seconds)

    def start(self) -> None:
        """Connect (in the background) and start draining the outbox."""
        self.listener.subscribe()
        self.trust.subscribe()
        self.operations.subscribe()
        self.community.subscribe()
        self.classroom.subscribe()
        self.surveys.subscribe()
        self.publisher.start()
        self.classroom.start()
        self.health.start()
        self.link.start()

    def stop(self) -> None:
        """Stop draining and disconnect, saying offline."""
        self.publisher.stop()
        self.health.stop()
        self.classroom.stop()
        self.link.stop()
