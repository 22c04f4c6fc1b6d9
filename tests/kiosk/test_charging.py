"""The kiosk's charging screen without a network: every bad tap or scan says why and starts nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from devices.protocol import commands, utcnow
from devices.protocol.events import new_event_id
from kiosk.models import ChargerSlot, StationInfo, TrustedKey
from kiosk.operations import Announcement, ChargeStart, StationSession, on_announce
from tests.conftest import csrf_of
from tests.htmx import HX, assert_fragment_and_page
from waystation import cards

MEMBER = "W7K3M9Q2XZ"


@pytest.fixture
def screen(kiosk_app):
    """A kiosk with 4 slots in every state, a trusted card key, and a rider who scanned a valid card."""
    now = utcnow()
    key, public = cards.new_signing_key()
    with kiosk_app.app_context():
        info = StationInfo.for_station("xh-xujiahui")
        info.charger_slots, info.configured_at = 4, now
        info.save()
        TrustedKey.create(kid="K7QX", public_key=public, received_at=now)
        for slot, status in enumerate(["available", "charging", "faulted", "unavailable"], start=1):
            ChargerSlot.create(slot=slot, status=status, reported_at=now)
    client = kiosk_app.test_client()
    client.get("/charging/")
    card = cards.sign_card(key, "K7QX", MEMBER, now - timedelta(days=1), now + timedelta(days=300))
    chosen = client.post("/charging/card", data={"code": card}, headers={**HX, "X-CSRF-Token": csrf_of(client)})
    assert f"会员 {MEMBER}" in chosen.get_data(as_text=True)
    return client


def tap(client, slot, htmx=True):
    headers = {**HX, "X-CSRF-Token": csrf_of(client)} if htmx else {"X-CSRF-Token": csrf_of(client)}
    return client.post("/charging/start", data={"slot": slot}, headers=headers)


def test_the_screen_lists_slots_and_takes_scans(kiosk_app, screen):
    fragment = assert_fragment_and_page(screen, "/charging/slots", "charging-slots")
    assert fragment.count("data-status=") == 4 and "故障" in fragment
    page = screen.get("/charging/").get_data(as_text=True)
    assert 'data-scan-url="/charging/card"' in page
    chosen = screen.post("/charging/card", data={"code": "not a card"},
                         headers={**HX, "X-CSRF-Token": csrf_of(screen)}).get_data(as_text=True)
    assert 'data-testid="charging-refused"' in chosen


@pytest.mark.parametrize("slot, message", [
    ("9", "没有这个充电口。"), ("abc", "没有这个充电口。"), ("", "没有这个充电口。"),
    ("2", "2 号口正在使用"), ("3", "3 号口有故障"), ("4", "4 号口已停用"),
    ("1", "充电桩暂时连接不上"),  # free, but no controller can be reached (no MQTT node here)
])
def test_bad_taps_say_why_and_start_nothing(kiosk_app, screen, slot, message):
    assert message in tap(screen, slot).get_data(as_text=True)
    response = tap(screen, slot, htmx=False)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with kiosk_app.app_context():
        assert ChargeStart.select().count() == 0


def test_one_session_per_member_and_scan_first(kiosk_app, screen):
    now = utcnow()
    with kiosk_app.app_context():
        StationSession.create(session_id="c" * 32, slot=2, member_no=MEMBER, started_at=now, reported_at=now,
                              energy_wh=33)
    assert "每位会员同时只能充一辆车" in tap(screen, "1").get_data(as_text=True)
    rescan = screen.get("/charging/").get_data(as_text=True)
    assert "您正在" not in rescan  # the member is shown only in the dialog the scan opens
    stranger = kiosk_app.test_client()
    stranger.get("/charging/")
    assert "请先扫描会员卡" in tap(stranger, "1").get_data(as_text=True)
    with kiosk_app.app_context():
        assert ChargeStart.select().count() == 0


def test_announcements_show_until_their_end(kiosk_app):
    def announce(until):
        return commands.Command("xh-xujiahui", "kiosk", new_event_id(), "announce", utcnow(),
                                {"text": {"zh": "今晚停电", "en": "Power cut tonight"}, "until": until})

    from devices.protocol import format_time

    with kiosk_app.app_context():
        assert on_announce(announce(format_time(utcnow() - timedelta(minutes=1)))) == "expired"
        assert Announcement.select().count() == 0
        assert on_announce(announce(format_time(utcnow() + timedelta(minutes=30)))) is None
    assert "今晚停电" in kiosk_app.test_client().get("/live", headers=HX).get_data(as_text=True)
