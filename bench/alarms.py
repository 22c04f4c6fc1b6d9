"""How long one alarm evaluation takes at central for a network of stations (SQLite, on this machine).

Usage: python -m bench.alarms [--stations 1000] [--runs 5]. Prints JSON: the median seconds of one
evaluation with every station healthy, and with a tenth of them faulted, full and offline.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from devices.protocol import utcnow


def main() -> None:
    """Build the live-state tables for N stations, then time alarms.evaluate()."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # one line per raised alarm would swamp the JSON
    from station_admin import migrations
    from station_admin.core import models
    from station_admin.core.models import ChargerSlotState, DeviceState, District, Federation, Station, StationLive
    from station_admin.live import alarms
    from waystation.db import migrate, open_database
    from waystation.settings import load_settings

    settings = load_settings(env={}).alarms
    with tempfile.TemporaryDirectory() as tmp:
        models.db.initialize(open_database(f"sqlite:///{Path(tmp) / 'central.db'}"))
        migrate(models.db, migrations.MIGRATIONS)
        now = utcnow()
        with models.db.atomic():
            fed = Federation.create(code="f", name_zh="f", name_en="f")
            district = District.create(code="d", federation=fed, name_zh="d", name_en="d")
            for i in range(args.stations):
                code = f"s{i}"
                Station.create(code=code, district=district, name_zh=code, name_en=code, capacity=20, charger_slots=8)
                StationLive.create(station_code=code, people_inside=5, occupancy_at=now)
                for device, kind in (("kiosk", "kiosk"), ("counter", "people_counter"),
                                     ("charger", "charger_controller")):
                    DeviceState.create(station_code=code, device=device, kind=kind, online=True, changed_at=now,
                                       heartbeat_at=now)
                ChargerSlotState.insert_many([{"station_code": code, "slot": n, "status": "available",
                                               "reported_at": now} for n in range(1, 9)]).execute()

        def timed(moment) -> float:
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                with models.db.atomic():
                    alarms.evaluate(moment, settings)
                times.append(time.perf_counter() - start)
            return statistics.median(times)

        healthy = timed(now + timedelta(seconds=1))
        with models.db.atomic():
            bad = [f"s{i}" for i in range(0, args.stations, 10)]
            StationLive.update(people_inside=19).where(StationLive.station_code.in_(bad)).execute()
            DeviceState.update(online=False).where(DeviceState.station_code.in_(bad)).execute()
            ChargerSlotState.update(status="faulted").where(ChargerSlotState.station_code.in_(bad),
                                                            ChargerSlotState.slot == 1).execute()
        first = time.perf_counter()
        with models.db.atomic():
            raised, _ = alarms.evaluate(now + timedelta(seconds=2), settings)
        first = time.perf_counter() - first
        steady = timed(now + timedelta(seconds=3))
        print(json.dumps({"stations": args.stations, "evaluate_healthy_s": round(healthy, 4),
                          "evaluate_raising_s": round(first, 4), "alarms_raised": raised,
                          "evaluate_with_open_alarms_s": round(steady, 4)}))


if __name__ == "__main__":
    main()
