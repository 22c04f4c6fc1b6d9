"""Every mosquitto_pub line in docs/mqtt.md, run as a hardware maker would (TLS, own account), is accepted.

The broker runs the shipped config (Dynamic Security, no anonymous access, TLS); each example's
user (`-u`) gets the account central would make for it, and only the host, port, CA file and
password of the example are replaced by this test's own.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import uuid
from zoneinfo import ZoneInfo

import pytest

from devices.protocol import classroom, commands, receipts, schedule, split, station_config, surveys, trust, vouchers
from devices.protocol.permissions import FAMILIES, Party
from station_admin.core.broker_accounts import BrokerAccounts
from station_admin.node.ingest import IngestWorker
from tests.brokers import SecureMosquitto
from tests.conftest import make_settings, wait_until
from waystation.paths import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "mqtt.md"
DOC_KINDS = {"kiosk": Party.KIOSK, "people counter": Party.PEOPLE_COUNTER,
             "charger controller": Party.CHARGER_CONTROLLER, "central": Party.CENTRAL}


def doc_examples() -> list[list[str]]:
    """The mosquitto_pub command lines of the doc's sh blocks, split as a shell would."""
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)
    return [shlex.split(line) for block in blocks for line in block.splitlines()
            if line.startswith("mosquitto_pub ")]


def option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


class DocBroker:
    """The shipped broker config, with an account for every user the examples log in as."""

    def __init__(self, workdir, ingest_id: str):
        self.broker = SecureMosquitto(workdir=workdir).start()
        self.passwords: dict[str, str] = {}
        admin = make_settings(broker={"url": self.broker.url, "admin_url": self.broker.admin_url,
                                      "topic_root": "waystation/v1"}).broker
        with BrokerAccounts(admin) as accounts:
            accounts.set_default_access()
            self.passwords["central"] = uuid.uuid4().hex
            accounts.ensure_central("central", self.passwords["central"])
            self.ingest_password = uuid.uuid4().hex
            accounts.ensure_central("central-ingest", self.ingest_password, client_id=ingest_id)
            for kind, device in ((Party.KIOSK, "kiosk"), (Party.PEOPLE_COUNTER, "counter"),
                                 (Party.CHARGER_CONTROLLER, "charger")):
                credential = accounts.provision_device("xh-longhua", kind, device)
                self.passwords[credential.username] = credential.password

    def run(self, args: list[str]) -> None:
        """Run an example as written but for host, port, CA file and password, which are this test's."""
        assert (option(args, "-h"), option(args, "-p"), option(args, "--cafile")) == (
            "broker.example", "8883", "waystation-ca.crt")
        assert option(args, "-P") == "$PASSWORD" and option(args, "-i") == option(args, "-u")
        args = [*args]
        for name, value in (("-h", "localhost"), ("-p", str(self.broker.tls_port)),
                            ("--cafile", str(self.broker.certs.ca_cert)),
                            ("-P", self.passwords[option(args, "-u")])):
            args[args.index(name) + 1] = value
        subprocess.run(args, check=True, timeout=10)


@pytest.fixture
def doc_broker(tmp_path):
    ingest_id = f"ingest-{uuid.uuid4().hex[:8]}"
    broker = DocBroker(tmp_path / "mosquitto", ingest_id)
    broker.ingest_id = ingest_id
    yield broker
    broker.broker.cleanup()


def doc_permissions() -> dict[str, tuple[set[Party], set[Party]]]:
    """The doc's "Who may publish and subscribe what" table: topic -> (publishers, readers)."""
    section = DOC.read_text().split("## Who may publish and subscribe what", 1)[1].split("\n## ", 1)[0]
    table = {}
    for row in re.findall(r"^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \|$", section, flags=re.M):
        topic, publishers, readers = row
        table[topic] = tuple({DOC_KINDS[k.strip()] for k in cell.split(",")} for cell in (publishers, readers))
    return table


def test_the_doc_s_permission_table_is_the_contract_s():
    assert doc_permissions() == {f.pattern.template: (set(f.publishers), set(f.subscribers)) for f in FAMILIES}


def test_doc_has_an_example_for_every_family():
    topics = [args[args.index("-t") + 1] for args in doc_examples()]
    for family in ("availability", "occupancy", "charger", "heartbeat", "session", "event/checkin",
                   "event/service_request", "event/feedback", "config", "command", "reply", "receipt",
                   "central/trust", "central/revocations", "event/voucher_claim", "voucher/decision", "voucher/policy",
                   "schedule", "location", "health", "classroom", "classroom/kiosk", "event/classroom_play", "surveys",
                   "survey/invitation", "event/survey_response"):
        assert any(f"/{family}" in t for t in topics), family


