"""Everything central tells stations over MQTT, all retained: station configurations, card trust,
voucher policies, the week's events, the classroom manifests and the open surveys.

Runs in every process that holds central's MQTT link (central with ingest, or an ingest worker).
All publishers follow one pattern (`ChangePublisher`): every `interval_s` they read the database
and publish only the messages whose content (timestamp aside) differs from what was last sent on
this connection; a reconnect sends everything again. So a revocation made on any web process
reaches every online kiosk within `central.trust_publish_seconds` plus delivery, a station edited
on an admin page reaches its kiosk within `central.config_publish_seconds`, and the events list
moves on by itself at local midnight. Several processes publishing the same retained content is
harmless.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

from devices.protocol import schedule, surveys, trust, utcnow, vouchers
from devices.protocol.station_config import StationConfig
from station_admin.classroom import library as classroom_library
from station_admin.community import agenda, careday
from station_admin.core.models import District, Station, db
from station_admin.core.protect import DataProtector
from station_admin.members.models import CardKey, revocation_entries
from station_admin.surveys import responses as survey_responses

log = logging.getLogger(__name__)


class ChangePublisher:
    """Base of the publishers of retained central-to-station state; subclasses say what and how it compares."""

    name = "retained state"

    def __init__(self, link, interval_s: float):
        self.link = link
        self.interval_s = interval_s
        self._sent: dict[str, tuple] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        link.on_connect(self._on_connect)

    def messages(self) -> list:
        """Every message as it should be now (called inside a database connection)."""
        raise NotImplementedError

    def content(self, message) -> tuple:
        """What a message says, without its timestamp (so an unchanged one is not sent again)."""
        raise NotImplementedError

    def _on_connect(self) -> None:
        self._sent = {}
        self._wake.set()

    def start(self) -> None:
        """Start the publishing loop (the link connects on its own)."""
        self._thread = threading.Thread(target=self._run, name=f"{self.name} publisher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the loop."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)

    def publish_changes(self) -> int:
        """Publish what differs from what was last sent on this connection; returns how many messages."""
        with db.connection_context():
            messages = self.messages()
        sent = 0
        for message in messages:
            content = self.content(message)
            if self._sent.get(message.topic) == content:
                continue
            self.link.publish(message)
            self._sent[message.topic] = content
            sent += 1
        if sent:
            log.info("published %d %s messages", sent, self.name)
        return sent

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            if self._stop.is_set() or not self.link.connected.is_set():
                continue
            try:
                self.publish_changes()
            except Exception:
                log.exception("could not publish %s; trying again", self.name)


# Station configurations

def station_config(station: Station, protector: DataProtector | None = None, public_url: str = "",
                   districts: tuple[tuple[str, str, str], ...] = ()) -> StationConfig:
    """The retained configuration message for one station (with its join QR key when central has a public URL)."""
    public_url = public_url.rstrip("/")
    join = {"join_url": public_url + "/m/join", "join_key": protector.join_key(station.code)} \
        if protector and public_url else {}
    return StationConfig(
        station=station.code,
        name={"zh": station.name_zh, "en": station.name_en},
        district={"zh": station.district.name_zh, "en": station.district.name_en},
        capacity=station.capacity,
        charger_slots=station.charger_slots,
        public_url=public_url or None,
        district_code=station.district.code,
        districts=districts,
        **join,
    )


def station_config_messages(protector: DataProtector | None = None, public_url: str = "") -> list[StationConfig]:
    """Every station's configuration as it should be now (called inside a database connection)."""
    stations = list(Station.select(Station, District).join(District).order_by(Station.code))
    districts: dict[int, list] = {}
    for d in District.select().order_by(District.code):
        districts.setdefault(d.federation_id, []).append((d.code, d.name_zh, d.name_en))
    return [station_config(station, protector, public_url, tuple(districts.get(station.district.federation_id, ())))
            for station in stations]


def publish_station_configs(link, protector: DataProtector | None = None, public_url: str = "") -> int:
    """Publish every station's configuration (retained) once; returns how many."""
    with db.connection_context():
        messages = station_config_messages(protector, public_url)
    for message in messages:
        link.publish(message)
    log.info("published configuration of %d stations", len(messages))
    return len(messages)


