"""Kiosk screens: pages and the fragments htmx swaps, check-in, language, reset, bad input."""

from __future__ import annotations

from kiosk.models import ChargerSlot, CheckIn, OutboxEvent, StationInfo
from tests.conftest import csrf_of
from tests.htmx import HX, assert_fragment_and_page


def configure(app, inside=5, capacity=20, slots=(("available", 1), ("charging", 2), ("faulted", 3))):
    from devices.protocol import utcnow

    with app.app_context():
        StationInfo.insert(station_id="xh-xujiahui", name_zh="徐家汇爱心驿站", name_en="Xujiahui Rest Station",
                           district_zh="徐汇区总工会", district_en="Xuhui", capacity=capacity, charger_slots=4,
                           configured_at=utcnow(), people_inside=inside, occupancy_at=utcnow()).execute()
        for status, slot in slots:
            ChargerSlot.create(slot=slot, status=status, reported_at=utcnow())


def test_home_page_and_live_fragment(kiosk_app):
    configure(kiosk_app)
    client = kiosk_app.test_client()
    page = client.get("/").get_data(as_text=True)
    assert "徐家汇爱心驿站" in page and "签到" in page
    fragment = assert_fragment_and_page(client, "/live", "live")
    assert 'data-testid="free-seats">15<' in fragment
    assert 'data-testid="slots-free">1<' in fragment and 'data-testid="slots-charging">1<' in fragment
    assert 'data-testid="slots-faulted">1<' in fragment
    assert 'data-testid="slots-unknown"><span class="n">1</span>状态未知' in fragment  # slot 4 has not reported
    assert "slots-finished" not in fragment and "slots-unavailable" not in fragment


def test_unconfigured_kiosk_says_it_waits(kiosk_app):
    page = kiosk_app.test_client().get("/").get_data(as_text=True)
    assert "驿站编号 xh-xujiahui" in page and "正在等待中心下发驿站信息" in page


