"""A province's worth of live state (200 stations here): batched state ingest and set-based alarm
evaluation give the results that storing one message at a time and checking row by row give."""

from __future__ import annotations

import random
from datetime import timedelta

from devices.protocol import availability, charger, heartbeat, occupancy, sessions, utcnow
from station_admin.core import models
from station_admin.core.models import ChargerSlotState, DeviceState, District, Federation, Station, StationLive, db
from station_admin.live import alarms
from station_admin.live.charging import ChargerSlotEvent, ChargeSession
from station_admin.node.ingest import IngestWorker, Received, on_availability
from waystation.db import open_database

STATIONS = 200
DEVICES = (("kiosk", availability.DeviceKind.KIOSK), ("counter", availability.DeviceKind.PEOPLE_COUNTER),
           ("charger", availability.DeviceKind.CHARGER_CONTROLLER))
STATUSES = [charger.SlotStatus.AVAILABLE, charger.SlotStatus.CHARGING, charger.SlotStatus.FINISHED,
            charger.SlotStatus.FAULTED]


def codes() -> list[str]:
    return [f"s{i:03d}" for i in range(STATIONS)]


def traffic(t0) -> list[Received]:
    """A shuffled field stream: heartbeats, counts and slot changes, some received out of order, some replayed."""
    rng = random.Random(14)
    items = []
    for n in range(1500):
        code = rng.choice(codes())
        received = t0 + timedelta(milliseconds=n * 10 + rng.choice([0, 0, 0, -3000]))  # some arrive late
        kind = rng.random()
        if kind < 0.5:
            message = heartbeat.Heartbeat(code, rng.choice(DEVICES)[0], received - timedelta(seconds=rng.randint(0, 5)),
                                          outbox_pending=rng.randint(0, 3))
        elif kind < 0.7:
            message = occupancy.Occupancy(code, rng.randint(0, 20), n, n // 2, received)
        else:
            status = rng.choice(STATUSES)
            message = charger.ChargerSlotState(code, rng.randint(1, 4), status, 3000 if status == "charging" else 0,
                                               n, received, "overcurrent" if status == "faulted" else None)
        items.append(Received(None, received, message))
        if rng.random() < 0.1:
            items.append(Received(None, received + timedelta(seconds=1), message))  # a retained replay
    return items


def announce(t0) -> None:
    for code in codes():
        for device, kind in DEVICES:
            on_availability(availability.Availability(code, device, kind, True), t0 - timedelta(minutes=1))


def snapshot() -> dict:
    with db.connection_context():
        return {
            "devices": sorted(DeviceState.select(DeviceState.station_code, DeviceState.device, DeviceState.online,
                                                 DeviceState.heartbeat_at, DeviceState.outbox_pending,
                                                 DeviceState.reported_at, DeviceState.clock_offset_s).tuples()),
            "live": sorted(StationLive.select(StationLive.station_code, StationLive.people_inside,
                                              StationLive.entered_today, StationLive.occupancy_at).tuples()),
            "slots": sorted(ChargerSlotState.select(ChargerSlotState.station_code, ChargerSlotState.slot,
                                                    ChargerSlotState.status, ChargerSlotState.power_w,
                                                    ChargerSlotState.energy_wh, ChargerSlotState.fault,
                                                    ChargerSlotState.reported_at).tuples()),
            "history": sorted(ChargerSlotEvent.select(ChargerSlotEvent.station_code, ChargerSlotEvent.slot,
                                                      ChargerSlotEvent.status, ChargerSlotEvent.fault,
                                                      ChargerSlotEvent.reported_at).tuples()),
        }


def stored(settings, items, t0, batch: int) -> dict:
    """The live state after ingest applied the stream in batches of `batch` messages."""
    models.db.initialize(open_database(settings.database.url))
    worker = IngestWorker(settings)
    with db.connection_context():
        with db.atomic():
            for model in (DeviceState, StationLive, ChargerSlotState, ChargerSlotEvent):
                model.delete().execute()  # the test's one database, for each way of storing in turn
            announce(t0)
        for start in range(0, len(items), batch):
            with db.atomic():
                worker.apply(items[start:start + batch])
    return snapshot()


def test_batched_state_ingest_matches_one_message_at_a_time(central_settings):
    t0 = utcnow() - timedelta(hours=1)
    items = traffic(t0)
    one_by_one = stored(central_settings(template="migrated"), items, t0, 1)
    batched = stored(central_settings(template="migrated"), items, t0, 500)
    assert batched == one_by_one
    # And what that state is: per station the reading received last wins (not the one that came last;
    # a replay is the same reading, received when it first came)...
    latest: dict[str, tuple] = {}
    for item in items:
        m = item.parsed
        if isinstance(m, occupancy.Occupancy) and (m.station not in latest or latest[m.station][0] <= item.received_at):
            if latest.get(m.station, (None, None))[1] != m:
                latest[m.station] = (item.received_at, m)
    assert {(c, m.inside, m.entered_today) for c, (_, m) in latest.items()} == \
        {(c, inside, entered) for c, inside, entered, _ in batched["live"]}
    # ... and a replayed report is no change of the slot: no history row twice at one moment.
    moments = [(s, slot, at) for s, slot, _, _, at in batched["history"]]
    assert len(moments) == len(set(moments)) and len(moments) > 50


def province(now) -> None:
    """200 stations, a tenth of each kind of trouble."""
    fed = Federation.create(code="p", name_zh="省", name_en="Province")
    district = District.create(code="pd", federation=fed, name_zh="区", name_en="District")
    rng = random.Random(23)
    for i, code in enumerate(codes()):
        Station.create(code=code, district=district, name_zh=code, name_en=code, capacity=20, charger_slots=4)
        StationLive.create(station_code=code, people_inside=19 if i % 10 == 1 else 5, occupancy_at=now)
        for device, kind in DEVICES:
            heard = now - timedelta(seconds=rng.choice([5, 30, 90, 200]))
            DeviceState.create(station_code=code, device=device, kind=kind.value, online=rng.random() > 0.1,
                               changed_at=now - timedelta(hours=1), heartbeat_at=None if i % 17 == 0 else heard,
                               outbox_pending=150 if device == "kiosk" and i % 10 == 3 else 0)
        for slot in range(1, 5):
            ChargerSlotState.create(station_code=code, slot=slot, reported_at=now,
                                    status="faulted" if (i + slot) % 13 == 0 else "available",
                                    fault="overcurrent" if (i + slot) % 13 == 0 else None)
        ChargeSession.create(session_id=f"{i:032x}", station_code=code, slot=1, started_at=now - timedelta(hours=1),
                             limit_s=3600, reported_at=now - timedelta(minutes=2), energy_wh=10)


def row_by_row(now, settings, heard_until) -> dict:
    """The alarm conditions as a reader states them, checking every device, slot and station."""
    found = {}
    if now - heard_until > timedelta(seconds=settings.heartbeat_timeout_s):  # ingest behind: one alarm of its own
        found[("ingest_behind", "ingest")] = (None, {"behind_s": round((now - heard_until).total_seconds()),
                                                     "known": True})
    stale_before = heard_until - timedelta(seconds=settings.heartbeat_timeout_s)
    for d in DeviceState.select():
        why = "last_will" if not d.online else \
            "no_heartbeat" if (d.heartbeat_at or d.changed_at) < stale_before else None
        if why:
            found[("device_offline", f"{d.station_code}/{d.device}")] = (
                d.station_code, {"device": d.device, "kind": d.kind, "why": why})
        elif d.kind == "kiosk" and d.outbox_pending > settings.outbox_backlog:
            found[("outbox_backlog", f"{d.station_code}/{d.device}")] = (d.station_code, {"pending": d.outbox_pending})
    for s in ChargerSlotState.select().where(ChargerSlotState.status == "faulted"):
        found[("slot_faulted", f"{s.station_code}/{s.slot}")] = (s.station_code, {"slot": s.slot, "fault": s.fault})
    for live in StationLive.select():
        capacity = Station.get(Station.code == live.station_code).capacity
        if live.people_inside * 100 >= capacity * settings.occupancy_percent:
            found[("occupancy_high", live.station_code)] = (live.station_code,
                                                            {"inside": live.people_inside, "capacity": capacity})
    return found


def test_set_based_alarm_evaluation_matches_checking_row_by_row(central_app):
    settings = central_app.extensions["waystation.settings"].alarms
    now = utcnow()
    with central_app.app_context(), db.connection_context():
        with db.atomic():
            province(now)
        # Judged against how far ingest has got: two minutes behind, fewer devices are silent.
        behind = now - timedelta(minutes=2)
        for heard_until in (now, behind):
            assert alarms.conditions(now, settings, heard_until) == row_by_row(now, settings, heard_until)
        assert len(row_by_row(now, settings, behind)) < len(row_by_row(now, settings, now))
        # Not knowing how far ingest has got (a worker's first marker not back): no device judged.
        unknown = alarms.conditions(now, settings, behind, liveness_known=False)
        assert not any(kind == "device_offline" for kind, _ in unknown)
        backlogs = {("outbox_backlog", f"{d.station_code}/{d.device}") for d in DeviceState.select()
                    if d.kind == "kiosk" and d.outbox_pending > settings.outbox_backlog}  # no offline kiosk to spare
        assert set(unknown) == {key for key in row_by_row(now, settings, behind)
                                if key[0] not in ("device_offline", "outbox_backlog")} | backlogs

        raised, cleared = alarms.evaluate(now, settings)
        assert (raised, cleared) == (len(row_by_row(now, settings, now)), 0)
        assert {(a.kind, a.source) for a in alarms.Alarm.open()} == set(row_by_row(now, settings, now))
        # Every station's silent controller had its open session closed, and only those.
        lost = {code for (kind, source) in row_by_row(now, settings, now) if kind == "device_offline"
                for code in [source.split("/")[0]] if source.endswith("/charger")}
        closed = {s.station_code for s in ChargeSession.select().where(
            ChargeSession.end_reason == sessions.CONTROLLER_LOST)}
        assert closed == lost and lost

        # Heal a tenth of the province: exactly those alarms clear, nothing else is raised again.
        DeviceState.update(online=True, heartbeat_at=now, outbox_pending=0).where(
            DeviceState.station_code.in_(codes()[::10])).execute()
        expected = row_by_row(now, settings, now)
        before = {(a.kind, a.source) for a in alarms.Alarm.open()}
        raised, cleared = alarms.evaluate(now, settings)
        assert (raised, cleared) == (0, len(before - set(expected)))
        assert {(a.kind, a.source) for a in alarms.Alarm.open()} == set(expected)



def test_select_rows_reads_only_the_keys_asked_for_past_one_statement(central_settings):
    """waystation.db.select_rows, as store_slots reads the reported slots: the stored rows of the keys
    asked for (more than one statement's 500), none of a key not stored, times read back in UTC."""
    from datetime import UTC

    from waystation.db import select_rows

    settings = central_settings(template="migrated")
    models.db.initialize(open_database(settings.database.url))
    t0 = utcnow().replace(microsecond=123456)
    with db.connection_context(), db.atomic():
        rows = [{"station_code": code, "slot": slot, "status": "available", "power_w": slot * 10, "energy_wh": 0,
                 "fault": None if slot % 2 else "overcurrent", "reported_at": t0,
                 "received_at": t0 + timedelta(seconds=slot)}
                for code in codes() for slot in (1, 2, 3, 4)]
        for start in range(0, len(rows), 200):
            ChargerSlotState.insert_many(rows[start:start + 200]).execute()
        wanted = [(code, slot) for code in codes() for slot in (1, 3, 4)] + [("s999", 1), ("s000", 9)]
        found = select_rows(db, ChargerSlotState, ("station_code", "slot"), ("power_w", "fault", "received_at"),
                            wanted)
    assert len(wanted) > 500
    assert sorted(found) == sorted((code, slot, slot * 10, None if slot % 2 else "overcurrent",
                                    t0 + timedelta(seconds=slot)) for code in codes() for slot in (1, 3, 4))
    assert all(row[4].tzinfo is UTC for row in found)
