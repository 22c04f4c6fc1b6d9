"""Alarms and staff commands at central: raised and cleared by the conditions, handled by staff (audited),
scoped by role, kept across app restarts; commands with clear refusals and outcomes."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from devices.protocol import availability, charger, commands, heartbeat, occupancy, sessions, utcnow
from station_admin.core.audit import AuditEntry
from station_admin.core.models import StaffUser, db
from station_admin.live import alarms
from station_admin.live.alarms import Alarm
from station_admin.live.commands import Command, settle, time_out
from station_admin.node import ingest
from tests.conftest import csrf_of, wait_until
from tests.htmx import HX, assert_fragment_and_page
from tests.station_admin.conftest import signed_in
from tests.station_admin.requests_helpers import file

COUNTER = availability.DeviceKind.PEOPLE_COUNTER


def evaluate(app, now):
    with app.app_context(), db.connection_context(), db.atomic():
        return alarms.evaluate(now, app.extensions["waystation.settings"].alarms)


def apply(app, *handlers_and_messages):
    """Apply messages as ingest does, each received at its own `ts` (devices with exact clocks)."""
    with app.app_context(), db.connection_context(), db.atomic():
        for handler, message in handlers_and_messages:
            handler(message, getattr(message, "ts", None))


def open_keys(app):
    with db.connection_context():
        return {(a.kind, a.source) for a in Alarm.open()}


def test_each_alarm_kind_is_raised_and_cleared_by_its_condition(central_app):
    t0 = utcnow()
    fresh = lambda s: t0 + timedelta(seconds=s)  # noqa: E731
    apply(central_app,
          (ingest.on_availability, availability.Availability("xh-longhua", "counter", COUNTER, True)),
          (ingest.on_heartbeat, heartbeat.Heartbeat("xh-longhua", "counter", t0)),
          (ingest.on_availability, availability.Availability("xh-longhua", "kiosk", availability.DeviceKind.KIOSK,
                                                             True)),
          (ingest.on_heartbeat, heartbeat.Heartbeat("xh-longhua", "kiosk", t0, outbox_pending=150)),
          (ingest.on_charger, charger.ChargerSlotState("xh-longhua", 4, charger.SlotStatus.FAULTED, 0, 0, t0,
                                                       "overcurrent")),
          (ingest.on_occupancy, occupancy.Occupancy("xh-longhua", 11, 30, 19, t0)))  # 11 of 12 seats
    evaluate(central_app, fresh(5))
    assert open_keys(central_app) == {("outbox_backlog", "xh-longhua/kiosk"), ("slot_faulted", "xh-longhua/4"),
                                      ("occupancy_high", "xh-longhua")}
    evaluate(central_app, fresh(61))  # a minute of silence: both devices are offline
    assert {("device_offline", "xh-longhua/counter"), ("device_offline", "xh-longhua/kiosk")} <= open_keys(central_app)
    with db.connection_context():
        alarm = Alarm.get(Alarm.open_key == "device_offline|xh-longhua/counter")
        assert (alarm.severity, alarm.details["why"]) == ("critical", "no_heartbeat")

    apply(central_app,
          (ingest.on_heartbeat, heartbeat.Heartbeat("xh-longhua", "counter", fresh(62))),
          (ingest.on_heartbeat, heartbeat.Heartbeat("xh-longhua", "kiosk", fresh(62), outbox_pending=0)),
          (ingest.on_charger, charger.ChargerSlotState("xh-longhua", 4, charger.SlotStatus.AVAILABLE, 0, 0,
                                                       fresh(62))),
          (ingest.on_occupancy, occupancy.Occupancy("xh-longhua", 9, 30, 21, fresh(62))))
    evaluate(central_app, fresh(63))
    assert open_keys(central_app) == set()
    # The Last Will: offline at once, whatever the heartbeat says.
    apply(central_app, (ingest.on_availability, availability.Availability("xh-longhua", "counter", COUNTER, False)))
    evaluate(central_app, fresh(64))
    with db.connection_context():
        assert Alarm.get(Alarm.open_key == "device_offline|xh-longhua/counter").details["why"] == "last_will"
        cleared = list(Alarm.select().where(Alarm.cleared_at.is_null(False)))
        assert len(cleared) == 5 and {a.cleared_by_name for a in cleared} == {"system"}
        assert {a.clear_reason for a in cleared} == {"resolved"}


def test_overdue_and_unrouted_requests_raise_alarms(central_app):
    from station_admin.requests.casework import record_contact
    from station_admin.requests.models import ServiceRequest

    filed = file(central_app)
    later = filed.due_at + timedelta(hours=1)
    evaluate(central_app, later)
    assert ("request_overdue", filed.tracking_code) in open_keys(central_app)
    with central_app.app_context(), db.connection_context():
        record_contact(ServiceRequest.get_by_id(filed.id), StaffUser.get(username="caseworker"), later)
        other = file(central_app)
        ServiceRequest.update(status="unrouted", centre=None).where(ServiceRequest.id == other.id).execute()
    evaluate(central_app, later)
    keys = open_keys(central_app)
    assert ("request_overdue", filed.tracking_code) not in keys and ("request_unrouted", other.tracking_code) in keys


def test_staff_acknowledge_and_clear_audited_scoped_and_kept_across_restarts(central_app, central_settings):
    t0 = utcnow()
    apply(central_app,
          (ingest.on_charger, charger.ChargerSlotState("xh-longhua", 2, charger.SlotStatus.FAULTED, 0, 0, t0,
                                                       "ground")),
          (ingest.on_charger, charger.ChargerSlotState("mh-elsewhere", 1, charger.SlotStatus.FAULTED, 0, 0, t0)))
    evaluate(central_app, t0)
    with db.connection_context():
        managed = [s.station.code for s in StaffUser.get(username="manager").managed]
    admin = signed_in(central_app, "admin")
    board = assert_fragment_and_page(admin, "/alarms/", "alarms")
    assert board.count('data-open="true"') == 2 and "sev-critical" in board

    manager = signed_in(central_app, "manager")
    seen = manager.get("/alarms/", headers=HX).get_data(as_text=True)
    assert ("xh-longhua/2" in seen) == ("xh-longhua" in managed) and "mh-elsewhere" not in seen
    with db.connection_context():
        elsewhere = Alarm.get(Alarm.source == "mh-elsewhere/1")
        mine = Alarm.get(Alarm.source == "xh-longhua/2")
    assert manager.post(f"/alarms/{elsewhere.id}/clear", headers={**HX, "X-CSRF-Token": csrf_of(manager)}
                        ).status_code == 404
    federation = signed_in(central_app, "federation")
    assert federation.post(f"/alarms/{mine.id}/acknowledge",
                           headers={**HX, "X-CSRF-Token": csrf_of(federation)}).status_code == 403

    token = {**HX, "X-CSRF-Token": csrf_of(admin)}
    acked = admin.post(f"/alarms/{mine.id}/acknowledge", headers=token).get_data(as_text=True)
    assert 'data-testid="acknowledged"' in acked
    again = admin.post(f"/alarms/{mine.id}/acknowledge", headers=token).get_data(as_text=True)
    assert 'data-testid="alarm-notice"' in again  # said, and nothing changed

    # A new app on the same database (a restart) shows the same alarms, acknowledged as they were.
    from station_admin import create_app

    restarted = create_app(central_settings().as_dict())
    restarted.config["TESTING"] = True
    page = signed_in(restarted, "admin").get("/").get_data(as_text=True)
    assert page.index('id="alarms"') < page.index('id="stations"') and "xh-longhua/2" in page
    assert 'data-testid="acknowledged"' in page

    cleared = admin.post(f"/alarms/{mine.id}/clear", headers=token).get_data(as_text=True)
    assert cleared.count('data-open="true"') == 1 and 'data-open="false"' in cleared
    with db.connection_context():
        row = Alarm.get_by_id(mine.id)
        assert (row.cleared_by_name, row.clear_reason, row.open_key) == ("admin", "staff", None)
        assert [e.action for e in AuditEntry.for_subject("alarm", mine.id)] == ["alarm.acknowledge", "alarm.clear"]


@pytest.mark.parametrize("form, message", [
    ({"name": "slot_disable", "slot": "0"}, "充电口编号必须是 1 到 4 之间的数字。"),
    ({"name": "slot_disable", "slot": "5"}, "充电口编号必须是 1 到 4 之间的数字。"),
    ({"name": "slot_stop", "slot": "x"}, "充电口编号必须是 1 到 4 之间的数字。"),
    ({"name": "reboot"}, "不认识这个指令。"),
    ({"name": "announce", "text_zh": "今晚停电", "text_en": " ", "minutes": "30"}, "请填写中文和英文通知。"),
    ({"name": "announce", "text_zh": "长" * 281, "text_en": "x", "minutes": "30"}, "通知最多 280 个字。"),
    ({"name": "announce", "text_zh": "今晚停电", "text_en": "Power cut", "minutes": "0"}, "显示分钟数必须是"),
])
def test_bad_commands_say_why_and_change_nothing(central_app, form, message):
    admin = signed_in(central_app, "admin")
    response = admin.post("/commands/station/xh-longhua", data={**form, "csrf_token": csrf_of(admin)})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    fragment = admin.post("/commands/station/xh-longhua", data=form, headers={**HX, "X-CSRF-Token": csrf_of(admin)})
    assert fragment.status_code == 200 and 'data-testid="command-error"' in fragment.get_data(as_text=True)
    with db.connection_context():
        assert Command.select().count() == 0 and AuditEntry.select().where(
            AuditEntry.subject_kind == "command").count() == 0


def test_commands_are_audited_settled_and_shown(central_app):
    admin = signed_in(central_app, "admin")
    token = {**HX, "X-CSRF-Token": csrf_of(admin)}
    pending = admin.post("/commands/station/xh-longhua", data={"name": "slot_disable", "slot": "3"}, headers=token)
    assert 'data-status="pending"' in pending.get_data(as_text=True) and "hx-trigger=\"every" in pending.get_data(
        as_text=True)
    admin.post("/commands/station/xh-longhua", data={"name": "announce", "text_zh": "今晚停电", "text_en": "Power cut",
                                                     "minutes": "30"}, headers=token)
    federation = signed_in(central_app, "federation")
    assert federation.post("/commands/station/xh-longhua", data={"name": "slot_enable", "slot": "1"},
                           headers={**HX, "X-CSRF-Token": csrf_of(federation)}).status_code == 403
    now = utcnow()
    with central_app.app_context(), db.connection_context():
        disable, announce = Command.select().order_by(Command.id)
        assert (disable.device, json.loads(disable.args)) == ("charger", {"slot": 3})
        assert announce.device == "kiosk" and announce.to_message().args["text"]["en"] == "Power cut"
        assert settle(commands.CommandReply("xh-longhua", "charger", disable.command_id, False, now, "slot_busy"), now)
        assert not settle(commands.CommandReply("xh-longhua", "charger", disable.command_id, True, now), now)
        assert time_out(now + timedelta(seconds=11), 10) == 1
        actions = [e.action for e in AuditEntry.select().where(AuditEntry.subject_kind == "command")
                   .order_by(AuditEntry.id)]
    assert actions == ["command.request", "command.request", "command.rejected", "command.timed_out"]
    shown = assert_fragment_and_page(admin, f"/commands/{disable.command_id}", f"command-{disable.command_id}")
    assert "被拒绝" in shown and "正在使用" in shown and "hx-trigger" not in shown
    assert "超时未回应" in admin.get(f"/commands/{announce.command_id}", headers=HX).get_data(as_text=True)
    page = admin.get("/commands/station/xh-longhua").get_data(as_text=True)
    # Slot 4 never reported (unknown): it can be disabled or enabled, but there is nothing to stop.
    assert 'data-testid="slot_disable-4"' in page and 'data-testid="slot_enable-4"' in page
    assert 'data-testid="slot_stop-4"' not in page and "超时未回应" in page


def test_each_slot_offers_only_what_applies_and_refreshes_when_a_command_settles(central_app):
    """Stop only where a bike charges, enable only what is out of service; stop and disable ask first; fault
    codes in the user's language; a settled command tells the page to refresh its slot table."""
    t0 = utcnow()
    state = charger.SlotStatus
    apply(central_app,
          (ingest.on_availability, availability.Availability("xh-longhua", "charger",
                                                             availability.DeviceKind.CHARGER_CONTROLLER, True)),
          (ingest.on_charger, charger.ChargerSlotState("xh-longhua", 1, state.CHARGING, 900, 120, t0)),
          (ingest.on_charger, charger.ChargerSlotState("xh-longhua", 2, state.AVAILABLE, 0, 0, t0)),
          (ingest.on_charger, charger.ChargerSlotState("xh-longhua", 3, state.UNAVAILABLE, 0, 0, t0)),
          (ingest.on_charger, charger.ChargerSlotState("xh-longhua", 4, state.FAULTED, 0, 0, t0, "overcurrent")))
    admin = signed_in(central_app, "admin")
    table = admin.get("/commands/station/xh-longhua/slots", headers=HX).get_data(as_text=True)
    names = ("slot_stop", "slot_disable", "slot_enable")
    offered = {n: [name for name in names if f'data-testid="{name}-{n}"' in table] for n in range(1, 5)}
    assert offered == {1: ["slot_stop", "slot_disable"], 2: ["slot_disable"], 3: ["slot_enable"], 4: ["slot_disable"]}
    assert "确定要停止 1 号口的充电吗" in table and "确定要停用 2 号口吗" in table
    assert 'data-testid="fault-4">过流<' in table and "overcurrent" not in table
    page = admin.get("/commands/station/xh-longhua").get_data(as_text=True)
    assert 'id="ops-slots"' in page and "commandSettled from:body" in page
    federation = signed_in(central_app, "federation")
    assert "slot_stop-1" not in federation.get("/commands/station/xh-longhua/slots", headers=HX).get_data(as_text=True)

    token = {**HX, "X-CSRF-Token": csrf_of(admin)}
    admin.post("/commands/station/xh-longhua", data={"name": "slot_stop", "slot": "1"}, headers=token)
    with db.connection_context():
        command = Command.get()
    polled = admin.get(f"/commands/{command.command_id}", headers=HX)
    assert "HX-Trigger" not in polled.headers  # still pending
    with central_app.app_context(), db.connection_context():
        settle(commands.CommandReply("xh-longhua", "charger", command.command_id, True, utcnow()), utcnow())
    assert admin.get(f"/commands/{command.command_id}", headers=HX).headers["HX-Trigger"] == "commandSettled"

    refused = admin.post("/commands/station/xh-longhua", data={"name": "announce", "text_zh": "", "text_en": "",
                                                             "minutes": "60"}, headers=token)
    assert refused.headers["HX-Retarget"] == "#command-result" and "请填写中文和英文通知。" in refused.get_data(
        as_text=True)


