"""What surveys cost central (SQLite, on this machine): deciding invitations for a batch of card
check-ins, counting responses, and the results of one version with many responses.

Usage: python bench/surveys.py [--members 5000] [--batch 500] [--runs 3]. Prints JSON: milliseconds per
check-in of the invitation decision (in ingest's batch), per counted response, and of one version's
results (all questions, both cross-tabs, suppression) for every member's response.
"""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from devices.protocol import events, utcnow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    from station_admin import migrations
    from station_admin.core import models
    from station_admin.core.protect import DataProtector
    from station_admin.demo.seed import seed_demo, seed_survey
    from station_admin.members.models import Member
    from station_admin.surveys import responses, results
    from station_admin.surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyResponse
    from waystation.db import migrate, open_database
    from waystation.web import catalog

    protector = DataProtector(secrets.token_hex(32))
    zh = catalog("zh")
    with tempfile.TemporaryDirectory() as tmp:
        models.db.initialize(open_database(f"sqlite:///{Path(tmp) / 'central.db'}"))
        migrate(models.db, migrations.MIGRATIONS)
        seed_demo(protector)
        now = utcnow()
        with models.db.connection_context(), models.db.atomic():
            seed_survey(models.Federation.get())
            district = models.District.get(models.District.code == "xuhui")
            platforms = ["meituan", "eleme", "sf", "dada"]
            Member.insert_many([{
                "member_no": f"B{n:09d}", "name": "骑手", "phone_enc": "x", "phone_hash": f"h{n}",
                "platform": platforms[n % 4], "worker_group": "courier" if n % 4 == 2 else "delivery_rider",
                "district": district.id, "status": "active", "created_at": now, "page_token_hash": f"t{n}"}
                for n in range(args.members)]).execute()
        survey = Survey.get()
        version = survey.published()
        numbers = [f"B{n:09d}" for n in range(args.members)]

        invite_ms = []
        for run in range(args.runs):
            batch = [events.StationEvent("xh-xujiahui", events.new_event_id(), n, now,
                                         events.CheckIn("card", numbers[(run * args.batch + n) % args.members]))
                     for n in range(args.batch)]
            with models.db.connection_context(), models.db.atomic():
                SurveyInvitation.delete().execute()
                start = time.perf_counter()
                sent = responses.invitations(batch, protector, "Asia/Shanghai", "https://c.example", now)
                invite_ms.append((time.perf_counter() - start) * 1000 / args.batch)

        start = time.perf_counter()
        with models.db.connection_context(), models.db.atomic():
            for n, member in enumerate(Member.select(Member, models.District).join(models.District)):
                answers = {"q1": f"c{1 + n % 4}", "q2": (f"c{1 + n % 3}",), "q3": 1 + n % 5, "q4": n % 13}
                responses.record(survey, version, member, responses.check_answers(version, answers, "kiosk"),
                                 events.new_event_id(), "kiosk", "xh-xujiahui", now, now, protector)
        record_ms = (time.perf_counter() - start) * 1000 / max(Member.select().count(), 1)

        result_ms = []
        with models.db.connection_context():
            for _ in range(args.runs):
                start = time.perf_counter()
                found = results.version_results(version, "zh", lambda key, **v: zh.get(key, key).format(**v), None)
                results.export_rows(found, lambda key, **v: zh.get(key, key).format(**v))
                result_ms.append((time.perf_counter() - start) * 1000)
            counted = SurveyResponse.select().count()
            answer_rows = SurveyAnswer.select().count()
        print(json.dumps({"members": args.members, "checkins_per_batch": args.batch,
                          "invited_last_batch": len(sent),
                          "invitation_ms_per_checkin": round(statistics.median(invite_ms), 3),
                          "record_ms_per_response": round(record_ms, 3), "responses": counted,
                          "answer_rows": answer_rows, "results_ms": round(statistics.median(result_ms), 1)}))


if __name__ == "__main__":
    main()
