"""The sessions family and slot_start at the edge: malformed payloads are refused with a reason and dropped."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from devices.protocol import ProtocolError, commands, sessions

TOPIC = "station/xh-longhua/charger/3/session"
GOOD = ('{"v":1,"id":"5d41402abc4b2a76b9719d911017c592","phase":"end","started_at":"2026-11-21T06:00:00.000Z",'
        '"ts":"2026-11-21T07:10:00.000Z","energy_wh":420,"power_w":0,"limit_s":14400,"member_no":"W7K3M9Q2XZ",'
        '"end_reason":"full"}')


def test_a_good_session_report_round_trips():
    message = sessions.parse(TOPIC, GOOD.encode())
    assert (message.slot, message.end_reason, message.energy_wh) == (3, sessions.EndReason.FULL, 420)
    assert sessions.parse(TOPIC, message.to_payload()) == message


@pytest.mark.parametrize("change, words", [
    (('"phase":"end"', '"phase":"progress"'), "end_reason"),
    (('"end_reason":"full"', '"end_reason":"controller_lost"'), "end_reason"),
    (('"energy_wh":420', '"energy_wh":-1'), "energy_wh"),
    (('"id":"5d41402abc4b2a76b9719d911017c592"', '"id":"x"'), "id"),
    (('"ts":"2026-11-21T07:10:00.000Z"', '"ts":"2026-11-21T05:00:00.000Z"'), "before started_at"),
    (('"member_no":"W7K3M9Q2XZ"', '"member_no":"赵师傅"'), "member_no"),
    (('"limit_s":14400', '"limit_s":5'), "limit_s"),
])
def test_malformed_session_reports_are_refused_with_the_reason(change, words):
    with pytest.raises(ProtocolError, match=words):
        sessions.parse(TOPIC, GOOD.replace(*change).encode())


def test_slot_start_needs_a_member_and_a_slot():
    base = '{"v":1,"id":"9a8b7c6d5e4f30211203948576abcdef","ts":"2026-11-21T06:32:00.000Z","name":"slot_start",'
    topic = "station/xh-longhua/command/charger"
    ok = commands.parse(topic, (base + '"args":{"slot":2,"member_no":"W7K3M9Q2XZ","limit_s":3600}}').encode())
    assert ok.args == {"slot": 2, "member_no": "W7K3M9Q2XZ", "limit_s": 3600}
    for args in ('{"slot":2}', '{"slot":65,"member_no":"W7K3M9Q2XZ"}', '{"slot":2,"member_no":"w7"}'):
        with pytest.raises(ProtocolError):
            commands.parse(topic, (base + f'"args":{args}}}').encode())


def test_ingest_drops_a_malformed_session_report_with_a_log_line(central_settings, caplog):
    from station_admin.node.ingest import IngestWorker

    worker = IngestWorker(central_settings(broker={"topic_root": "waystation/v1"}))  # never started: no connection
    caplog.set_level(logging.WARNING)
    bad = SimpleNamespace(topic="waystation/v1/" + TOPIC, payload=GOOD.replace('"phase":"end"', '"phase":"x"').encode())
    assert worker.parse(bad) is None
    assert any("dropped invalid message" in r.getMessage() and TOPIC in r.getMessage() for r in caplog.records)