def test_examples_are_accepted_by_ingest(doc_broker, central_settings, running, caplog):
    from station_admin.classroom.models import ClassroomHoldings, ClassroomPlay
    from station_admin.community import opening
    from station_admin.community.feedback import Feedback
    from station_admin.core import models
    from station_admin.live.health import StationHealth
    from station_admin.requests.models import ServiceRequest
    from waystation.db import open_database

    # The examples are dated through 2026 (February's requests, December's care day): bounds wide
    # enough that none is taken for a wrong clock and stored with the receive time instead.
    settings = central_settings(f"mqtt://central-ingest:{doc_broker.ingest_password}@127.0.0.1:{doc_broker.broker.port}",
                                template="demo", broker={"topic_root": "waystation/v1"},
                                ingest={"client_id": doc_broker.ingest_id, "past_bound_days": 3650,
                                        "future_bound_s": 3650 * 86400})
    models.db.initialize(open_database(settings.database.url))
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    caplog.set_level("INFO")

    examples = doc_examples()
    for args in examples:
        doc_broker.run(args)
    checkin = next(args for args in examples if "/event/checkin" in args[args.index("-t") + 1])
    doc_broker.run(checkin)  # the doc says: run it twice, stored once
    request = next(args for args in examples if "/event/service_request" in args[args.index("-t") + 1])
    doc_broker.run(request)

    def stored():
        with models.db.connection_context():
            slots = {s.slot: s for s in models.ChargerSlotState.select()}
            live = models.StationLive.get_or_none(models.StationLive.station_code == "xh-longhua")
            counter = models.DeviceState.get_or_none(models.DeviceState.device == "counter")
            return (len(slots) == 2 and live and counter and counter.heartbeat_at
                    and models.CheckIn.select().count() == 1 and ServiceRequest.select().count() == 1
                    and models.StationEvent.select().count() == 6 and opening.StationLocation.select().exists()
                    and Feedback.select().count() == 1 and StationHealth.select().exists()
                    and ClassroomPlay.select().exists() and ClassroomHoldings.select().exists()
                    and (slots, live, counter))

    slots, live, counter = wait_until(stored, message="every example stored")
    assert live.people_inside == 7 and live.entered_today == 41
    assert (slots[3].status, slots[3].power_w, slots[3].energy_wh) == ("charging", 320, 85)
    assert (slots[4].status, slots[4].fault) == ("faulted", "overcurrent")
    assert counter.online and counter.kind == "people_counter"
    wait_until(lambda: any("command 9a8b7c6d" in r.getMessage() for r in caplog.records), message="the reply")
    assert not [r for r in caplog.records if "dropped invalid" in r.getMessage()]
    assert "Denied PUBLISH" not in doc_broker.broker.log()
    with models.db.connection_context():
        from station_admin.live.charging import ChargeSession

        session = ChargeSession.get()
        assert (session.slot, session.end_reason, session.energy_wh, session.member_no) == (
            3, "full", 420, "W7K3M9Q2XZ")
        # with the voucher claim (of a member central lacks) and the survey response (of a survey it lacks):
        # both kept as raw events, neither counted
        assert models.StationEvent.select().count() == 6, [e.kind for e in models.StationEvent.select()]
        assert models.StationEvent.get(models.StationEvent.kind == "survey_response").station_code == "xh-longhua"
        play, holdings = ClassroomPlay.get(), ClassroomHoldings.get()
        assert (play.station_code, play.video_id, play.completed) == ("xh-longhua", 3, True)
        assert (holdings.device, holdings.held, holdings.cache_bytes) == ("kiosk", [3], 1891411)
        assert opening.StationLocation.get().place == "人民广场东侧"
        health = StationHealth.get()
        assert (health.device, health.version, health.outbox_pending, health.outbox_oldest_age_s) == (
            "kiosk", "0.1.0", 2, 40)
        feedback = Feedback.get()
        assert (feedback.station_code, feedback.score, feedback.member_no) == ("xh-longhua", 2, None)
        assert sorted(c.category for c in feedback.categories) == ["chargers", "seats"]
        filed = ServiceRequest.get()
        assert (filed.tracking_code, filed.centre.district.code, filed.status) == ("K7QM4WZP", "minhang", "assigned")
        assert filed.due_at.astimezone(ZoneInfo("Asia/Shanghai")).isoformat() == "2026-02-24T23:59:59.999000+08:00"


def test_central_to_station_examples_parse():
    for args in doc_examples():
        topic = split("waystation/v1", args[args.index("-t") + 1])
        payload = args[args.index("-m") + 1].encode()
        if topic.endswith("/config"):
            assert station_config.parse(topic, payload).capacity == 12
        elif topic.endswith("/command/charger"):
            command = commands.parse(topic, payload)
            assert command.args == ({"slot": 4} if command.name == "slot_disable" else
                                    {"slot": 2, "member_no": "W7K3M9Q2XZ", "limit_s": 14400})
        elif topic.endswith("/receipt"):
            assert receipts.parse(topic, payload).event_ids == ("4f1c2e0a9b8d4c7e8f6a5b4c3d2e1f00",)
        elif topic == "central/trust":
            assert trust.parse_trust(topic, payload).card_keys[0][0] == "K7QX"
        elif topic.startswith("central/revocations/"):
            assert len(trust.parse_revocations(topic, payload).entries) == 2
        elif topic.endswith("/voucher/decision"):
            assert vouchers.parse_decision(topic, payload).reason == "already_claimed"
        elif topic.endswith("/voucher/policy"):
            assert vouchers.parse_policy(topic, payload).care_day == 20
        elif topic.endswith("/classroom"):
            manifest = classroom.parse_manifest(topic, payload)
            assert manifest.videos[0].title["zh"] == "电动车充电安全"
            assert manifest.files[manifest.videos[0].poster.sha256] == 48211
        elif topic.endswith("/schedule"):
            assert schedule.parse(topic, payload).items[0].title["en"] == "Legal night clinic"
        elif topic.endswith("/surveys"):
            offered = surveys.parse_surveys(topic, payload).surveys[0]
            assert [q.kind for q in offered.questions] == ["single", "rating", "number"]
        elif topic.endswith("/survey/invitation"):
            assert surveys.parse_invitation(topic, payload).invitations[0].link.startswith("https://")
