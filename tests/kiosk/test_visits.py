"""The visit window: a member's card scanned again at the station during one visit is one check-in,
and the screen says so honestly ("already checked in", with the time)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from devices.protocol import utcnow
from kiosk.models import CheckIn, OutboxEvent, TrustedKey
from tests.conftest import csrf_of
from tests.htmx import HX
from waystation import cards

MEMBER = "W7K3M9Q2XZ"


@pytest.fixture
def card(kiosk_app):
    """A valid member card the kiosk trusts."""
    now = utcnow()
    key, public = cards.new_signing_key()
    with kiosk_app.app_context():
        TrustedKey.create(kid="K7QX", public_key=public, received_at=now)
    return cards.sign_card(key, "K7QX", MEMBER, now - timedelta(days=1), now + timedelta(days=300))


class Clock:
    """The kiosk's clock, moved by the test (the only thing patched)."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("kiosk.models.utcnow", clock)
    return clock


def scan(client, code: str) -> str:
    return client.post("/checkin/card", data={"code": code}, headers={**HX, "X-CSRF-Token": csrf_of(client)}
                       ).get_data(as_text=True)


def checkins(app) -> int:
    with app.app_context():
        return CheckIn.select().where(CheckIn.member_no == MEMBER).count()


def test_a_second_scan_within_the_visit_is_one_checkin_and_says_already_checked_in(kiosk_app, card, clock):
    client = kiosk_app.test_client()
    client.get("/")
    first = scan(client, card)
    assert f"欢迎您，会员 {MEMBER}" in first and "already-checked-in" not in first
    first_time = (clock.now + timedelta(hours=8)).strftime("%H:%M")  # shown in Asia/Shanghai

    clock.now += timedelta(seconds=10)  # the same card 10 s later: still this visit
    again = scan(client, card)
    assert 'data-testid="already-checked-in">已签到<' in again
    assert f"您已于 {first_time} 签到，30 分钟内再次扫码只算同一次来访。" in again
    clock.now += timedelta(minutes=29)
    assert "已签到" in scan(client, card)
    assert checkins(kiosk_app) == 1
    with kiosk_app.app_context():
        assert OutboxEvent.select().where(OutboxEvent.kind == "checkin").count() == 1

    clock.now += timedelta(minutes=2)  # 31 minutes after the check-in: a new visit
    later = scan(client, card)
    assert "already-checked-in" not in later and checkins(kiosk_app) == 2


def test_the_visit_window_is_configured_and_english_says_it_too(kiosk_settings, clock):
    from kiosk import create_app, models
    from kiosk.migrations import MIGRATIONS
    from waystation.db import migrate

    app = create_app(kiosk_settings(kiosk={"visit_window_minutes": 5}).as_dict())
    migrate(models.db, MIGRATIONS)
    try:
        now = utcnow()
        key, public = cards.new_signing_key()
        with app.app_context():
            TrustedKey.create(kid="K7QX", public_key=public, received_at=now)
        card = cards.sign_card(key, "K7QX", MEMBER, now - timedelta(days=1), now + timedelta(days=300))
        client = app.test_client()
        client.get("/")
        client.post("/screen/language", data={"lang": "en", "csrf_token": csrf_of(client)})
        scan(client, card)
        clock.now += timedelta(minutes=4)
        assert "scanning again within 5 minutes counts as the same visit" in scan(client, card)
        clock.now += timedelta(minutes=2)
        assert "Already checked in" not in scan(client, card)
        assert checkins(app) == 2
    finally:
        models.db.close()
