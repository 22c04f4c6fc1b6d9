"""Everything central tells stations over MQTT, all retained: station configurations, card trust,
voucher policies, the week's events, the classroom manifests and the open surveys.

Runs in every process that holds central's MQTT link (central with ingest, or an ingest worker).
All publishers follow one pattern (`ChangePublisher`): every `interval_s` they look whether what
their messages are made of has changed, and if so read it and publish only the messages whose content
(timestamp aside) differs from what was last sent on this connection; a reconnect on a new session
sends everything again. "Has changed" is cheap at any number of stations: database triggers count
every write to the tables a publisher watches (`ChangeGeneration`, migration 24), so each cycle reads
a few numbers (and central's local date, for what moves on at midnight) and reads the tables only
when one moved, or every `FULL_READ_S` whatever the numbers say. So a revocation made on any web process
reaches every online kiosk within `central.trust_publish_seconds` plus delivery, a station edited
on an admin page reaches its kiosk within `central.config_publish_seconds`, and the events list
moves on by itself at local midnight. Several processes publishing the same retained content is
harmless.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from devices.protocol import schedule, station_config, surveys, trust, utcnow, vouchers
from devices.protocol.station_config import StationConfig
from station_admin.classroom import library as classroom_library
from station_admin.community import agenda, careday
from station_admin.core.models import ChangeGeneration, District, Station, db
from station_admin.core.protect import DataProtector
from station_admin.members.models import CardKey, revocation_entries
from station_admin.surveys import responses as survey_responses

log = logging.getLogger(__name__)


# However still the watched tables are, a publisher reads them again this often: a change no trigger
# saw (a database restored under a running central) still reaches the stations.
FULL_READ_S = 900.0


class ChangePublisher:
    """Base of the publishers of retained central-to-station state; subclasses say what and how it compares.

    `watches` names the tables the messages are made of: the messages are read again only when one of
    them has changed since the last reading (or `timezone` is set and central's local date has moved
    on). A publisher that watches nothing reads every cycle.
    """

    name = "retained state"
    watches: tuple[str, ...] = ()
    timezone: str | None = None

    def __init__(self, link, interval_s: float):
        self.link = link
        self.interval_s = interval_s
        self._sent: dict[str, tuple] = {}
        self._read_mark: tuple | None = None
        self._read_at = 0.0
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

    def pending(self) -> list[tuple[str, tuple, Callable[[], object]]]:
        """(topic, content, build the message) for every message as it should be now.

        A publisher whose messages are costly to build (a province's 20,000 station configurations)
        says what they contain cheaply and builds only those that changed.
        """
        return [(m.topic, self.content(m), lambda m=m: m) for m in self.messages()]

    def _on_connect(self) -> None:
        # A resumed session means the broker kept its state, retained messages included: send only
        # what changed. A new session may be a broker that lost them: send everything again.
        if not getattr(self.link, "session_present", False):
            self._sent = {}
        self._read_mark = None
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

    def mark(self) -> tuple | None:
        """What says whether the messages may have changed: the watched tables' generations and the local date."""
        if not self.watches:
            return None
        today = utcnow().astimezone(ZoneInfo(self.timezone)).date() if self.timezone else None
        return ChangeGeneration.of(self.watches), today

    def publish_changes(self) -> int:
        """Publish what differs from what was last sent on this connection; returns how many messages."""
        sent = 0
        with db.connection_context():
            mark = self.mark()  # before the reading: a change made during it moves the mark for the next cycle
            if mark is not None and mark == self._read_mark and time.monotonic() - self._read_at < FULL_READ_S:
                return 0
            for topic, content, build in self.pending():
                if self._sent.get(topic) == content:
                    continue
                self.link.publish(build())
                self._sent[topic] = content
                sent += 1
            self._read_mark, self._read_at = mark, time.monotonic()
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

def _federation_districts() -> dict[int, tuple[tuple[str, str, str], ...]]:
    """Each federation's districts (code, Chinese and English name), by code: what every config lists."""
    districts: dict[int, list] = {}
    for federation, code, zh, en in (District.select(District.federation, District.code, District.name_zh,
                                                     District.name_en).order_by(District.code).tuples()):
        districts.setdefault(federation, []).append((code, zh, en))
    return {federation: tuple(rows) for federation, rows in districts.items()}


def station_config_rows():
    """What each station's configuration says, as plain rows (cheap to compare), in code order."""
    return (Station.select(Station.code, Station.name_zh, Station.name_en, Station.capacity, Station.charger_slots,
                           District.code, District.name_zh, District.name_en, District.federation)
            .join(District).order_by(Station.code).tuples())


def config_from_row(row: tuple, districts: tuple, protector: DataProtector | None, public_url: str) -> StationConfig:
    """The retained configuration message of one station_config_rows() row."""
    code, name_zh, name_en, capacity, slots, district, district_zh, district_en, _ = row
    public_url = public_url.rstrip("/")
    join = {"join_url": public_url + "/m/join", "join_key": protector.join_key(code)} \
        if protector and public_url else {}
    return StationConfig(station=code, name={"zh": name_zh, "en": name_en},
                         district={"zh": district_zh, "en": district_en}, capacity=capacity, charger_slots=slots,
                         public_url=public_url or None, district_code=district, districts=districts, **join)


def station_config_messages(protector: DataProtector | None = None, public_url: str = "") -> list[StationConfig]:
    """Every station's configuration as it should be now (called inside a database connection)."""
    districts = _federation_districts()
    return [config_from_row(row, districts.get(row[-1], ()), protector, public_url) for row in station_config_rows()]


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
    watches = ("station", "district")

    def __init__(self, link, protector: DataProtector | None, public_url: str, interval_s: float):
        super().__init__(link, interval_s)
        self.protector, self.public_url = protector, public_url

    def pending(self) -> list:
        # A row per station, compared as it comes from the database: only a changed station's message is built.
        districts = _federation_districts()
        return [(station_config.PATTERN.format(station=row[0]), (row, districts.get(row[-1], ())),
                 lambda row=row: config_from_row(row, districts.get(row[-1], ()), self.protector, self.public_url))
                for row in station_config_rows()]


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

def community_pending(settings, now: datetime) -> list[tuple[str, tuple, Callable[[], object]]]:
    """(topic, content, build) of every station's voucher policy and schedule as they should be now.

    Three queries whatever the number of stations: the districts' policies, the stations by district
    (for the quota split), and the events in the coming week with their stations. Messages are built
    only for what changed.
    """
    community, timezone = settings.community, settings.central.timezone
    today = now.astimezone(ZoneInfo(timezone)).date()
    programme = agenda.occurrences_by_station(today, timezone)
    pending = []
    for code, (care_day, quota) in careday.station_policies(community).items():
        items = tuple(programme.get(code, ()))
        pending.append((vouchers.POLICY_PATTERN.format(station=code), (care_day, quota),
                        lambda code=code, care_day=care_day, quota=quota:
                        vouchers.VoucherPolicy(code, care_day, quota, now)))
        pending.append((schedule.PATTERN.format(station=code), items,
                        lambda code=code, items=items: schedule.Schedule(code, items, now)))
    return pending


class CommunityPublisher(ChangePublisher):
    """Publishes voucher policies and event schedules on connect and whenever they change."""

    name = "voucher policy and schedule"
    watches = ("station", "voucher_policy", "scheduled_event", "scheduled_event_station")

    def __init__(self, link, settings):
        super().__init__(link, settings.community.publish_seconds)
        self.settings, self.timezone = settings, settings.central.timezone

    def pending(self) -> list:
        return community_pending(self.settings, utcnow())


# The classroom: what videos each station should hold

class ClassroomPublisher(ChangePublisher):
    """Publishes every station's classroom manifest on connect and whenever it changes (an upload, a
    withdrawal, a video's first or last day by central's local date). Nothing is published while
    central has no address for kiosks to download from (classroom.files_url or central.public_url)."""

    name = "classroom manifest"
    watches = ("station", "district", "classroom_video", "classroom_target")

    def __init__(self, link, settings, protector: DataProtector):
        super().__init__(link, settings.classroom.publish_seconds)
        self.settings, self.protector, self.timezone = settings, protector, settings.central.timezone

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
    watches = ("station", "district", "survey", "survey_version")

    def __init__(self, link, settings):
        super().__init__(link, settings.surveys.publish_seconds)
        self.timezone = settings.central.timezone

    def messages(self) -> list:
        return survey_responses.station_surveys(utcnow(), self.timezone)

    def content(self, message: surveys.StationSurveys) -> tuple:
        return message.surveys
