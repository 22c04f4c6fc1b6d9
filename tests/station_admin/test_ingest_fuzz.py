"""Property tests over the ingest worker's store step on a real database: garbage among valid events.

Whatever arrives, `store` returns (only a database outage may raise), every valid event is stored
exactly once, and what the wire contract refuses changes no table. The same over a real Mosquitto
is in test_ingest_poison.py.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.protocol import events, join, utcnow
from station_admin.core import models
from station_admin.node.ingest import IngestWorker
from tests.fuzzing import mqtt_message, station_garbage, table_dump
from tests.station_admin.test_ingest import migrated

STATION = "xh-fuzz"


def check_in(seq: int) -> events.StationEvent:
    return events.StationEvent(STATION, events.new_event_id(), seq, utcnow(), events.CheckIn())


@settings(max_examples=40)  # each example dumps every table twice: keep the suite fast
@given(data=st.data())
def test_garbage_among_valid_events_changes_nothing_and_valid_events_are_stored_once(central_settings, data):
    settings = central_settings(template="migrated")
    migrated(settings)
    worker = IngestWorker(settings)  # never started: no broker, store() alone
    root = settings.broker.topic_root
    garbage = data.draw(st.lists(station_garbage(), min_size=1, max_size=12))
    models.db.connect(reuse_if_open=True)
    try:
        before = table_dump(models.db)
        assert worker.store([mqtt_message(join(root, t), p) for t, p in garbage]) == {}
        assert table_dump(models.db) == before, "a message the contract refuses changed a table"

        valid = [check_in(n) for n in range(1, data.draw(st.integers(1, 6)) + 1)]
        mixed = [mqtt_message(join(root, t), p) for t, p in garbage]
        for event in valid:
            mixed.insert(data.draw(st.integers(0, len(mixed))), mqtt_message(join(root, event.topic),
                                                                              event.to_payload()))
        mixed += [mqtt_message(join(root, valid[0].topic), valid[0].to_payload())]  # and one redelivered
        stored = worker.store(mixed)
        assert sorted(stored.get(STATION, [])) == sorted([e.event_id for e in valid] + [valid[0].event_id])
        ids = [e.event_id for e in valid]
        rows = [r.event_id for r in models.StationEvent.select().where(models.StationEvent.event_id.in_(ids))]
        checkins = [r.event_id for r in models.CheckIn.select().where(models.CheckIn.event_id.in_(ids))]
        assert sorted(rows) == sorted(checkins) == sorted(ids)
        times = {r.event_id: (r.occurred_at, r.ts_flag) for r in models.StationEvent.select().where(
            models.StationEvent.event_id.in_(ids))}
        assert times == {e.event_id: (e.ts, None) for e in valid}, "a valid event's own time was not kept"
        assert worker.dead_letters == 0
    finally:
        models.db.close()