def test_checkin_with_htmx_returns_the_dialog_and_queues_one_event(kiosk_app):
    client = kiosk_app.test_client()
    client.get("/")
    response = client.post("/checkin/", headers={**HX, "X-CSRF-Token": csrf_of(client)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html and "签到成功" in html
    with kiosk_app.app_context():
        checkin = CheckIn.get()
        event = OutboxEvent.get()
        assert event.event_id == checkin.event_id and event.kind == "checkin" and event.sent_at is None
        assert checkin.member_no is None


def test_checkin_without_htmx_redirects_to_the_page_with_the_dialog(kiosk_app):
    client = kiosk_app.test_client()
    client.get("/")
    response = client.post("/checkin/", data={"csrf_token": csrf_of(client)})
    assert response.status_code == 303
    assert_fragment_and_page(client, response.headers["Location"], "dialog")
    assert "签到成功" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_forged_checkin_changes_nothing(kiosk_app):
    client = kiosk_app.test_client()
    client.get("/")
    assert client.post("/checkin/", headers=HX).status_code == 400
    assert client.post("/checkin/", headers={**HX, "X-CSRF-Token": "guess"}).status_code == 400
    with kiosk_app.app_context():
        assert CheckIn.select().count() == 0 and OutboxEvent.select().count() == 0


def test_unknown_checkin_is_404(kiosk_app):
    assert kiosk_app.test_client().get("/checkin/999").status_code == 404


def test_language_switch_and_idle_reset(kiosk_app):
    client = kiosk_app.test_client()
    client.get("/")
    response = client.post("/screen/language", data={"lang": "en", "csrf_token": csrf_of(client)})
    assert response.status_code == 303
    page = client.get("/").get_data(as_text=True)
    assert "Check in" in page and 'lang="en"' in page and 'data-pristine="false"' in page
    bad = client.post("/screen/language", data={"lang": "fr", "csrf_token": csrf_of(client)})
    assert bad.status_code == 400
    assert "Check in" in client.get("/").get_data(as_text=True)
    assert client.get("/screen/reset").status_code == 405  # a link or an image cannot wipe the screen
    assert client.post("/screen/reset").status_code == 400  # nor another site's form (no token)
    with client.session_transaction() as s:
        assert s["lang"] == "en"
    reset = client.post("/screen/reset", headers={"X-CSRF-Token": csrf_of(client)})
    assert reset.status_code == 204 and reset.headers["Cache-Control"] == "no-store"
    page = client.get("/").get_data(as_text=True)
    assert "签到" in page and 'data-pristine="true"' in page
    with client.session_transaction() as s:
        assert "lang" not in s


def test_sync_badge_counts_unsent_events(kiosk_app):
    client = kiosk_app.test_client()
    client.get("/")
    for _ in range(3):
        client.post("/checkin/", headers={**HX, "X-CSRF-Token": csrf_of(client)})
    assert "未同步：3" in client.get("/live", headers=HX).get_data(as_text=True)
    with kiosk_app.app_context():
        rows = list(OutboxEvent.select())
        OutboxEvent.mark_sent([e.seq for e in rows], rows[0].occurred_at)
    # The broker has them, central has not confirmed them: still not synced.
    assert "未同步：3" in client.get("/live", headers=HX).get_data(as_text=True)
    with kiosk_app.app_context():
        OutboxEvent.mark_confirmed([e.event_id for e in rows[:2]], rows[0].occurred_at)
    assert "未同步：1" in client.get("/live", headers=HX).get_data(as_text=True)
    with kiosk_app.app_context():
        OutboxEvent.mark_confirmed([rows[2].event_id, "f" * 32], rows[0].occurred_at)
    assert "未同步" not in client.get("/live", headers=HX).get_data(as_text=True)


def test_dismiss_returns_the_empty_dialog_slot(kiosk_app):
    client = kiosk_app.test_client()
    assert client.get("/checkin/dismiss", headers=HX).get_data(as_text=True).strip() == '<div id="dialog"></div>'
    assert client.get("/checkin/dismiss").status_code == 303


def test_only_the_untouched_home_screen_is_pristine(kiosk_app):
    """The idle reset leaves alone only the home screen of nobody in particular; every other screen counts."""
    client = kiosk_app.test_client()
    assert 'data-pristine="true"' in client.get("/").get_data(as_text=True)
    for path in ("/service/", "/join/", "/feedback/", "/charging/", "/voucher/", "/service/legal_aid"):
        assert 'data-pristine="false"' in client.get(path).get_data(as_text=True), path
    with client.session_transaction() as s:
        s["charging_member"] = "W7K3M9Q2XZ"  # a rider's scan left on the home screen is not "nobody"
    assert 'data-pristine="false"' in client.get("/").get_data(as_text=True)


def test_every_page_carries_the_idle_timings_and_is_never_cached(kiosk_settings):
    from kiosk import create_app, models
    from kiosk.migrations import MIGRATIONS
    from waystation.db import migrate

    app = create_app(kiosk_settings(kiosk={"idle_reset_seconds": 1.5, "idle_warning_seconds": 0.5}).as_dict())
    migrate(models.db, MIGRATIONS)
    try:
        client = app.test_client()
        home = client.get("/")
        page = home.get_data(as_text=True)
        assert 'data-idle-ms="1500"' in page and 'data-warning-ms="500"' in page and "1.5 秒" in page
        assert 'data-testid="idle-warning"' in page and "继续使用" in page
        assert home.headers["Cache-Control"] == "no-store"
        assert client.get("/service/").headers["Cache-Control"] == "no-store"
        assert client.get("/static/js/kiosk.js").headers.get("Cache-Control") != "no-store"
    finally:
        models.db.close()


def test_an_idle_warning_as_long_as_the_wait_is_refused_at_start(kiosk_settings):
    import pytest

    from kiosk import create_app
    from waystation.settings import ConfigError

    with pytest.raises(ConfigError, match="kiosk.idle_warning_seconds"):
        create_app(kiosk_settings(kiosk={"idle_reset_seconds": 10, "idle_warning_seconds": 10}).as_dict())
    with pytest.raises(ConfigError, match="kiosk.idle_reset_seconds"):
        create_app(kiosk_settings(kiosk={"idle_reset_seconds": 0}).as_dict())


def test_a_finished_slot_is_not_called_out_of_service(kiosk_app):
    """A finished slot still has a bike plugged in: the home screen says so, and out of service means disabled."""
    configure(kiosk_app, slots=(("available", 1), ("finished", 2), ("finished", 3), ("unavailable", 4)))
    client = kiosk_app.test_client()
    fragment = client.get("/live", headers=HX).get_data(as_text=True)
    assert 'data-testid="slots-finished"><span class="n">2</span>已充满待取车' in fragment
    assert 'data-testid="slots-unavailable"><span class="n">1</span>停用' in fragment
    assert "暂停使用" not in fragment and "slots-unknown" not in fragment
    client.get("/")
    client.post("/screen/language", data={"lang": "en", "csrf_token": csrf_of(client)})
    fragment = client.get("/live", headers=HX).get_data(as_text=True)
    assert "2</span>Done, awaiting pickup" in fragment and "1</span>Out of service" in fragment
