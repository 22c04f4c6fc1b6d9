"""The classroom at central: uploads checked by a real decoder probe, targets and dates, each station's
manifest, downloads by byte range for the station's key only, holdings and the plays report."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from devices.protocol import classroom, events, utcnow
from station_admin import create_app
from station_admin.classroom import library
from station_admin.classroom.models import ClassroomHoldings, ClassroomPlay, ClassroomVideo
from station_admin.core import models
from station_admin.core.audit import AuditEntry
from station_admin.core.context import current_protector
from station_admin.node.ingest import on_events
from tests.classroom_helpers import TEXTS, upload
from tests.classroom_helpers import staff_client as signed_in
from tests.conftest import csrf_of, local_today
from waystation.web import current_settings


@pytest.fixture
def app(central_settings, tmp_path):
    """A seeded central app that keeps classroom files in this test's folder and has a public address."""
    settings = central_settings(template="seeded", classroom={"media_dir": str(tmp_path / "media")},
                                central={"public_url": "https://central.example"})
    app = create_app(settings.as_dict())
    app.config["TESTING"] = True
    yield app
    models.db.close()


def test_an_h264_mp4_is_checked_kept_under_its_hash_audited_and_listed(app, classroom_media):
    admin = signed_in(app, "admin")
    response = upload(admin, classroom_media, district="xuhui", station=[])
    assert response.status_code == 303, response.get_data(as_text=True)
    with app.app_context():
        video = ClassroomVideo.get()
        stored = library.file_path(current_settings(), video.sha256)
        assert stored.read_bytes() == classroom_media["h264"].read_bytes()
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == video.sha256
        assert (video.width, video.height, video.poster_type) == (320, 180, "image/png")
        assert 1900 <= video.duration_ms <= 2200
        assert library.target_codes(video) == {"xh-xujiahui", "xh-caohejing", "xh-longhua"}
        entry = AuditEntry.get(AuditEntry.action == "classroom.upload")
        assert entry.details["district"] == "xuhui" and entry.actor_name == "admin"
        assert not list(stored.parent.glob(".*")), "no staged upload is left behind"
    page = admin.get("/classroom/").get_data(as_text=True)
    assert TEXTS["title_zh"] in page and 'data-video="' in page


@pytest.mark.parametrize("video, poster, fields, message", [
    ("mpeg4", "png", {}, "H.264"),
    ("webm", "png", {}, "MP4"),
    ("png", "png", {}, "decoder"),
    (None, "png", {}, "Choose the video"),
    ("h264", None, {}, "Choose the poster"),
    ("h264", "h264", {}, "JPEG or PNG"),
    ("h264", "png", {"title_en": ""}, "title in both"),
    ("h264", "png", {"caption_zh": "字" * 121}, "subtitle in both"),
    ("h264", "png", {"station": []}, "district or at least one station"),
    ("h264", "png", {"station": ["xh-nowhere"]}, "stations from the list"),
    ("h264", "png", {"starts_on": "2026-12-10", "ends_on": "2026-12-01"}, "cannot come before"),
    ("h264", "png", {"starts_on": "next week"}, "year-month-day"),
])
def test_a_bad_upload_is_refused_in_the_users_language_and_nothing_is_kept(app, classroom_media, video, poster,
                                                                           fields, message):
    admin = signed_in(app, "admin")
    admin.post("/auth/language", data={"lang": "en", "csrf_token": csrf_of(admin)})
    response = upload(admin, classroom_media, video, poster, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert ClassroomVideo.select().count() == 0
        media = Path(current_settings().classroom.media_dir)
    assert not media.exists() or list(media.iterdir()) == []


def test_limits_and_the_chinese_message(app, classroom_media, central_settings):
    small = create_app(central_settings(classroom={"max_video_bytes": 1000}).as_dict())
    small.config["TESTING"] = True
    admin = signed_in(small, "admin")
    body = upload(admin, classroom_media).get_data(as_text=True)
    assert "视频超过 0 MB" in body
    long = create_app(central_settings(classroom={"max_video_seconds": 1}).as_dict())
    long.config["TESTING"] = True
    assert "视频超过 1 秒" in upload(signed_in(long, "admin"), classroom_media).get_data(as_text=True)


def test_a_missing_ffprobe_refuses_the_upload_with_a_message(central_settings, classroom_media, tmp_path):
    app = create_app(central_settings(template="seeded", classroom={"ffprobe": str(tmp_path / "no-ffprobe"),
                                                                    "media_dir": str(tmp_path / "m")}).as_dict())
    app.config["TESTING"] = True
    response = upload(signed_in(app, "admin"), classroom_media)
    assert response.status_code == 400 and "ffprobe" in response.get_data(as_text=True)


def test_a_manager_targets_only_their_own_stations(app, classroom_media):
    manager = signed_in(app, "manager")
    assert upload(manager, classroom_media, district="xuhui").status_code == 400
    assert upload(manager, classroom_media, station=["xh-longhua"]).status_code == 400  # not theirs
    assert upload(manager, classroom_media, station=["xh-caohejing"]).status_code == 303
    assert signed_in(app, "federation").get("/classroom/new").status_code == 403


def manifests_now(app, day=None):
    with app.app_context():
        found = library.manifests(current_settings(), current_protector(), day or local_today(), utcnow())
    return {m.station: m for m in found}


def test_each_station_gets_its_targeted_videos_in_their_dates_and_a_withdrawal_takes_them_away(app, classroom_media):
    admin = signed_in(app, "admin")
    today = local_today()
    upload(admin, classroom_media, station=["xh-xujiahui"])
    upload(admin, classroom_media, "h264_3s", "jpeg", station=["xh-caohejing"],
           starts_on=str(today + timedelta(days=2)), ends_on=str(today + timedelta(days=3)))
    with app.app_context():
        first, later = [v.id for v in ClassroomVideo.select().order_by(ClassroomVideo.id)]
    now = manifests_now(app, today)
    assert [v.video_id for v in now["xh-xujiahui"].videos] == [first]
    assert now["xh-caohejing"].videos == () and now["xh-longhua"].videos == ()
    assert now["xh-xujiahui"].files_url == "https://central.example/classroom/files"
    assert [v.video_id for v in manifests_now(app, today + timedelta(days=3))["xh-caohejing"].videos] == [later]
    assert manifests_now(app, today + timedelta(days=4))["xh-caohejing"].videos == ()
    item = now["xh-xujiahui"].videos[0]
    assert item.title == {"zh": TEXTS["title_zh"], "en": TEXTS["title_en"]}
    assert item.video.size == classroom_media["h264"].stat().st_size
    # what goes on the wire parses back as it was (the kiosk's side of the contract)
    message = now["xh-xujiahui"]
    assert classroom.parse_manifest(message.topic, message.to_payload()) == message
    assert message.key != now["xh-caohejing"].key  # one key per station

    response = admin.post(f"/classroom/{first}/withdraw", data={"csrf_token": csrf_of(admin)})
    assert response.status_code == 303
    assert manifests_now(app, today)["xh-xujiahui"].videos == ()


def test_no_manifest_without_an_address_for_kiosks(central_settings):
    app = create_app(central_settings(template="seeded").as_dict())
    with app.app_context():
        assert library.manifests(current_settings(), current_protector(), local_today(), utcnow()) == []


def test_files_are_served_by_range_to_the_station_whose_manifest_names_them_only(app, classroom_media):
    upload(signed_in(app, "admin"), classroom_media, station=["xh-xujiahui"])
    keys = {code: m.key for code, m in manifests_now(app).items()}
    with app.app_context():
        video = ClassroomVideo.get()
    url = f"/classroom/files/{video.sha256}"
    client = app.test_client()
    body = classroom_media["h264"].read_bytes()

    def get(station, key, **headers):
        return client.get(url, headers={"Authorization": f"Bearer {station}:{key}", **headers})

    assert client.get(url).status_code == 401
    assert get("xh-xujiahui", "0" * 32).status_code == 401
    assert get("xh-caohejing", keys["xh-xujiahui"]).status_code == 401  # another station's key
    assert get("xh-caohejing", keys["xh-caohejing"]).status_code == 404  # not in its manifest
    assert client.get(f"/classroom/files/{'f' * 64}",
                      headers={"Authorization": f"Bearer xh-xujiahui:{keys['xh-xujiahui']}"}).status_code == 404
    part = get("xh-xujiahui", keys["xh-xujiahui"], Range="bytes=100-1099")
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(body)}"
    assert part.get_data() == body[100:1100]
    whole = get("xh-xujiahui", keys["xh-xujiahui"], Range=f"bytes=0-{len(body) - 1}")
    assert whole.status_code == 206 and whole.get_data() == body


