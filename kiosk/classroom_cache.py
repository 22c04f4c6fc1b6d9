"""The kiosk's classroom cache: the manifest central last sent, and the files on disk.

The folder (`classroom.cache_dir`) holds each complete file under its SHA-256 and each file being
downloaded as `<sha256>.part`. A file gets its final name only after its hash was checked
(kiosk.classroom_download), by an atomic rename, so a partial file is never taken for a cached one
and a crash leaves at worst a `.part` to resume. A file's modification time is when it was last
downloaded or played: the cache's least-recently-used order.

What to hold (`plan`): every video of the manifest, both its files, most recently used first (a
video not yet held counts from when the manifest first listed it), as many as fit in
`classroom.cache_max_bytes`; the rest are reported missing and not fetched. Files of videos no
longer in the manifest, or outside the plan, are evicted.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import peewee

from devices.protocol import classroom, utcnow
from kiosk.models import BaseModel, db
from waystation.db import UTCDateTimeField

log = logging.getLogger(__name__)
PART = ".part"


class ClassroomSource(BaseModel):
    """Where this kiosk downloads classroom files from, with its key (one row, from the latest manifest)."""

    station_id = peewee.CharField(primary_key=True)
    files_url = peewee.CharField()
    key = peewee.CharField()
    received_at = UTCDateTimeField()

    class Meta:
        table_name = "classroom_source"


class ClassroomVideo(BaseModel):
    """A video of the latest manifest, in the manifest's order (`position`)."""

    video_id = peewee.IntegerField(primary_key=True)
    position = peewee.IntegerField()
    title_zh = peewee.CharField()
    title_en = peewee.CharField()
    caption_zh = peewee.CharField()
    caption_en = peewee.CharField()
    video_sha256 = peewee.CharField()
    video_size = peewee.BigIntegerField()
    poster_sha256 = peewee.CharField()
    poster_size = peewee.BigIntegerField()
    listed_at = UTCDateTimeField()  # when a manifest first named it here

    class Meta:
        table_name = "classroom_video"

    @property
    def files(self) -> dict[str, int]:
        return {self.video_sha256: self.video_size, self.poster_sha256: self.poster_size}

    @classmethod
    def in_order(cls):
        return cls.select().order_by(cls.position)


def cache_dir(settings) -> Path:
    """This kiosk's classroom folder."""
    return Path(settings.classroom.cache_dir.format(station=settings.kiosk.station_id))


def on_manifest(manifest: classroom.Manifest) -> None:
    """Replace the stored manifest by central's latest (a video listed before keeps its listed time)."""
    now = utcnow()
    with db.atomic():
        listed = dict(ClassroomVideo.select(ClassroomVideo.video_id, ClassroomVideo.listed_at).tuples())
        ClassroomVideo.delete().execute()
        for position, v in enumerate(manifest.videos):
            ClassroomVideo.create(video_id=v.video_id, position=position, title_zh=v.title["zh"],
                                  title_en=v.title["en"], caption_zh=v.caption["zh"], caption_en=v.caption["en"],
                                  video_sha256=v.video.sha256, video_size=v.video.size,
                                  poster_sha256=v.poster.sha256, poster_size=v.poster.size,
                                  listed_at=listed.get(v.video_id, now))
        (ClassroomSource.insert(station_id=manifest.station, files_url=manifest.files_url, key=manifest.key,
                                received_at=now)
         .on_conflict(conflict_target=[ClassroomSource.station_id],
                      update={ClassroomSource.files_url: manifest.files_url, ClassroomSource.key: manifest.key,
                              ClassroomSource.received_at: now})
         .execute())
    log.info("classroom manifest: %d videos", len(manifest.videos))


def held_files(folder: Path) -> dict[str, os.stat_result]:
    """Complete files in the folder (named by SHA-256), with their stat."""
    if not folder.exists():
        return {}
    out = {}
    for entry in os.scandir(folder):
        if classroom.SHA256_RE.fullmatch(entry.name) and entry.is_file():
            out[entry.name] = entry.stat()
    return out


def is_held(folder: Path, sha256: str, size: int) -> bool:
    """Whether a complete file of this hash and size is in the cache."""
    path = folder / sha256
    return path.is_file() and path.stat().st_size == size


@dataclass(frozen=True)
class Plan:
    """What the cache should hold: the videos to hold (in the manifest's order), the files they need."""

    videos: list[ClassroomVideo]
    files: dict[str, int]


def plan(videos: list[ClassroomVideo], held: dict[str, os.stat_result], limit: int) -> Plan:
    """The videos to hold: most recently used first, as many as fit in `limit` bytes."""
    def used(video: ClassroomVideo) -> float:
        stat = held.get(video.video_sha256)
        listed = video.listed_at.timestamp()
        return max(listed, stat.st_mtime) if stat else listed

    chosen, files, total = set(), {}, 0
    for video in sorted(videos, key=lambda v: (-used(v), v.position)):
        extra = {sha: size for sha, size in video.files.items() if sha not in files}
        if total + sum(extra.values()) > limit:
            continue
        chosen.add(video.video_id)
        files.update(extra)
        total += sum(extra.values())
    return Plan([v for v in videos if v.video_id in chosen], files)


def evict(folder: Path, keep: dict[str, int]) -> int:
    """Remove every file (complete or partial) not in `keep`, and partials longer than their file; bytes freed."""
    freed = 0
    if not folder.exists():
        return 0
    for entry in os.scandir(folder):
        name = entry.name
        sha = name[:-len(PART)] if name.endswith(PART) else name
        stale = sha not in keep or (name.endswith(PART) and entry.stat().st_size > keep[sha])
        if entry.is_file() and stale and (classroom.SHA256_RE.fullmatch(sha) or name.startswith(".")):
            freed += entry.stat().st_size
            os.unlink(entry.path)
            log.info("classroom cache: evicted %s", name)
    return freed


def cache_bytes(folder: Path) -> int:
    """Bytes the folder's files take (complete and partial)."""
    if not folder.exists():
        return 0
    return sum(e.stat().st_size for e in os.scandir(folder) if e.is_file())


def playable(folder: Path) -> list[ClassroomVideo]:
    """The manifest's videos whose video and poster are both complete in the cache, in manifest order."""
    return [v for v in ClassroomVideo.in_order()
            if all(is_held(folder, sha, size) for sha, size in v.files.items())]


def holdings(folder: Path, station_id: str, device_id: str) -> classroom.Holdings:
    """What to report to central: videos playable here, videos still missing, bytes used."""
    videos = list(ClassroomVideo.in_order())
    held = {v.video_id for v in playable(folder)}
    return classroom.Holdings(station_id, device_id, utcnow(), tuple(v.video_id for v in videos if v.video_id in held),
                              tuple(v.video_id for v in videos if v.video_id not in held), cache_bytes(folder))


def mark_played(folder: Path, sha256: str) -> None:
    """A file was just played: it becomes the most recently used."""
    try:
        os.utime(folder / sha256)
    except OSError:
        log.debug("could not touch %s", sha256, exc_info=True)