def test_a_second_session_of_a_member_elsewhere_is_stopped_by_central(central_app):
    t0 = utcnow()

    def start(station, slot, sid):
        return sessions.ChargeSession(station, slot, sid, sessions.Phase.START, t0, t0, member_no="W7K3M9Q2XZ")

    apply(central_app, (ingest.on_session, start("xh-longhua", 1, "a" * 32)),
          (ingest.on_session, start("xh-xujiahui", 6, "b" * 32)))
    with db.connection_context():
        stop = Command.get()
        assert (stop.station_code, stop.name, json.loads(stop.args), stop.requested_by_name) == (
            "xh-xujiahui", "slot_stop", {"slot": 6}, "system")


def test_a_command_to_a_gone_controller_times_out_and_says_so(shared_mosquitto, running, central_settings):
    from tests.charging_helpers import start_central

    app, _ = start_central(running, central_settings, shared_mosquitto.url,
                           operations={"command_poll_seconds": 0.2})  # the default 10 s timeout
    admin = signed_in(app, "admin")
    sent = admin.post("/commands/station/xh-longhua", data={"name": "slot_stop", "slot": "2"},
                      headers={**HX, "X-CSRF-Token": csrf_of(admin)}).get_data(as_text=True)
    command_id = sent.split('id="command-')[1][:32]
    shown = wait_until(lambda: 'data-status="timed_out"' in (h := admin.get(
        f"/commands/{command_id}", headers=HX).get_data(as_text=True)) and h, timeout=14, interval=0.5,
        message="the timeout on screen")
    assert "超时未回应" in shown
    with db.connection_context():
        row = Command.get(Command.command_id == command_id)
        assert row.published_at is not None and (row.answered_at - row.requested_at).total_seconds() < 11.5
