"""Every mosquitto_pub line in docs/mqtt.md, run as written against a real Mosquitto, is accepted."""

from __future__ import annotations

import re
import shlex
import subprocess
from zoneinfo import ZoneInfo

from devices.protocol import commands, receipts, schedule, split, station_config, trust, vouchers
from station_admin.node.ingest import IngestWorker
from tests.conftest import wait_until
from waystation.paths import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "mqtt.md"


def doc_examples() -> list[list[str]]:
    """The mosquitto_pub command lines of the doc's sh blocks, split as a shell would."""
    blocks = re.findall(r"```sh\n(.*?)```", DOC.read_text(), flags=re.S)
    return [shlex.split(line) for block in blocks for line in block.splitlines()
            if line.startswith("mosquitto_pub ")]


def run_on_port(args: list[str], port: int) -> None:
    """Run an example exactly as written but for the port, which is this test's own broker."""
    assert args[args.index("-p") + 1] == "1883"
    args = [*args]
    args[args.index("-p") + 1] = str(port)
    subprocess.run(args, check=True, timeout=10)


def test_doc_has_an_example_for_every_family():
    topics = [args[args.index("-t") + 1] for args in doc_examples()]
    for family in ("availability", "occupancy", "charger", "heartbeat", "session", "event/checkin",
                   "event/service_request", "event/feedback", "config", "command", "reply", "receipt",
                   "central/trust", "central/revocations", "event/voucher_claim", "voucher/decision", "voucher/policy",
                   "schedule", "location"):
        assert any(f"/{family}" in t for t in topics), family


def test_examples_are_accepted_by_ingest(mosquitto, central_settings, running, caplog):
    from station_admin import migrations
    from station_admin.community import opening
    from station_admin.community.feedback import Feedback
    from station_admin.core import models
    from station_admin.demo.seed import seed_demo
    from station_admin.requests.models import ServiceRequest
    from waystation.db import migrate, open_database

    # The examples are dated through 2026 (February's requests, December's care day): bounds wide
    # enough that none is taken for a wrong clock and stored with the receive time instead.
    settings = central_settings(mosquitto.url, broker={"topic_root": "waystation/v1"},
                                ingest={"past_bound_days": 3650, "future_bound_s": 3650 * 86400})
    models.db.initialize(open_database(settings.database.url))
    migrate(models.db, migrations.MIGRATIONS)
    seed_demo()
    worker = running.start(IngestWorker(settings))
    wait_until(worker.link.subscribed.is_set, message="ingest subscribed")
    caplog.set_level("INFO")

    examples = doc_examples()
    for args in examples:
        run_on_port(args, mosquitto.port)
    checkin = next(args for args in examples if "/event/checkin" in args[args.index("-t") + 1])
    run_on_port(checkin, mosquitto.port)  # the doc says: run it twice, stored once
    request = next(args for args in examples if "/event/service_request" in args[args.index("-t") + 1])
    run_on_port(request, mosquitto.port)

    def stored():
        with models.db.connection_context():
            slots = {s.slot: s for s in models.ChargerSlotState.select()}
            live = models.StationLive.get_or_none(models.StationLive.station_code == "xh-longhua")
            counter = models.DeviceState.get_or_none(models.DeviceState.device == "counter")
            return (len(slots) == 2 and live and counter and counter.heartbeat_at
                    and models.CheckIn.select().count() == 1 and ServiceRequest.select().count() == 1
                    and models.StationEvent.select().count() == 4 and opening.StationLocation.select().exists()
                    and Feedback.select().count() == 1
                    and (slots, live, counter))

    slots, live, counter = wait_until(stored, message="every example stored")
    assert live.people_inside == 7 and live.entered_today == 41
    assert (slots[3].status, slots[3].power_w, slots[3].energy_wh) == ("charging", 320, 85)
    assert (slots[4].status, slots[4].fault) == ("faulted", "overcurrent")
    assert counter.online and counter.kind == "people_counter"
    wait_until(lambda: any("command 9a8b7c6d" in r.getMessage() for r in caplog.records), message="the reply")
    assert not [r for r in caplog.records if "dropped invalid" in r.getMessage()]
    with models.db.connection_context():
        from station_admin.live.charging import ChargeSession

        session = ChargeSession.get()
        assert (session.slot, session.end_reason, session.energy_wh, session.member_no) == (
            3, "full", 420, "W7K3M9Q2XZ")
        assert models.StationEvent.select().count() == 4  # with the voucher claim (of a member central lacks)
        assert opening.StationLocation.get().place == "人民广场东侧"
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
        elif topic.endswith("/schedule"):
            assert schedule.parse(topic, payload).items[0].title["en"] == "Legal night clinic"
