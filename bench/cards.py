"""Member card cryptography and pictures: cards signed and verified per second, QR drawing time.

Verification is what a kiosk does on every scan, on one core: parse, signature, validity and a
revocation check against 2,000 held revocations. `verify_per_s` keeps the revocations in memory (the
cryptography the target is about: at least 5,000 a second, so a scan never waits on it);
`verify_kiosk_path_per_s` is the kiosk's actual path, which looks revocations up in its SQLite
through peewee (about 100 µs a query, still far beyond any scanner's pace). Rates are per CPU second
of this process, i.e. what one core does, so a machine busy with other work does not halve them
(the wall-clock verify rate is printed beside). Signing is central's
side (one per join or re-issue). QR drawing is timed uncached (waystation.qr caches pages' codes;
this measures the first draw). The last line printed is one JSON object.

    python bench/cards.py            # about 10 seconds
    python bench/cards.py --seconds 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import cryptography  # noqa: E402

from devices.protocol import utcnow  # noqa: E402
from waystation import cards, qr  # noqa: E402

TARGET_VERIFY_PER_S = 5000


def rate(fn, seconds: float) -> tuple[float, float]:
    """Calls of `fn` per CPU second of this process (what one core does, however busy the machine is
    with other work) and per wall-clock second, over about `seconds` of CPU time after a warm-up."""
    for _ in range(50):
        fn()
    done, cpu_start, wall_start = 0, time.process_time(), time.perf_counter()
    while (cpu := time.process_time() - cpu_start) < seconds:
        for _ in range(100):
            fn()
        done += 100
    return done / cpu, done / (time.perf_counter() - wall_start)


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="seconds per rate measurement")
    args = parser.parse_args()

    key, public = cards.new_signing_key()
    now = utcnow()
    issued, expires = now - timedelta(days=1), now + timedelta(days=365)
    sign_rate, _ = rate(lambda: cards.sign_card(key, "BNCH", "W7K3M9Q2XZ", issued, expires), args.seconds)
    text = cards.sign_card(key, "BNCH", "W7K3M9Q2XZ", issued, expires)

    # The kiosk's verification path: keys as it holds them, the revocation look-up in its SQLite.
    import peewee

    from kiosk import models

    with tempfile.TemporaryDirectory() as tmp:
        models.db.init(str(Path(tmp) / "kiosk.db"), pragmas={"journal_mode": "wal"})
        with models.db.bind_ctx(models.MODELS), models.db.connection_context():
            models.db.create_tables(models.MODELS)
            models.Revocation.insert_many([{"member_no": cards.new_member_no(), "shard": "0", "before": None}
                                           for _ in range(2000)]).execute()
            kiosk_path = cards.CardVerifier({"BNCH": public}, models.Revocation.covers)
            assert kiosk_path.check(text, now).valid
            kiosk_rate, _ = rate(lambda: kiosk_path.check(text, now), args.seconds)
            held = {r.member_no: r.before for r in models.Revocation.select()}
        in_memory = cards.CardVerifier(
            {"BNCH": public}, lambda m, at: m in held and (held[m] is None or at < held[m]))
        assert in_memory.check(text, now).valid
        verify_rate, verify_wall_rate = rate(lambda: in_memory.check(text, now), args.seconds)
        assert isinstance(models.db, peewee.SqliteDatabase)

    # Wall clock: the rider waits on it.
    svg_ms = median_ms(lambda: qr.qr_svg.__wrapped__(text), 30)
    png_ms = median_ms(lambda: qr.qr_png.__wrapped__(text), 30)
    cached_svg_us = median_ms(lambda: qr.qr_svg(text), 200) * 1000

    print(f"[bench/cards] sign {sign_rate:,.0f}/s, verify {verify_rate:,.0f}/s "
          f"({kiosk_rate:,.0f}/s with the kiosk's SQLite revocation look-up); "
          f"QR SVG {svg_ms:.1f} ms, PNG {png_ms:.1f} ms "
          f"(cached {cached_svg_us:.1f} µs); card {len(text)} chars", file=sys.stderr)
    print(json.dumps({
        "bench": "cards", "sign_per_s": round(sign_rate), "verify_per_s": round(verify_rate),
        "verify_kiosk_path_per_s": round(kiosk_rate), "verify_wall_clock_per_s": round(verify_wall_rate),
        "rates_are": "per CPU second of this process (one core)",
        "load_average_1m": round(os.getloadavg()[0], 2), "target_verify_per_s": TARGET_VERIFY_PER_S,
        "meets_target": verify_rate >= TARGET_VERIFY_PER_S, "qr_svg_ms": round(svg_ms, 2),
        "qr_png_ms": round(png_ms, 2), "qr_svg_cached_us": round(cached_svg_us, 2), "card_chars": len(text),
        "revocations_held": 2000, "python": platform.python_version(), "cryptography": cryptography.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
