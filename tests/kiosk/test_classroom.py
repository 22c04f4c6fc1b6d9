"""The kiosk's classroom cache: downloads from the real central by byte ranges, resumed after the
connection broke, refused by hash when the bytes are wrong, kept within its limit, reported to
central; and the whole path over a real Mosquitto, from an upload at central to a play central counts."""

from __future__ import annotations

import dataclasses
import http.server
import threading
import urllib.request
from datetime import timedelta

import pytest

from devices.protocol import classroom, events, utcnow
from kiosk import classroom_cache as cache
from kiosk import models as kiosk_models
from kiosk.classroom_cache import ClassroomVideo
from kiosk.classroom_download import DownloadError, download
from kiosk.node import KioskNode
from station_admin import create_app as create_central
from station_admin.classroom import library
from station_admin.classroom.models import ClassroomHoldings, ClassroomPlay
from station_admin.classroom.models import ClassroomVideo as CentralVideo
from station_admin.core import models as central_models
from station_admin.core.context import current_protector
from tests.brokers import free_port
from tests.browser.conftest import running_central, served
from tests.classroom_helpers import TEXTS, staff_client, upload
from tests.conftest import csrf_of, kiosk_for, local_today, start_node, wait_until
from waystation.web import current_settings

STATION = "xh-xujiahui"


def manifest_of(central_app, station=STATION, files_url=None) -> classroom.Manifest:
    with central_app.app_context(), central_models.db.connection_context():
        found = {m.station: m for m in library.manifests(current_settings(), current_protector(), local_today(),
                                                         utcnow())}[station]
    return dataclasses.replace(found, files_url=files_url) if files_url else found


@pytest.fixture
def central_app(central_settings, tmp_path):
    app = create_central(central_settings(template="seeded", classroom={"media_dir": str(tmp_path / "media")},
                                          central={"public_url": "http://unused.example"}).as_dict())
    app.config["TESTING"] = True
    yield app
    central_models.db.close()


