"""Classroom downloads: how fast a kiosk fetches a video from central by HTTP Range requests.

Central (the real app, waitress, SQLite) serves a file of `--mb` MiB of random bytes uploaded as a
classroom video would be kept; the kiosk's downloader fetches it with chunks of `--chunk-kib` KiB,
checks its SHA-256 and renames it into place, a few times; a resumed run starts from a half-written
part. Each request costs central one manifest look-up (the station may fetch only what its manifest
names), so smaller chunks cost more requests. The last line printed is one JSON object.

    python bench/classroom.py                 # 20 MiB in 1 MiB chunks, about 10 seconds
    python bench/classroom.py --mb 50 --chunk-kib 256
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from devices.protocol import utcnow  # noqa: E402
from kiosk.classroom_download import download  # noqa: E402
from station_admin import create_app, migrations  # noqa: E402
from station_admin.classroom import library  # noqa: E402
from station_admin.classroom.models import ClassroomTarget, ClassroomVideo  # noqa: E402
from station_admin.core import models  # noqa: E402
from station_admin.demo.seed import seed_demo  # noqa: E402
from waystation.db import migrate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=20)
    parser.add_argument("--chunk-kib", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from waitress.server import create_server

    with tempfile.TemporaryDirectory() as work:
        work = Path(work)
        overrides = {"demo": True, "database": {"url": f"sqlite:///{work / 'central.db'}"},
                     "central": {"secret_key": "b" * 40, "data_key": "d" * 40},
                     "classroom": {"media_dir": str(work / "media")}}
        app = create_app(overrides)
        migrate(models.db, migrations.MIGRATIONS)
        seed_demo()
        data = os.urandom(args.mb * 2**20)
        sha = hashlib.sha256(data).hexdigest()
        (work / "media").mkdir()
        (work / "media" / sha).write_bytes(data)
        with models.db.connection_context():
            station = models.Station.get(models.Station.code == "xh-xujiahui")
            video = ClassroomVideo.create(title_zh="t", title_en="t", caption_zh="c", caption_en="c", sha256=sha,
                                          size=len(data), duration_ms=1000, width=1, height=1, poster_sha256=sha,
                                          poster_size=len(data), poster_type="image/png", starts_on=date.today(),
                                          uploaded_at=utcnow())
            ClassroomTarget.create(video=video, station=station)
        with app.app_context():
            key = library.download_key(app.extensions["waystation.protector"], "xh-xujiahui")
        server = create_server(app, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=server.run, daemon=True).start()
        url = f"http://127.0.0.1:{server.effective_port}/classroom/files"
        chunk = args.chunk_kib * 1024
        times = []
        for run in range(args.runs):
            folder = work / f"cache-{run}"
            started = time.perf_counter()
            download(folder, url, "xh-xujiahui", key, sha, len(data), chunk)
            times.append(time.perf_counter() - started)
        folder = work / "cache-resume"
        folder.mkdir()
        (folder / (sha + ".part")).write_bytes(data[:len(data) // 2])
        started = time.perf_counter()
        download(folder, url, "xh-xujiahui", key, sha, len(data), chunk)
        resumed = time.perf_counter() - started
        server.close()
    median = statistics.median(times)
    print(json.dumps({"file_mib": args.mb, "chunk_kib": args.chunk_kib, "requests": -(-len(data) // chunk),
                      "download_s_median": round(median, 3), "mib_per_s": round(args.mb / median, 1),
                      "resume_half_s": round(resumed, 3), "cpus": os.cpu_count()}))


if __name__ == "__main__":
    main()
