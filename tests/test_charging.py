"""Charging end to end through a real broker: kiosk scan and tap, controller agent on simulated hardware,
central's session records; repeated messages, a broker outage mid-session, killed and silent controllers."""

from __future__ import annotations

import re
import signal
from datetime import timedelta

import pytest

from devices.protocol import commands, utcnow
from devices.protocol.events import new_event_id
from tests.charging_helpers import (
    STATION,
    DrivenCharger,
    Recorder,
    device_heard_since,
    kiosk_post,
    member_card,
    open_alarms,
    sessions_at,
    start_central,
    start_kiosk,
)
from tests.conftest import WaystationProcess, wait_until, waystation_env

pytestmark = pytest.mark.timeout(120)


def kiosk_ready(kiosk):
    from kiosk.models import ChargerSlot, StationInfo, TrustedKey

    with kiosk.app_context():
        return (StationInfo.for_station(STATION).charger_slots == 8 and ChargerSlot.select().count() == 8
                and TrustedKey.select().where(TrustedKey.kid != "sealing").exists())


def test_a_charge_through_the_kiosk_and_the_controller_is_recorded_once(shared_mosquitto, running, central_settings,
                                                                        kiosk_settings, topic_root):
    from station_admin.core.models import db
    from station_admin.live.charging import ChargerSlotEvent

    central, _ = start_central(running, central_settings, shared_mosquitto.url)
    rec = running.start(Recorder(shared_mosquitto.url, topic_root, "station/+/charger/+/session"))
    kiosk, _ = start_kiosk(running, kiosk_settings, shared_mosquitto.url)
    charger = running.start(DrivenCharger(kiosk_settings(shared_mosquitto.url).broker))
    wait_until(lambda: kiosk_ready(kiosk), timeout=20, message="kiosk configured, with slots and card keys")
    member_no, card = member_card(central)

    screen = kiosk.test_client()
    page = screen.get("/charging/").get_data(as_text=True)
    assert 'data-scan-url="/charging/card"' in page and 'data-testid="slot-8"' in page
    chosen = kiosk_post(screen, "/charging/card", code=card)
    assert f"会员 {member_no}" in chosen and 'data-testid="start-slot-2"' in chosen
    pending = kiosk_post(screen, "/charging/start", slot="2")
    command_id = re.search(r"/charging/start/([0-9a-f]{32})", pending).group(1)
    answer = wait_until(lambda: 'data-status="accepted"' in (h := screen.get(
        f"/charging/start/{command_id}", headers={"HX-Request": "true"}).get_data(as_text=True)) and h,
        message="the controller's answer on the kiosk")
    assert "已在 2 号口开始充电" in answer

    first = wait_until(lambda: sessions_at(), message="the session at central")[0]
    assert (first.slot, first.member_no, first.ended_at, first.limit_s) == (2, member_no, None, 4 * 3600)
    # One active session per member: the kiosk refuses a second one before asking the controller.
    from kiosk.operations import StationSession

    def kiosk_knows():
        with kiosk.app_context():
            return StationSession.open_for(member_no)
    wait_until(kiosk_knows, message="the session at the kiosk")
    second = kiosk_post(screen, "/charging/start", slot="3")
    assert 'data-key="kiosk.charging.reason.member_charging"' in second and "每位会员同时只能充一辆车" in second
    # ... and the controller refuses one that reaches it anyway (another kiosk, or a stale one).
    rec.publish_message(commands.Command(STATION, "charger", new_event_id(), "slot_start", utcnow(),
                                         {"slot": 4, "member_no": member_no}))

    charger.charge(2, 120)
    wait_until(lambda: sessions_at()[0].energy_wh == 120, message="progress at central")
    charger.charge(2, 160, finish=True)
    done = wait_until(lambda: (s := sessions_at()[0]).ended_at and s, message="the end at central")
    assert (done.end_reason, done.energy_wh) == ("full", 160)
    rescan = kiosk_post(screen, "/charging/card", code=card)
    assert "您上次在 2 号口充了 160 瓦时（已充满）" in rescan

    # The controller repeats everything, in any order: still one record, still ended full.
    rec.wait_for(b'"phase":"end"')  # the session's last message: all before it have arrived too
    seen = rec.drain()
    phases = [re.search(rb'"phase":"(\w+)"', p).group(1) for _, p in seen]
    assert phases[0] == b"start" and phases[-1] == b"end" and b"progress" in phases
    for topic, payload in [*reversed(seen), *seen]:
        rec.publish(topic, payload)
    rec.handled_by_central()
    assert [(s.session_id, s.end_reason, s.energy_wh) for s in sessions_at()] == [(first.session_id, "full", 160)]
    with db.connection_context():
        history = [e.status for e in ChargerSlotEvent.history(STATION, 2)]
    assert history == ["available", "charging", "finished"]


