"""The permission table covers the whole wire contract, and the shipped ACL file is what it generates."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from devices import protocol
from devices.protocol._base import TopicPattern
from devices.protocol.permissions import FAMILIES, Party, account_name, role_acls, rules_for, static_acl
from waystation.cli import main
from waystation.paths import CONFIG_DIR


def contract_patterns() -> set[str]:
    """Every topic pattern any module of devices/protocol defines (the table itself aside)."""
    found = set()
    for info in pkgutil.iter_modules(protocol.__path__):
        if info.name in ("permissions", "_base"):
            continue
        module = importlib.import_module(f"devices.protocol.{info.name}")
        found.update(v.template for v in vars(module).values() if isinstance(v, TopicPattern))
    return found


def test_every_family_of_the_contract_has_its_publishers_and_subscribers():
    declared = [f.pattern.template for f in FAMILIES]
    assert len(declared) == len(set(declared))
    assert set(declared) == contract_patterns()
    for family in FAMILIES:
        assert family.publishers and family.subscribers, family.name


def test_a_people_counter_may_not_check_in_file_requests_or_read_the_join_key():
    rules = rules_for("waystation/v1", Party.PEOPLE_COUNTER, "xh-longhua")
    assert {(r.action, r.topic) for r in rules} == {
        ("publish", "waystation/v1/station/xh-longhua/availability/+"),
        ("publish", "waystation/v1/station/xh-longhua/occupancy"),
        ("publish", "waystation/v1/station/xh-longhua/heartbeat/+"),
    }


def test_rules_name_whole_levels_so_slot_sessions_and_replies_are_covered():
    topics = {r.topic for r in rules_for("waystation/v1", Party.CHARGER_CONTROLLER, "xh-longhua")
              if r.action == "publish"}
    assert "waystation/v1/station/xh-longhua/charger/+" in topics
    assert "waystation/v1/station/xh-longhua/charger/+/session" in topics
    assert "waystation/v1/station/xh-longhua/command/+/reply" in topics
    kiosk = {(r.action, r.topic) for r in rules_for("waystation/v1", Party.KIOSK, "xh-longhua")}
    assert ("publish", "waystation/v1/station/xh-longhua/command/+") in kiosk  # slot_start to the charger
    assert ("subscribe", "waystation/v1/station/xh-longhua/charger/+/session") in kiosk


def test_central_publishes_only_its_families_and_reads_the_station_tree():
    rules = rules_for("waystation/v1", Party.CENTRAL)
    subscribed = {r.topic for r in rules if r.action == "subscribe"}
    assert {"waystation/v1/station/#", "$share/+/waystation/v1/station/#"} <= subscribed  # shared: several workers
    published = {r.topic for r in rules if r.action == "publish"}
    assert "waystation/v1/station/+/config" in published
    assert not any("/event/" in t or "/occupancy" in t for t in published)


def test_dynsec_acls_are_allow_rules_of_the_plugin_s_types():
    acls = role_acls("root/v1", Party.KIOSK, "s1")
    assert {a["acltype"] for a in acls} == {"publishClientSend", "subscribePattern"}
    assert all(a["allow"] is True and a["topic"].startswith("root/v1/") for a in acls)


@pytest.mark.parametrize("bad", ["", "Bad Code", "a.b", "x" * 41])
def test_a_bad_station_code_is_refused_with_the_rule(bad):
    with pytest.raises(ValueError, match="lower-case letters, digits"):
        rules_for("waystation/v1", Party.KIOSK, bad)
    with pytest.raises(ValueError, match="lower-case letters, digits"):
        account_name(bad, "kiosk")


def test_the_shipped_acl_file_is_what_the_generator_makes():
    shipped = (CONFIG_DIR / "mosquitto" / "waystation.acl").read_text()
    assert shipped == static_acl("waystation/v1", ["xh-longhua"])


def test_broker_acl_command_prints_the_file(capsys, monkeypatch):
    monkeypatch.delenv("WAYSTATION_CONFIG", raising=False)
    assert main(["broker-acl", "--station", "xh-longhua"]) == 0
    assert capsys.readouterr().out == (CONFIG_DIR / "mosquitto" / "waystation.acl").read_text()
    assert main(["broker-acl", "--station", "Bad Code"]) == 2
    assert "lower-case letters" in capsys.readouterr().err
