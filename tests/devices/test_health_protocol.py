"""The health family: a kiosk's report parses back the same; a broken one is refused with the field named."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from devices import protocol
from devices.protocol import ProtocolError, health
from devices.protocol.permissions import FAMILIES, Party, may_publish, may_subscribe

TS = datetime(2026, 11, 21, 6, 30, 0, 123000, tzinfo=UTC)


@pytest.mark.parametrize("report", [
    health.Health("xh-longhua", "kiosk", TS, "0.1.0", 86400, 20 * 2**30, 5 * 2**20, 2, 40, TS),
    health.Health("xh-longhua", "kiosk", TS, "1.2.3rc1", 0, 0, 0, 0, None, None),
])
def test_round_trip_and_dispatch(report):
    assert report.topic == "station/xh-longhua/health/kiosk" and report.RETAIN
    assert health.parse(report.topic, report.to_payload()) == report
    assert protocol.parse_from_station(report.topic, report.to_payload()) == report


GOOD = {"v": 1, "ts": "2026-11-21T06:30:10.000Z", "version": "0.1.0", "uptime_s": 10, "disk_free_bytes": 1,
        "db_bytes": 1, "outbox_pending": 1, "outbox_oldest_age_s": 5, "last_sync": None}


@pytest.mark.parametrize("change, field", [
    ({"version": "0.1 beta; rm"}, "version"), ({"version": ""}, "version"), ({"uptime_s": -1}, "uptime_s"),
    ({"disk_free_bytes": "many"}, "disk_free_bytes"), ({"db_bytes": 1.5}, "db_bytes"),
    ({"outbox_pending": None}, "outbox_pending"), ({"outbox_oldest_age_s": -3}, "outbox_oldest_age_s"),
    ({"outbox_pending": 0}, "outbox_oldest_age_s"), ({"last_sync": "yesterday"}, "last_sync"),
    ({"ts": "2026-11-21 06:30"}, "ts"), ({"v": 2}, "schema version")])
def test_invalid_reports_are_refused(change, field):
    with pytest.raises(ProtocolError, match=field):
        health.parse("station/xh-longhua/health/kiosk", json.dumps({**GOOD, **change}).encode())


def test_only_a_kiosk_publishes_health_and_only_central_reads_it():
    family = next(f for f in FAMILIES if f.name == "health")
    assert [p for p in Party if may_publish(p, family)] == [Party.KIOSK]
    assert not may_publish(Party.KIOSK, family, own_station=False)
    assert [p for p in Party if may_subscribe(p, family)] == [Party.CENTRAL]