def test_broker_outage_mid_session_still_one_record(mosquitto, running, central_settings, kiosk_settings, topic_root):
    central, _ = start_central(running, central_settings, mosquitto.url,
                               alarms={"evaluate_seconds": 0.5, "heartbeat_timeout_s": 30})
    charger = running.start(DrivenCharger(kiosk_settings(mosquitto.url).broker))
    rec = running.start(Recorder(mosquitto.url, topic_root, "station/+/command/+/reply"))
    rec.publish_message(commands.Command(STATION, "charger", new_event_id(), "slot_start", utcnow(),
                                         {"slot": 5, "member_no": "W7K3M9Q2XZ"}))
    session = wait_until(lambda: sessions_at(), message="the session at central")[0]
    charger.charge(5, 40)
    wait_until(lambda: sessions_at()[0].energy_wh == 40, message="progress at central")

    mosquitto.stop()
    charger.charge(5, 90)
    charger.polled()
    charger.charge(5, 130, finish=True)  # progress and end are queued by the agent's client
    charger.polled()
    mosquitto.start()
    # The restarted broker ends the controller's old session and sends its Last Will, so central
    # closes the session as controller_lost; the controller's late end then brings the final energy.
    done = wait_until(lambda: (s := sessions_at()[0]).energy_wh == 130 and s, timeout=30,
                      message="the final energy after the outage")
    assert (done.session_id, done.end_reason) == (session.session_id, "controller_lost")
    assert done.ended_at is not None
    charger.heard()  # anything else the controller had queued has reached central by now
    assert len(sessions_at()) == 1


def simulator(tmp_path, broker_url, topic_root, **settings) -> WaystationProcess:
    env = waystation_env(broker_url=broker_url, broker_topic_root=topic_root, simulator_mean_interval_s=0.3,
                         simulator_seed=7, operations_device_heartbeat_seconds=1, **settings)
    return WaystationProcess("simulate", env, tmp_path / "simulate.log")


def heard_since(moment, timeout: float = 15) -> None:
    """A barrier: wait until central handles a heartbeat the simulated controller sent after `moment`;
    what it sent before that heartbeat has been handled too (one client, one subscription, in order)."""
    wait_until(lambda: device_heard_since(STATION, "charger", moment + timedelta(milliseconds=1)), timeout=timeout,
               message="central to hear from the controller")


def run_simulate(proc: WaystationProcess, station: str) -> WaystationProcess:
    proc.proc = None
    import subprocess
    import sys

    from tests.conftest import ROOT
    with open(proc.log, "a") as out:
        proc.proc = subprocess.Popen([sys.executable, "-m", "waystation.cli", "simulate", "--station",
                                      f"{station}:20:8"], cwd=ROOT, env=proc.env, stdout=out,
                                     stderr=subprocess.STDOUT)
    return proc


def test_a_killed_controller_closes_its_sessions_as_controller_lost(shared_mosquitto, running, central_settings,
                                                                     topic_root, tmp_path):
    start_central(running, central_settings, shared_mosquitto.url)
    proc = run_simulate(simulator(tmp_path, shared_mosquitto.url, topic_root, broker_keepalive=2), STATION)
    running.items.append(proc)
    wait_until(lambda: any(s.ended_at is None for s in sessions_at()), timeout=60, message="a session charging")
    heard_since(utcnow())  # central is up to date with the controller before it dies
    proc.kill()  # SIGKILL: no goodbye; the broker sends the Last Will after 1.5 x keep-alive
    open_then = {s.session_id for s in sessions_at() if s.ended_at is None}
    wait_until(lambda: all(s.ended_at for s in sessions_at()), timeout=20, message="every session closed")
    records = sessions_at()
    assert len(records) == len({s.session_id for s in records})
    for s in records:
        if s.session_id in open_then:
            assert s.end_reason == "controller_lost" and s.ended_at == s.reported_at
    alarm = wait_until(lambda: open_alarms().get(("device_offline", f"{STATION}/charger")), message="offline alarm")
    assert alarm.details["why"] == "last_will" and alarm.severity == "critical"

    run_simulate(proc, STATION)  # back: the alarm clears, the lost sessions stay as they are
    wait_until(lambda: ("device_offline", f"{STATION}/charger") not in open_alarms(), timeout=20,
               message="the alarm cleared")
    assert all(s.end_reason == "controller_lost" for s in sessions_at() if s.session_id in open_then)


def test_a_silent_controller_raises_an_alarm_and_its_session_is_closed_once(shared_mosquitto, running,
                                                                            central_settings, topic_root, tmp_path):
    start_central(running, central_settings, shared_mosquitto.url,
                  alarms={"evaluate_seconds": 0.5, "heartbeat_timeout_s": 3})
    proc = run_simulate(simulator(tmp_path, shared_mosquitto.url, topic_root, broker_keepalive=120), STATION)
    running.items.append(proc)
    wait_until(lambda: any(s.ended_at is None for s in sessions_at()), timeout=60, message="a session charging")
    proc.proc.send_signal(signal.SIGSTOP)  # alive to the broker for 180 s, but says nothing
    try:
        alarm = wait_until(lambda: open_alarms().get(("device_offline", f"{STATION}/charger")), timeout=15,
                           message="the no-heartbeat alarm")
        assert alarm.details["why"] == "no_heartbeat"
        wait_until(lambda: all(s.ended_at for s in sessions_at()), timeout=10, message="sessions closed")
        lost = {s.session_id: s.energy_wh for s in sessions_at() if s.end_reason == "controller_lost"}
        assert lost
    finally:
        proc.proc.send_signal(signal.SIGCONT)
    # It wakes up and goes on reporting those sessions: no second record, the end reason stays.
    wait_until(lambda: ("device_offline", f"{STATION}/charger") not in open_alarms(), timeout=15,
               message="the alarm cleared after heartbeats resume")
    heard_since(utcnow())  # what it had kept while stopped and sent on waking has reached central
    records = sessions_at()
    assert len(records) == len({s.session_id for s in records})
    for s in records:
        if s.session_id in lost:
            assert s.end_reason == "controller_lost" and s.energy_wh >= lost[s.session_id]