class CuttingProxy:
    """An HTTP proxy in front of central that cuts the first `cuts` answers off halfway through their
    body (the connection closes, as when central dies or the network drops), and optionally flips a byte."""

    def __init__(self, target: str, cuts: int = 0, corrupt: bool = False):
        self.target, self.cuts, self.corrupt = target, cuts, corrupt
        self.ranges: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                proxy.ranges.append(self.headers.get("Range", ""))
                request = urllib.request.Request(proxy.target + self.path, headers={
                    k: v for k, v in self.headers.items() if k in ("Range", "Authorization")})
                try:
                    answer = urllib.request.urlopen(request, timeout=10)
                except urllib.error.HTTPError as e:
                    answer = e
                body = answer.read()
                if proxy.corrupt and body:
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                self.send_response(answer.status if hasattr(answer, "status") else answer.code)
                for name in ("Content-Range", "Content-Type"):
                    if answer.headers.get(name):
                        self.send_header(name, answer.headers[name])
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if proxy.cuts > 0:
                    proxy.cuts -= 1
                    self.wfile.write(body[:len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_an_interrupted_download_resumes_from_the_last_byte_written(central_app, classroom_media, tmp_path):
    assert upload(staff_client(central_app), classroom_media).status_code == 303
    with served(central_app) as url:
        proxy = CuttingProxy(url, cuts=1)
        try:
            manifest = manifest_of(central_app, files_url=proxy.url + "/classroom/files")
            item = manifest.videos[0].video
            folder = tmp_path / "cache"
            with pytest.raises(DownloadError, match="broke off"):
                download(folder, manifest.files_url, STATION, manifest.key, item.sha256, item.size, 1 << 20)
            part = folder / (item.sha256 + ".part")
            kept = part.stat().st_size
            assert 0 < kept < item.size  # what arrived before the cut is kept...
            assert not (folder / item.sha256).exists()  # ...and a partial file is never taken for a cached one
            download(folder, manifest.files_url, STATION, manifest.key, item.sha256, item.size, 16384)
        finally:
            proxy.close()
    assert proxy.ranges[0] == f"bytes=0-{item.size - 1}"
    assert proxy.ranges[1].startswith(f"bytes={kept}-")  # resumed where it broke off, not from the start
    assert (folder / item.sha256).read_bytes() == classroom_media["h264"].read_bytes()
    assert not part.exists()


def test_a_corrupt_file_is_refused_by_its_hash(central_app, classroom_media, tmp_path):
    assert upload(staff_client(central_app), classroom_media).status_code == 303
    with served(central_app) as url:
        proxy = CuttingProxy(url, corrupt=True)
        try:
            manifest = manifest_of(central_app, files_url=proxy.url + "/classroom/files")
            item = manifest.videos[0].video
            folder = tmp_path / "cache"
            with pytest.raises(DownloadError, match="refused"):
                download(folder, manifest.files_url, STATION, manifest.key, item.sha256, item.size, 1 << 22)
        finally:
            proxy.close()
        assert list(folder.iterdir()) == []  # neither kept as the file nor as a part to resume
        # the same file straight from central (good bytes) is taken
        download(folder, url + "/classroom/files", STATION, manifest.key, item.sha256, item.size, 1 << 22)
        assert cache.is_held(folder, item.sha256, item.size)


def test_a_wrong_key_gets_nothing(central_app, classroom_media, tmp_path):
    assert upload(staff_client(central_app), classroom_media).status_code == 303
    with served(central_app) as url:
        manifest = manifest_of(central_app)
        item = manifest.videos[0].video
        with pytest.raises(DownloadError, match="401"):
            download(tmp_path, url + "/classroom/files", STATION, "0" * 32, item.sha256, item.size, 4096)


def video_row(vid, sha, size, listed_days_ago=0, position=0):
    return ClassroomVideo(video_id=vid, position=position, title_zh="", title_en="", caption_zh="", caption_en="",
                          video_sha256=sha, video_size=size, poster_sha256="p" * 63 + str(vid), poster_size=10,
                          listed_at=utcnow() - timedelta(days=listed_days_ago))


def test_the_cache_holds_the_most_recently_used_that_fit_and_evicts_the_rest(tmp_path):
    folder = tmp_path / "cache"
    folder.mkdir()
    old, recent, new = "a" * 64, "b" * 64, "c" * 64
    for sha in (old, recent):
        (folder / sha).write_bytes(b"x" * 100)
    import os
    import time
    os.utime(folder / old, (time.time() - 86400 * 5, time.time() - 86400 * 5))  # played 5 days ago
    videos = [video_row(1, old, 100, 10), video_row(2, recent, 100, 10, 1), video_row(3, new, 100, 2, 2)]
    # room for two: the recently played one and the newly listed one (2 days) beat the one played 5 days ago
    plan = cache.plan(videos, cache.held_files(folder), limit=220)
    assert [v.video_id for v in plan.videos] == [2, 3]
    (folder / (old + ".part")).write_bytes(b"x")
    (folder / ("d" * 64)).write_bytes(b"gone")  # no longer in any manifest
    cache.evict(folder, plan.files)
    assert sorted(p.name for p in folder.iterdir()) == [recent]
    # stable: the video just evicted is not fetched back at the next pass
    assert [v.video_id for v in cache.plan(videos, cache.held_files(folder), limit=220).videos] == [2, 3]


@pytest.mark.timeout(90)
def test_an_upload_reaches_the_kiosk_cache_and_its_plays_reach_central(
        central_settings, kiosk_settings, shared_mosquitto, classroom_media, tmp_path, running):
    port = free_port()
    settings = central_settings(shared_mosquitto.url, template="seeded", classroom={
        "media_dir": str(tmp_path / "media"), "files_url": f"http://127.0.0.1:{port}/classroom/files",
        "publish_seconds": 0.2})
    with running_central(settings, seeded=True) as central, served(central.app, port):
        assert upload(staff_client(central.app), classroom_media).status_code == 303
        kiosk_app, k_settings = kiosk_for(STATION, lambda *a, **kw: kiosk_settings(*a, **kw, classroom={
            "cache_dir": str(tmp_path / "cache"), "retry_seconds": 0.5, "chunk_bytes": 8192}), shared_mosquitto.url)
        node: KioskNode = start_node(running, kiosk_app, k_settings)
        with central.app.app_context():
            vid = CentralVideo.get().id

        def held_at_central():
            with central_models.db.connection_context():
                row = ClassroomHoldings.get_or_none(ClassroomHoldings.station_code == STATION)
                return row is not None and row.held == [vid] and row.missing == []
        wait_until(held_at_central, timeout=30, message="the kiosk to download the video and report it held")
        with kiosk_app.app_context(), kiosk_models.db.connection_context():
            held = cache.playable(cache.cache_dir(k_settings))
            assert [v.video_id for v in held] == [vid]
            assert held[0].title_zh == TEXTS["title_zh"]

        client = kiosk_app.test_client()
        page = client.get("/classroom/").get_data(as_text=True)
        assert f'data-testid="lesson-{vid}"' in page and TEXTS["title_zh"] in page
        media = client.get(f"/classroom/media/{held[0].video_sha256}", headers={"Range": "bytes=0-99"})
        assert media.status_code == 206 and media.get_data() == classroom_media["h264"].read_bytes()[:100]
        assert client.get(f"/classroom/{vid}/subtitles.zh.vtt").get_data(as_text=True).startswith("WEBVTT")
        token = csrf_of(client)
        for completed in ("0", "1"):
            assert client.post("/classroom/played", data={"video": str(vid), "completed": completed},
                               headers={"X-CSRF-Token": token}).status_code == 204
        assert client.post("/classroom/played", data={"video": "999", "completed": "0"},
                           headers={"X-CSRF-Token": token}).status_code == 400

        def counted():
            with central_models.db.connection_context():
                return sorted(p.completed for p in ClassroomPlay.select().where(ClassroomPlay.video_id == vid))
        wait_until(lambda: counted() == [False, True], timeout=20, message="both plays stored at central")

        # withdrawn at central: the next manifest leaves it out and the kiosk evicts it
        admin = staff_client(central.app)
        admin.post(f"/classroom/{vid}/withdraw", data={"csrf_token": csrf_of(admin)})

        def evicted():
            return not any((tmp_path / "cache").iterdir())
        wait_until(evicted, timeout=20, message="the withdrawn video evicted from the kiosk cache")
        assert node.classroom.passes > 0


def test_the_played_report_takes_only_a_video_of_the_manifest_and_queues_nothing_else(kiosk_app):
    manifest = classroom.Manifest(STATION, "http://127.0.0.1:1/classroom/files", "0" * 32, (classroom.Video(
        4, {"zh": "安全", "en": "Safety"}, {"zh": "字幕", "en": "Subtitle"}, classroom.FileRef("a" * 64, 10),
        classroom.FileRef("b" * 64, 10)),), utcnow())
    with kiosk_app.app_context(), kiosk_models.db.connection_context():
        cache.on_manifest(manifest)
    client = kiosk_app.test_client()
    client.get("/classroom/")
    token = csrf_of(client)
    for video, completed in (("²", "0"), ("0", "0"), ("5", "0"), ("4", "yes"), ("", "0"), ("4" * 40, "0")):
        response = client.post("/classroom/played", data={"video": video, "completed": completed},
                               headers={"X-CSRF-Token": token})
        assert response.status_code == 400, video
    assert client.post("/classroom/played", data={"video": "4", "completed": "0"}).status_code == 400  # no token
    assert client.get("/classroom/4/subtitles.fr.vtt").status_code == 404
    assert client.get(f"/classroom/media/{'a' * 64}").status_code == 404  # listed, but not in the cache
    assert client.get("/classroom/media/..%2f..%2fetc%2fpasswd").status_code == 404
    with kiosk_app.app_context(), kiosk_models.db.connection_context():
        assert kiosk_models.OutboxEvent.select().count() == 0
    assert client.post("/classroom/played", data={"video": "4", "completed": "1"},
                       headers={"X-CSRF-Token": token}).status_code == 204
    with kiosk_app.app_context(), kiosk_models.db.connection_context():
        event = kiosk_models.OutboxEvent.get()
        assert event.to_message(STATION).body == events.ClassroomPlay(4, True)