class StationConfigPublisher(ChangePublisher):
    """Publishes every station's configuration on connect, then a station's again whenever it changes
    (an admin edits the station, its district is renamed), from whichever web process made the change."""

    name = "station configuration"

    def __init__(self, link, protector: DataProtector | None, public_url: str, interval_s: float):
        super().__init__(link, interval_s)
        self.protector, self.public_url = protector, public_url

    def messages(self) -> list:
        return station_config_messages(self.protector, self.public_url)

    def content(self, message) -> tuple:
        return (message.to_payload(),)


# Card trust: keys and revocations

def trust_messages(protector: DataProtector) -> list:
    """The trust anchors (when a card key exists) and every revocation shard, as they should be now."""
    now = utcnow()
    messages = []
    keys = [(k.kid, k.public_key) for k in CardKey.active().limit(trust.MAX_KEYS)]
    if keys:
        messages.append(trust.TrustAnchors(tuple(keys), protector.sealing_public_key, now))
    shards = defaultdict(list)
    for member_no, before in revocation_entries(now):
        shards[trust.shard_of(member_no)].append((member_no, before))
    messages.extend(trust.Revocations(shard, tuple(shards.get(shard, ())), now) for shard in trust.SHARDS)
    return messages


def _trust_content(message) -> tuple:
    """What a message says, without its timestamp (so an unchanged list is not sent again)."""
    if isinstance(message, trust.TrustAnchors):
        return message.card_keys, message.sealing_key
    return message.entries


class TrustPublisher(ChangePublisher):
    """Publishes card keys and revocations on connect and whenever they change."""

    name = "card trust"

    def __init__(self, link, protector: DataProtector, interval_s: float):
        super().__init__(link, interval_s)
        self.protector = protector

    def messages(self) -> list:
        return trust_messages(self.protector)

    def content(self, message) -> tuple:
        return _trust_content(message)


# Community life: voucher policy and the week's events

def community_messages(settings, now: datetime) -> list:
    """Every station's voucher policy and schedule as they should be now."""
    community, timezone = settings.community, settings.central.timezone
    today = now.astimezone(ZoneInfo(timezone)).date()
    messages = []
    for station in Station.select().order_by(Station.code):
        care_day, quota = careday.station_policy(station, community)
        messages.append(vouchers.VoucherPolicy(station.code, care_day, quota, now))
        messages.append(schedule.Schedule(station.code, tuple(agenda.occurrences(station.code, today, timezone)),
                                          now))
    return messages


def _community_content(message) -> tuple:
    """What a message says, without its timestamp."""
    if isinstance(message, vouchers.VoucherPolicy):
        return message.care_day, message.quota
    return message.items


class CommunityPublisher(ChangePublisher):
    """Publishes voucher policies and event schedules on connect and whenever they change."""

    name = "voucher policy and schedule"

    def __init__(self, link, settings):
        super().__init__(link, settings.community.publish_seconds)
        self.settings = settings

    def messages(self) -> list:
        return community_messages(self.settings, utcnow())

    def content(self, message) -> tuple:
        return _community_content(message)


# The classroom: what videos each station should hold

class ClassroomPublisher(ChangePublisher):
    """Publishes every station's classroom manifest on connect and whenever it changes (an upload, a
    withdrawal, a video's first or last day by central's local date). Nothing is published while
    central has no address for kiosks to download from (classroom.files_url or central.public_url)."""

    name = "classroom manifest"

    def __init__(self, link, settings, protector: DataProtector):
        super().__init__(link, settings.classroom.publish_seconds)
        self.settings, self.protector = settings, protector

    def messages(self) -> list:
        now = utcnow()
        today = now.astimezone(ZoneInfo(self.settings.central.timezone)).date()
        return classroom_library.manifests(self.settings, self.protector, today, now)

    def content(self, message) -> tuple:
        return message.files_url, message.key, message.videos


# Surveys: what each station's kiosk offers now

class SurveyPublisher(ChangePublisher):
    """Publishes each station's open surveys on connect and whenever they change: a survey published,
    closed or past its end reaches every kiosk within `surveys.publish_seconds`."""

    name = "open surveys"

    def __init__(self, link, settings):
        super().__init__(link, settings.surveys.publish_seconds)
        self.timezone = settings.central.timezone

    def messages(self) -> list:
        return survey_responses.station_surveys(utcnow(), self.timezone)

    def content(self, message: surveys.StationSurveys) -> tuple:
        return message.surveys
