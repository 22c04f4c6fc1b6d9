"""The classroom in a real browser: a video uploaded at central plays on a kiosk whose network was cut
after the download (the <video> really plays: its time advances), and the untouched home screen plays
the cached videos muted with subtitles until a touch brings the home screen back at once."""

from __future__ import annotations

import contextlib
import shutil

import pytest
from playwright.sync_api import expect

from devices.protocol import classroom, utcnow
from tests.brokers import free_port
from tests.browser.conftest import LANDSCAPE, PORTRAIT, publish_station, running_central, running_kiosk, served
from tests.classroom_helpers import staff_client, upload
from tests.conftest import wait_until

pytestmark = pytest.mark.browser
STATION = "xh-xujiahui"


def playing(page, selector: str, beyond: float = 0.5) -> None:
    """Wait until the video at `selector` has played past `beyond` seconds and is still going."""
    page.wait_for_function(
        "([s, t]) => { const v = document.querySelector(s);"
        " return v && !v.paused && v.readyState >= 2 && v.currentTime > t; }",
        arg=[selector, beyond], timeout=15_000)


@pytest.mark.timeout(120)
def test_a_video_uploaded_at_central_plays_on_a_kiosk_whose_network_was_cut(
        mosquitto, central_settings, kiosk_settings, classroom_media, tmp_path, open_page):
    from kiosk import classroom_cache as cache
    from kiosk.models import OutboxEvent, db

    port = free_port()
    settings = central_settings(mosquitto.url, template="seeded", classroom={
        "media_dir": str(tmp_path / "media"), "files_url": f"http://127.0.0.1:{port}/classroom/files",
        "publish_seconds": 0.2})
    k_settings = kiosk_settings(mosquitto.url, migrated=True, classroom={
        "cache_dir": str(tmp_path / "cache"), "retry_seconds": 0.5, "idle_seconds": 0})
    with running_kiosk(k_settings) as kiosk:
        with contextlib.ExitStack() as network:
            central = network.enter_context(running_central(settings, seeded=True))
            network.enter_context(served(central.app, port))
            assert upload(staff_client(central.app), classroom_media).status_code == 303

            def held():
                with db.connection_context():
                    return len(cache.playable(cache.cache_dir(k_settings))) == 1
            wait_until(held, timeout=30, message="the kiosk to download and check the video")
        # The network is cut: central is gone, and so is the broker.
        mosquitto.stop()
        wait_until(lambda: not kiosk.node.link.connected.is_set(), message="the kiosk to see it is offline")

        page = open_page(LANDSCAPE)
        page.goto(kiosk.url + "/")
        page.get_by_test_id("classroom-open").click()
        lesson = page.locator("[data-video]")
        expect(lesson).to_have_count(1)
        expect(lesson).to_contain_text("电动车充电安全")
        page.screenshot(path=str(tmp_path / "classroom-list.png"))
        lesson.click()
        playing(page, "[data-testid=classroom-video]")
        size = page.evaluate("() => { const v = document.querySelector('[data-testid=classroom-video]');"
                             " return [v.videoWidth, v.videoHeight, v.textTracks[0].mode]; }")
        assert size == [320, 180, "showing"]
        page.screenshot(path=str(tmp_path / "classroom-playing.png"))

        def queued():
            with db.connection_context():
                return [e.kind for e in OutboxEvent.select().where(OutboxEvent.confirmed_at.is_null())]
        wait_until(lambda: "classroom_play" in queued(), message="the play queued in the outbox while offline")
        # the 2 s video ends: the completed play is queued too, and the list comes back
        expect(page.locator("[data-lessons]")).to_be_visible(timeout=15_000)
        wait_until(lambda: queued().count("classroom_play") == 2, message="the completed play queued")


def cached_kiosk(kiosk_settings, shared_mosquitto, topic_root, media, tmp_path, **classroom_options):
    """Kiosk settings whose cache already holds one video (as a download leaves it) and its manifest."""
    import hashlib

    from kiosk import classroom_cache as cache
    from kiosk.migrations import MIGRATIONS
    from kiosk.models import db
    from waystation.db import migrate

    settings = kiosk_settings(shared_mosquitto.url, migrated=True, classroom={
        "cache_dir": str(tmp_path / "cache"), **classroom_options})
    folder = cache.cache_dir(settings)
    folder.mkdir(parents=True)
    refs = []
    for path in (media["h264_3s"], media["png"]):
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
        shutil.copy(path, folder / sha)
        refs.append(classroom.FileRef(sha, path.stat().st_size))
    video = classroom.Video(7, {"zh": "骑行安全", "en": "Riding safely"},
                            {"zh": "戴好头盔，安全骑行", "en": "Wear a helmet"}, *refs)
    manifest = classroom.Manifest(STATION, "http://127.0.0.1:1/classroom/files", "0" * 32, (video,), utcnow())
    from kiosk import create_app
    create_app(settings.as_dict())
    migrate(db, MIGRATIONS)
    with db.connection_context():
        cache.on_manifest(manifest)
    db.close()
    publish_station(shared_mosquitto.port, topic_root)
    return settings


@pytest.mark.timeout(90)
def test_the_idle_home_screen_plays_muted_with_subtitles_and_a_touch_brings_home_back(
        shared_mosquitto, topic_root, kiosk_settings, classroom_media, tmp_path, open_page):
    from kiosk.models import CheckIn, db

    settings = cached_kiosk(kiosk_settings, shared_mosquitto, topic_root, classroom_media, tmp_path,
                            idle_seconds=1.5)
    with running_kiosk(settings) as kiosk:
        page = open_page(PORTRAIT)
        page.goto(kiosk.url + "/")
        idle = page.get_by_test_id("classroom-idle")
        expect(idle).to_be_visible(timeout=10_000)
        playing(page, "[data-testid=idle-video]", 0.3)
        state = page.evaluate("""() => { const v = document.querySelector('[data-testid=idle-video]');
            const cue = v.textTracks[0].activeCues && v.textTracks[0].activeCues[0];
            return [v.muted, v.textTracks[0].mode, cue ? cue.text : null]; }""")
        assert state == [True, "showing", "戴好头盔，安全骑行"]
        page.screenshot(path=str(tmp_path / "idle.png"))
        # A touch where the check-in button is: the idle screen goes at once, and nobody is checked in.
        box = page.get_by_test_id("checkin").bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        expect(idle).to_be_hidden(timeout=1_000)
        expect(page.get_by_test_id("checkin")).to_be_visible()
        assert page.evaluate("document.querySelector('[data-testid=idle-video]').paused")
        with db.connection_context():
            assert CheckIn.select().count() == 0
        assert page.locator("#dialog .dialog").count() == 0
        # Left alone again, it comes back.
        expect(idle).to_be_visible(timeout=10_000)


@pytest.mark.timeout(60)
def test_the_classroom_screen_says_so_when_nothing_is_cached(kiosk, open_page):
    running = kiosk()
    page = open_page(LANDSCAPE, locale="en-US")
    page.goto(running.url + "/classroom/")
    expect(page.get_by_test_id("classroom-empty")).to_be_visible()
    assert page.locator("#classroom-idle").count() == 0