def play(station, video, completed, when=None):
    return events.StationEvent(station, events.new_event_id(), 1, when or utcnow(),
                               events.ClassroomPlay(video, completed))


def test_plays_are_stored_once_and_the_report_counts_them_per_video_and_station(app, classroom_media):
    admin = signed_in(app, "admin")
    upload(admin, classroom_media, district="xuhui", station=[])
    with app.app_context():
        vid = ClassroomVideo.get().id
        batch = ([play("xh-xujiahui", vid, False) for _ in range(7)] + [play("xh-xujiahui", vid, True)
                                                                        for _ in range(6)]
                 + [play("xh-caohejing", vid, False) for _ in range(2)])
        on_events(batch)
        on_events(batch)  # redelivered: no second effect
        assert ClassroomPlay.select().count() == 15
    page = admin.get("/classroom/report").get_data(as_text=True)
    plays = page[page.index('id="plays"'):page.index('id="completed"')]
    # 2 at Caohejing is hidden, and so is the 7 beside it, which would give it away with the total (9)
    assert plays.count(">*<") == 4 and ">9<" in plays and ">7<" not in plays
    completed = page[page.index('id="completed"'):]
    assert ">6<" in completed
    assert admin.get("/classroom/report?from=tomorrow").status_code == 400
    # a federation sees the report for its stations; a case worker does not
    assert signed_in(app, "federation").get("/classroom/report").status_code == 200
    assert signed_in(app, "caseworker").get("/classroom/report").status_code == 403


def test_holdings_keep_the_latest_report_per_kiosk_and_show_on_the_list(app, classroom_media):
    admin = signed_in(app, "admin")
    upload(admin, classroom_media, station=["xh-xujiahui"])
    with app.app_context():
        vid = ClassroomVideo.get().id
        now = utcnow()
        library.on_holdings(classroom.Holdings("xh-xujiahui", "kiosk", now, (vid,), (), 60000), now)
        library.on_holdings(classroom.Holdings("xh-xujiahui", "kiosk", now, (), (vid,), 0),
                            now - timedelta(seconds=5))  # received earlier: does not win
        assert ClassroomHoldings.get().held == [vid]
    page = admin.get("/classroom/").get_data(as_text=True)
    assert "1 个驿站中 1 个" in page
