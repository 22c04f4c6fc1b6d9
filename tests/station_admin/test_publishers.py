"""The retained-state publishers read their tables only when something they are made of has changed.

Database triggers (migration 24) count every write to a watched table; a publisher cycle reads those
counts and central's local date, and reads the tables again only when one of them moved (or after a
reconnect, or FULL_READ_S), so central at rest does no work in proportion to its stations. Run on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, datetime

import pytest

from station_admin.community import careday
from station_admin.core.models import ChangeGeneration, District, Station, db
from station_admin.migrations.m0024_change_generations import WATCHED
from station_admin.node import publishers
from station_admin.surveys import builder
from station_admin.surveys.models import QuestionSpec
from tests.conftest import local_today
from waystation.db import is_sqlite
from waystation.web import SETTINGS


class FakeLink:
    """What a publisher needs of central's MQTT link: connect callbacks and a record of what it published."""

    def __init__(self):
        self.published = []
        self.connected = threading.Event()
        self.connected.set()
        self.session_present = False
        self._on_connect = []

    def on_connect(self, callback):
        self._on_connect.append(callback)

    def publish(self, message):
        self.published.append(message)

    def reconnect(self, session_present: bool):
        self.session_present = session_present
        for callback in self._on_connect:
            callback()


class CountingConfigPublisher(publishers.StationConfigPublisher):
    """The station configuration publisher, counting how often it read the stations."""

    reads = 0

    def pending(self):
        self.reads += 1
        return super().pending()


@pytest.fixture
def settings(app):
    return app.extensions[SETTINGS]


def config_publisher(link) -> CountingConfigPublisher:
    return CountingConfigPublisher(link, None, "https://central.example", interval_s=60)


def test_an_unchanged_network_is_not_read_again_and_a_changed_station_is_sent_alone(app):
    link = FakeLink()
    publisher = config_publisher(link)
    with db.connection_context():
        stations = Station.select().count()
    assert publisher.publish_changes() == stations
    assert (publisher.publish_changes(), publisher.publish_changes()) == (0, 0)
    assert publisher.reads == 1  # two cycles, each one small query: the stations were not read

    with db.connection_context():
        station = Station.select().order_by(Station.code).first()
        Station.update(capacity=station.capacity + 3).where(Station.id == station.id).execute()
    assert publisher.publish_changes() == 1
    assert publisher.reads == 2
    assert link.published[-1].station == station.code and link.published[-1].capacity == station.capacity + 3

    with db.connection_context():  # a district renamed changes every station of its federation's configuration
        District.update(name_en="Renamed").where(District.id == station.district_id).execute()
    assert publisher.publish_changes() == stations
    assert publisher.reads == 3


def test_a_station_added_or_deleted_by_plain_sql_is_seen_too(app):
    link = FakeLink()
    publisher = config_publisher(link)
    publisher.publish_changes()
    with db.connection_context():
        district = District.select().first()
        db.execute_sql('INSERT INTO "station" ("code", "district_id", "name_zh", "name_en", "address", "capacity", '
                       '"charger_slots", "services", "always_open", "mobile") '
                       "VALUES ('xh-bysql', %s, '手写驿站', 'By SQL', '', 5, 0, '', %s, %s)"
                       .replace("%s", "?" if is_sqlite(db) else "%s"), (district.id, False, False))
    assert publisher.publish_changes() == 1
    assert link.published[-1].station == "xh-bysql"
    before = publisher.reads
    with db.connection_context():
        db.execute_sql("DELETE FROM \"station\" WHERE \"code\" = 'xh-bysql'")
    publisher.publish_changes()
    assert publisher.reads == before + 1


def test_a_reconnect_reads_again_and_a_new_session_sends_everything(app):
    link = FakeLink()
    publisher = config_publisher(link)
    sent = publisher.publish_changes()
    link.reconnect(session_present=True)  # the broker kept its retained messages: read, send nothing
    assert publisher.publish_changes() == 0 and publisher.reads == 2
    link.reconnect(session_present=False)  # perhaps a broker that lost them: everything again
    assert publisher.publish_changes() == sent and publisher.reads == 3


