"""Live state from the stations' retained messages (heartbeats, occupancy, charger slots), a batch at a time.

These are 99 % of a province's traffic, so a batch costs a few statements whatever its size: one
read of the stored rows it touches, one UPDATE or upsert per table with the latest value per key,
one multi-row INSERT of slot history. Within a batch, messages count in arrival order, as if each
were stored on its own: a later one wins, a reading received earlier never overwrites one received
later, and every status change of a slot is history. A retained message seen again (a reconnect
replays them) changes nothing and writes nothing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from devices.protocol import charger, heartbeat, occupancy
from station_admin.core.models import ChargerSlotState, DeviceState, StationLive, db
from station_admin.live.charging import ChargerSlotEvent
from waystation.db import insert_rows, select_rows, update_rows, upsert_rows

log = logging.getLogger(__name__)

# Devices whose heartbeat came before their availability, already logged (so the log says it once).
unannounced: set[tuple[str, str]] = set()


def store_heartbeats(items: list[tuple[heartbeat.Heartbeat, datetime]]) -> None:
    """Devices alive, by central's receive time; each heartbeat's own `ts` gives its clock's offset.

    A heartbeat from a device that has not announced itself (availability) first is not availability:
    it is logged, once per device, and otherwise ignored (docs/mqtt.md, "Heartbeat").
    """
    latest: dict[tuple[str, str], dict] = {}
    for message, received_at in items:
        key = (message.station, message.device)
        if key in latest and latest[key]["heartbeat_at"] > received_at:
            continue
        latest[key] = {"station_code": message.station, "device": message.device, "heartbeat_at": received_at,
                       "outbox_pending": message.outbox_pending, "reported_at": message.ts,
                       "clock_offset_s": round((message.ts - received_at).total_seconds(), 3)}
    if not latest:
        return
    updated = update_rows(db, DeviceState, list(latest.values()), key=("station_code", "device"),
                          newer="heartbeat_at")
    missing = [key for key in latest if key not in updated and key not in unannounced]
    if not missing:
        return
    # Not updated: a newer heartbeat is stored (fine), or the device is unknown (logged once).
    known = {(s, d) for s, d in DeviceState.select(DeviceState.station_code, DeviceState.device)
             .where(DeviceState.station_code.in_(sorted({s for s, _ in missing}))).tuples()}
    for key in missing:
        if key in known:
            continue
        if len(unannounced) < 10_000:
            unannounced.add(key)
        log.warning("heartbeat from %s/%s, which has not sent its availability: ignored until it does", *key)


def store_occupancy(items: list[tuple[occupancy.Occupancy, datetime]]) -> None:
    """The people counters' latest counts; a reading received earlier never overwrites one received later."""
    if not items:
        return
    current = {row[0]: row[1:] for row in StationLive.select(
        StationLive.station_code, StationLive.people_inside, StationLive.entered_today, StationLive.occupancy_at,
        StationLive.received_at).where(StationLive.station_code.in_(sorted({m.station for m, _ in items}))).tuples()}
    changed: dict[str, dict] = {}
    for message, received_at in items:
        stored = current.get(message.station)
        reading = (message.inside, message.entered_today, message.ts)
        if stored is not None and (stored[:3] == reading or (stored[3] is not None and stored[3] > received_at)):
            continue  # the same reading again (a retained replay), or one received earlier than the stored one
        current[message.station] = (*reading, received_at)
        changed[message.station] = {"station_code": message.station, "people_inside": message.inside,
                                    "entered_today": message.entered_today, "occupancy_at": message.ts,
                                    "received_at": received_at}
    upsert_rows(db, StationLive, list(changed.values()), key=("station_code",), newer="received_at")


SLOT_COLUMNS = ("status", "power_w", "energy_wh", "fault", "reported_at", "received_at")


def store_slots(items: list[tuple[charger.ChargerSlotState, datetime]]) -> None:
    """Charger slots' latest states (one received earlier never overwrites one received later) and their history.

    History gets a row whenever a report changes the slot's status or fault; a repeated retained
    report (same time) is no change.
    """
    if not items:
        return
    # Only the slots reported: a station's other seven are not read.
    touched = sorted({(message.station, message.slot) for message, _ in items})
    current: dict[tuple[str, int], dict] = {
        (row[0], row[1]): dict(zip(SLOT_COLUMNS, row[2:], strict=True))
        for row in select_rows(db, ChargerSlotState, ("station_code", "slot"), SLOT_COLUMNS, touched)}
    history, changed = [], {}
    for message, received_at in items:
        key = (message.station, message.slot)
        latest = current.get(key)
        new = {"status": message.status.value, "power_w": message.power_w, "energy_wh": message.energy_wh,
               "fault": message.fault, "reported_at": message.ts, "received_at": received_at}
        if latest is None or not ((latest["status"], latest["fault"]) == (new["status"], new["fault"]) or
                                  (latest["received_at"] is None and latest["reported_at"] >= message.ts)):
            history.append({"station_code": message.station, "slot": message.slot, "status": new["status"],
                            "fault": message.fault, "reported_at": message.ts})
        if latest is not None and all(latest[c] == new[c] for c in SLOT_COLUMNS[:5]):
            continue  # the same report again (a retained replay): nothing to write
        if latest is None or latest["received_at"] is None or latest["received_at"] <= received_at:
            current[key] = new
            changed[key] = {"station_code": message.station, "slot": message.slot, **new}
    if history:
        # The (station, slot, reported_at) index keeps one row per moment, as one INSERT at a time did.
        for start in range(0, len(history), 500):
            insert_rows(db, ChargerSlotEvent, history[start:start + 500], skip_conflicts=True)
    upsert_rows(db, ChargerSlotState, list(changed.values()), key=("station_code", "slot"), newer="received_at")
