"""The kiosk's classroom downloader: fetches what the manifest names from central by byte ranges.

A thread of its own (started with the kiosk's MQTT node) wakes on each manifest and every
`classroom.retry_seconds`: it evicts what the plan no longer holds, then fetches each missing file
into `<sha256>.part` with HTTP Range requests of `classroom.chunk_bytes`, appending what arrives,
so an interrupted download (central gone, the network cut, the process killed) resumes from the
last byte written. A complete part is hashed; only a file whose SHA-256 is the one the manifest
names is renamed into place, anything else is deleted and fetched again at the next attempt.
After each pass the kiosk reports what it holds (retained), and after every connect.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import urllib.error
import urllib.request
from pathlib import Path

from devices.protocol import classroom
from kiosk import classroom_cache as cache
from kiosk.classroom_cache import ClassroomSource, ClassroomVideo
from kiosk.listener import stored
from kiosk.models import db

log = logging.getLogger(__name__)
TIMEOUT_S = 30
_SYNC_EVERY = 8 * 2**20  # fsync the part file every few MiB, so a power cut loses little


class DownloadError(Exception):
    """A file could not be fetched this time (network, central's answer, or a hash that did not match)."""


def fetch(url: str, station_id: str, key: str, sha256: str, size: int, part: Path, chunk: int) -> None:
    """Bring `part` up to `size` bytes of the file by Range requests from where it ends; DownloadError otherwise."""
    offset = part.stat().st_size if part.exists() else 0
    with open(part, "ab") as out:
        written = 0
        while offset < size:
            last = min(offset + chunk, size) - 1
            request = urllib.request.Request(f"{url.rstrip('/')}/{sha256}", headers={
                "Range": f"bytes={offset}-{last}", "Authorization": f"Bearer {station_id}:{key}"})
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
                    if answer.status != 206 or not answer.headers.get("Content-Range", "").startswith(
                            f"bytes {offset}-"):
                        raise DownloadError(f"central answered {answer.status} without the range asked for")
                    while True:
                        data = answer.read(min(65536, last + 1 - offset))
                        if not data:
                            break
                        out.write(data)
                        offset += len(data)
                        written += len(data)
                        if written >= _SYNC_EVERY:
                            out.flush()
                            os.fsync(out.fileno())
                            written = 0
                        if offset > last:
                            break
            except urllib.error.HTTPError as e:
                raise DownloadError(f"central answered HTTP {e.code}") from None
            except (urllib.error.URLError, OSError, ValueError) as e:
                raise DownloadError(f"download broke off at byte {offset}: {getattr(e, 'reason', e)}") from None
            finally:
                out.flush()
                os.fsync(out.fileno())
            if offset <= last:
                raise DownloadError(f"download broke off at byte {offset}")


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in pieces."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def download(folder: Path, url: str, station_id: str, key: str, sha256: str, size: int, chunk: int) -> None:
    """Fetch one file into the cache: resume its part, check its hash, rename it into place."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / (sha256 + cache.PART)
    if part.exists() and part.stat().st_size > size:
        part.unlink()
    fetch(url, station_id, key, sha256, size, part, chunk)
    found = sha256_of(part)
    if found != sha256:
        part.unlink()
        raise DownloadError(f"file {sha256[:12]}… refused: its SHA-256 is {found[:12]}…, not the manifest's")
    os.replace(part, folder / sha256)
    log.info("classroom cache: %s (%d bytes) downloaded and checked", sha256[:12], size)


class ClassroomDownloader:
    """Listens to the station's manifest, keeps the cache to it, reports what it holds."""

    def __init__(self, link, settings):
        c, k = settings.classroom, settings.kiosk
        self.link, self.station_id, self.device_id = link, k.station_id, k.device_id
        self.folder = cache.cache_dir(settings)
        self.limit, self.chunk, self.retry_s = c.cache_max_bytes, c.chunk_bytes, c.retry_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reported = None
        self.passes = 0
        link.on_connect(self._on_connect)

    def subscribe(self) -> None:
        """Register the manifest subscription (kept across reconnects by the link)."""
        self.link.subscribe(classroom.MANIFEST_PATTERN.format(station=self.station_id),
                            stored(self.link, classroom.parse_manifest, self._on_manifest))

    def _on_manifest(self, manifest: classroom.Manifest) -> None:
        cache.on_manifest(manifest)
        self._wake.set()

    def _on_connect(self) -> None:
        self._reported = None
        self._wake.set()

    def start(self) -> None:
        """Keep the cache in a background thread."""
        self._thread = threading.Thread(target=self._run, name="classroom", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the current request."""
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=TIMEOUT_S + 5)

    def wake(self) -> None:
        """Look at the cache now."""
        self._wake.set()

    def run_once(self) -> int:
        """One pass: evict, fetch what is missing, report; returns how many files failed."""
        with db.connection_context():
            videos = list(ClassroomVideo.in_order())
            source = ClassroomSource.get_or_none(ClassroomSource.station_id == self.station_id)
        wanted = cache.plan(videos, cache.held_files(self.folder), self.limit)
        cache.evict(self.folder, wanted.files)
        failed = 0
        for sha, size in wanted.files.items():
            if self._stop.is_set() or source is None:
                break
            if cache.is_held(self.folder, sha, size):
                continue
            try:
                download(self.folder, source.files_url, self.station_id, source.key, sha, size, self.chunk)
            except DownloadError as e:
                failed += 1
                log.warning("classroom cache: %s", e)
        self.passes += 1
        self.report()
        return failed

    def report(self) -> None:
        """Publish what the cache holds, when it changed since the last report on this connection."""
        if not self.link.connected.is_set():
            return
        with db.connection_context():
            now = cache.holdings(self.folder, self.station_id, self.device_id)
        content = (now.held, now.missing, now.cache_bytes)
        if content != self._reported:
            self.link.publish(now)
            self._reported = content

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                failed = self.run_once()
            except Exception:
                log.exception("classroom cache pass failed; trying again")
                failed = 1
            self._wake.wait(self.retry_s if failed else max(self.retry_s, 300))
            self._wake.clear()