def test_a_still_network_is_read_again_after_the_full_read_interval(app, monkeypatch):
    link = FakeLink()
    publisher = config_publisher(link)
    publisher.publish_changes()
    publisher.publish_changes()
    assert publisher.reads == 1
    monkeypatch.setattr(publishers, "FULL_READ_S", 0.0)
    publisher.publish_changes()
    assert publisher.reads == 2


def test_a_policy_change_and_local_midnight_move_the_community_publisher(app, settings, clock):
    clock(datetime(2026, 12, 1, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai
    link = FakeLink()
    publisher = publishers.CommunityPublisher(link, settings)
    first = publisher.publish_changes()
    assert first > 0 and publisher.publish_changes() == 0
    with db.connection_context():
        district = District.get(District.code == "xuhui")
        careday.set_policy(district, care_day=9, district_quota=300, now=datetime(2026, 12, 1, 15, 0, tzinfo=UTC))
        xuhui = Station.select().where(Station.district == district).count()
    assert publisher.publish_changes() == xuhui  # the policies of Xuhui's stations, not their schedules
    assert {m.care_day for m in link.published[-xuhui:]} == {9}

    marks = publisher.mark()
    clock(datetime(2026, 12, 1, 16, 1, tzinfo=UTC))  # 00:01 the next day: the week's window moved
    assert publisher.mark() != marks
    publisher.publish_changes()  # read again (what it sends depends on the week's events)
    assert publisher._read_mark == publisher.mark()


def test_every_publisher_watches_only_counted_tables_and_reads_only_what_it_watches(app, central_settings, caplog):
    """A publisher reading a table it does not watch would miss that table's changes: the SQL it runs
    names watched tables only, and every watched table is counted by a trigger."""
    from station_admin.core.protect import DataProtector

    settings = central_settings(template="seeded", classroom={"files_url": "https://central.example/classroom/files"})
    protector = DataProtector(settings.secret("central.data_key"))
    link = FakeLink()
    with db.connection_context(), db.atomic():  # a survey open at the kiosks of a district: it reads every table
        today = local_today()
        xuhui = District.get(District.code == "xuhui")
        facts = builder.VersionFacts(title_zh="骑手问卷", title_en="Riders' survey", starts_on=today, ends_on=today,
                                     districts=("xuhui",), questions=[QuestionSpec("q1", "rating", "满意吗", "Happy?",
                                                                                   low=1, high=5)])
        survey = builder.create(builder.Owner(xuhui.federation, xuhui), facts, None, datetime.now(UTC))
        builder.publish(survey, None, datetime.now(UTC))
    cases = [publishers.StationConfigPublisher(link, protector, "https://central.example", 60),
             publishers.CommunityPublisher(link, settings),
             publishers.SurveyPublisher(link, settings),
             publishers.ClassroomPublisher(link, settings, protector)]
    for publisher in cases:
        assert publisher.watches and set(publisher.watches) <= set(WATCHED), publisher.name
        with db.connection_context():
            assert -1 not in ChangeGeneration.of(publisher.watches)
            caplog.clear()
            with caplog.at_level(logging.DEBUG, logger="peewee"):
                list(publisher.pending())
        read = set()
        for record in caplog.records:
            sql = str(record.msg[0] if isinstance(record.msg, tuple) else record.getMessage())
            read |= set(re.findall(r'(?:FROM|JOIN)\s+"(\w+)"', sql))
        assert read, publisher.name
        assert read <= set(publisher.watches), (publisher.name, read - set(publisher.watches))


def test_every_watched_table_has_its_triggers(app):
    with db.connection_context():
        for table in WATCHED:
            if is_sqlite(db):
                kinds = {row[0] for row in db.execute_sql(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", (table,))}
                found = {kind for kind in ("INSERT", "UPDATE", "DELETE") if any(f"AFTER {kind} ON" in k for k in kinds)}
            else:
                found = {row[0] for row in db.execute_sql(
                    "SELECT event_manipulation FROM information_schema.triggers WHERE event_object_table = %s",
                    (table,))}
            assert found == {"INSERT", "UPDATE", "DELETE"}, table
