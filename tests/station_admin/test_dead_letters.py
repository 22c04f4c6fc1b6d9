"""Dead letters: kept once and counted, shown to admins only (zh-CN and English), re-run after a fix or
discarded, both audited; and a worker that dies anyway ends its process, non-zero."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

from devices.protocol import join, occupancy, utcnow
from station_admin.core.audit import AuditEntry
from station_admin.core.models import StationLive, db
from station_admin.live.alarms import Alarm
from station_admin.live.deadletters import DeadLetter
from station_admin.node.ingest import IngestWorker
from tests.conftest import csrf_of, wait_until
from tests.fuzzing import mqtt_message
from tests.htmx import HX, assert_fragment_and_page
from tests.station_admin.test_ingest_poison import MARK, install_poison
from tests.station_admin.test_queue import signed_in
from tests.test_failures import ROOT, tail, waystation_env

STATION = "xh-longhua"


def poisoned_worker(app) -> tuple[IngestWorker, list]:
    """A worker (not connected: store() only) that has put two occupancy readings in the dead letters."""
    settings = app.extensions["waystation.settings"]
    worker = IngestWorker(settings)
    root = settings.broker.topic_root
    readings = [occupancy.Occupancy(STATION, MARK, 0, 0, utcnow()), occupancy.Occupancy("xh-xujiahui", MARK, 1, 0,
                                                                                        utcnow())]
    with app.app_context(), db.connection_context():
        install_poison(db)
        for reading in readings:
            message = mqtt_message(join(root, reading.topic), reading.to_payload())
            worker.store([message])
            worker.store([message])  # delivered again: one dead letter, counted twice
    return worker, readings


def test_dead_letters_are_kept_once_counted_alarmed_and_admin_only(central_app):
    worker, _ = poisoned_worker(central_app)
    assert worker.dead_letters == 4
    with central_app.app_context(), db.connection_context():
        letters = list(DeadLetter.select().order_by(DeadLetter.id))
        assert [(d.count, d.status) for d in letters] == [(2, "open"), (2, "open")]
        assert letters[0].first_seen <= letters[0].last_seen
        alarm = Alarm.get(Alarm.open_key == "ingest_dead_letter|ingest")
        assert alarm.severity == "critical" and alarm.station_code is None

    admin = signed_in(central_app, "admin")
    page = admin.get("/dead-letters/").get_data(as_text=True)
    assert "无法入库的消息" in page and page.count('data-testid="dead-letter"') == 2 and "poisoned by the test" in page
    assert 'data-testid="nav-dead-letters"' in page
    assert_fragment_and_page(admin, "/dead-letters/", "dead-letters")
    admin.post("/auth/language", data={"lang": "en", "csrf_token": csrf_of(admin)})
    page = admin.get("/dead-letters/").get_data(as_text=True)
    assert "Messages ingest could not apply" in page and "Re-run" in page and "Discard" in page
    assert "Messages ingest could not apply" in admin.get("/alarms/").get_data(as_text=True)

    for role in ("manager", "federation"):
        other = signed_in(central_app, role)
        assert other.get("/dead-letters/").status_code == 403
        assert other.post(f"/dead-letters/{letters[0].id}/discard", headers={**HX, "X-CSRF-Token": csrf_of(other)}
                          ).status_code == 403
        assert "nav-dead-letters" not in other.get("/alarms/").get_data(as_text=True)
        assert "ingest_dead_letter" not in other.get("/alarms/").get_data(as_text=True)  # no station: admins only
    with central_app.app_context(), db.connection_context():
        assert DeadLetter.select().where(DeadLetter.status == "open").count() == 2


def test_rerun_after_a_fix_applies_it_and_discard_throws_it_away_both_audited(central_app):
    worker, readings = poisoned_worker(central_app)
    with central_app.app_context(), db.connection_context():
        first, second = DeadLetter.select().order_by(DeadLetter.id)
    admin = signed_in(central_app, "admin")
    csrf = {**HX, "X-CSRF-Token": csrf_of(admin)}

    fragment = admin.post(f"/dead-letters/{first.id}/rerun", headers=csrf).get_data(as_text=True)
    assert 'data-testid="dead-letter-notice"' in fragment and "<html" not in fragment
    # Asked to re-run already: it cannot be discarded meanwhile, and the admin is told why.
    assert "已不在等待处理" in admin.post(f"/dead-letters/{first.id}/discard", headers=csrf).get_data(as_text=True)
    admin.post(f"/dead-letters/{second.id}/discard", headers=csrf)

    # Still broken: the re-run fails and the letter waits again with the error.
    with central_app.app_context():
        worker.rerun_requested(force=True)
    with central_app.app_context(), db.connection_context():
        assert DeadLetter.get_by_id(first.id).status == "open"
        assert StationLive.get_or_none(StationLive.station_code == STATION) is None
    admin.post(f"/dead-letters/{first.id}/rerun", headers=csrf)
    with central_app.app_context(), db.connection_context():
        db.execute_sql("DROP TRIGGER poison_1" + ("" if "sqlite" in type(db.obj).__name__.lower()
                                                  else ' ON "stationlive"'))  # the fix
    with central_app.app_context():
        worker.rerun_requested(force=True)
    with central_app.app_context(), db.connection_context():
        assert DeadLetter.get_by_id(first.id).status == "resolved"
        assert DeadLetter.get_by_id(second.id).status == "discarded"
        assert StationLive.get(StationLive.station_code == STATION).people_inside == MARK
        assert StationLive.get_or_none(StationLive.station_code == "xh-xujiahui") is None  # discarded: not applied
        actions = [(e.action, e.actor_name) for e in AuditEntry.select().where(AuditEntry.subject_kind == "dead_letter")
                   .order_by(AuditEntry.id)]
        assert actions == [("dead_letter.rerun", "admin"), ("dead_letter.discard", "admin"),
                           ("dead_letter.rerun_failed", "system"), ("dead_letter.rerun", "admin"),
                           ("dead_letter.resolved", "system")]
    # A discarded message that comes again is counted, and stays discarded.
    settings = central_app.extensions["waystation.settings"]
    with central_app.app_context(), db.connection_context():
        db.execute_sql("DELETE FROM stationlive")
        reading = readings[1]
        install_again = mqtt_message(join(settings.broker.topic_root, reading.topic), reading.to_payload())
        worker.store([install_again])
        assert DeadLetter.get_by_id(second.id).status == "discarded"


def test_a_dying_ingest_worker_ends_the_process_with_a_non_zero_status(tmp_path, mosquitto):
    """`waystation ingest`, with its ingest thread killed by an exception from outside: the process exits 70."""
    script = textwrap.dedent("""
        import ctypes, sys, threading, time
        from waystation import cli

        def kill_ingest():
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                thread = next((t for t in threading.enumerate() if t.name == "ingest"), None)
                if thread is not None:
                    time.sleep(1)
                    # An exception raised inside the ingest thread, as any unforeseen failure would be.
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident),
                                                               ctypes.py_object(RuntimeError))
                    return
                time.sleep(0.1)

        threading.Thread(target=kill_ingest, daemon=True).start()
        sys.exit(cli.main(["ingest"]))
    """)
    env = waystation_env(broker_url=mosquitto.url, broker_topic_root="death/waystation/v1",
                         database_url=f"sqlite:///{tmp_path / 'central.db'}", central_secret_key="c" * 40,
                         central_data_key="d" * 40, ingest_client_id="ingest-death")
    log = tmp_path / "ingest.log"
    started = time.monotonic()
    with open(log, "w") as out:
        process = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=out,
                                 stderr=subprocess.STDOUT, timeout=60)
    assert process.returncode == 70, f"exit status {process.returncode}{tail(log)}"
    assert time.monotonic() - started < 45
    text = log.read_text()
    assert "the ingest worker died" in text and "ending the process" in text


def test_a_healthy_worker_keeps_running(central_settings, running, shared_mosquitto):
    """The control: without the injected failure the worker stays alive and nothing calls on_death."""
    settings = central_settings(shared_mosquitto.url, template="migrated")
    from tests.station_admin.test_ingest import migrated

    migrated(settings)
    worker = IngestWorker(settings)
    deaths = []
    worker.on_death = deaths.append
    running.start(worker)
    wait_until(worker.link.subscribed.is_set, message="subscribed")
    time.sleep(1)
    assert worker.alive and not deaths


def test_a_rerun_its_worker_never_finished_is_open_again_at_the_next_start_audited(central_app):
    from station_admin.live.deadletters import claim_reruns

    worker, _ = poisoned_worker(central_app)
    with central_app.app_context(), db.connection_context():
        first, _ = DeadLetter.select().order_by(DeadLetter.id)
    admin = signed_in(central_app, "admin")
    admin.post(f"/dead-letters/{first.id}/rerun", headers={**HX, "X-CSRF-Token": csrf_of(admin)})
    # The worker claims the re-run, and its process dies before it settles it.
    with central_app.app_context(), db.connection_context():
        assert [r.id for r in claim_reruns(worker.client_id, utcnow())] == [first.id]
        assert DeadLetter.get_by_id(first.id).status == "running"

    restarted = IngestWorker(central_app.extensions["waystation.settings"])  # the same ingest.client_id
    with central_app.app_context():
        restarted.rerun_requested(force=True)
    with central_app.app_context(), db.connection_context():
        letter = DeadLetter.get_by_id(first.id)
        assert letter.status == "open" and "interrupted" in letter.error and letter.claimed_by is None
        entry = AuditEntry.get(AuditEntry.action == "dead_letter.rerun_interrupted")
        assert entry.actor_name == "system" and entry.subject_id == str(first.id)
    page = admin.get("/dead-letters/").get_data(as_text=True)
    assert "interrupted" in page  # the admin sees why it waits again, and may re-run or discard it
