"""The classroom's library: checking and keeping uploaded videos, their targets, the manifest each
station should hold, and what ingest stores of plays and holdings.

An upload is checked before anything is kept: the poster by its bytes (JPEG or PNG), the video by a
real decoder probe (`ffprobe`, Debian's ffmpeg): an MP4 container with an H.264 video stream, no
longer than `classroom.max_video_seconds`. Files are kept under their SHA-256, written to a
temporary name and renamed, so a half-written file is never served.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from devices.protocol import classroom, events, utcnow
from station_admin.classroom.models import ClassroomHoldings, ClassroomPlay, ClassroomTarget, ClassroomVideo
from station_admin.core.models import District, StaffUser, Station, db
from waystation.db import insert_rows

log = logging.getLogger(__name__)

POSTER_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
PROBE_TIMEOUT_S = 30


class ClassroomError(ValueError):
    """An upload or target that cannot be taken; `key` names the message shown (classroom.error.*)."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key = key
        self.values = values


@dataclass(frozen=True)
class Probe:
    """What ffprobe found in a video file."""

    duration_ms: int
    width: int
    height: int


def media_dir(settings) -> Path:
    """The folder where videos and posters are kept."""
    return Path(settings.classroom.media_dir)


def file_path(settings, sha256: str) -> Path:
    """Where the file with this SHA-256 is kept (the name is checked: 64 hex digits only)."""
    if not classroom.SHA256_RE.fullmatch(sha256):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return media_dir(settings) / sha256


def probe_video(path: Path, ffprobe: str) -> Probe:
    """Probe a video with ffprobe: an MP4 with an H.264 video stream; ClassroomError otherwise."""
    try:
        done = subprocess.run([ffprobe, "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                               str(path)], capture_output=True, timeout=PROBE_TIMEOUT_S, check=False)
    except FileNotFoundError:
        log.error("classroom: %s cannot be run; install Debian's ffmpeg package", ffprobe)
        raise ClassroomError("classroom.error.no_probe") from None
    except subprocess.TimeoutExpired:
        raise ClassroomError("classroom.error.not_video") from None
    if done.returncode != 0:
        log.info("classroom: ffprobe refused an upload: %s", done.stderr.decode(errors="replace")[:300])
        raise ClassroomError("classroom.error.not_video")
    try:
        found = json.loads(done.stdout)
        container = found["format"]["format_name"]
        duration = float(found["format"]["duration"])
        streams = found["streams"]
    except (ValueError, KeyError, TypeError):
        raise ClassroomError("classroom.error.not_video") from None
    if "mp4" not in container.split(","):
        raise ClassroomError("classroom.error.not_mp4")
    video = [s for s in streams if s.get("codec_type") == "video"]
    if not video or video[0].get("codec_name") != "h264":
        raise ClassroomError("classroom.error.not_h264")
    return Probe(round(duration * 1000), int(video[0].get("width") or 0), int(video[0].get("height") or 0))


def poster_type(data: bytes) -> str:
    """The poster's media type by its first bytes (JPEG or PNG); ClassroomError otherwise."""
    for magic, kind in POSTER_TYPES.items():
        if data.startswith(magic):
            return kind
    raise ClassroomError("classroom.error.poster_type")


def _keep(settings, source: Path | None, data: bytes | None) -> tuple[str, int]:
    """Keep a file under its SHA-256 (written beside, then renamed); its hash and size."""
    folder = media_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, staged = tempfile.mkstemp(dir=folder, prefix=".upload-")
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            if data is not None:
                out.write(data)
                digest.update(data)
                size = len(data)
            else:
                with open(source, "rb") as f:
                    while chunk := f.read(1 << 20):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        sha = digest.hexdigest()
        os.replace(staged, folder / sha)
    except BaseException:
        Path(staged).unlink(missing_ok=True)
        raise
    return sha, size


@dataclass
class Target:
    """Where and when a video plays: a district and/or stations, local dates."""

    district: District | None
    stations: list[Station]
    starts_on: date
    ends_on: date | None


def check_target(user: StaffUser, district_code: str, station_codes: list[str], starts: str, ends: str,
                 today: date) -> Target:
    """The target a form asks for, within what `user` may target; ClassroomError otherwise.

    An admin targets any district or station; a station manager only their own stations, by name.
    """
    visible = {s.code: s for s in Station.visible_to(user)}
    district = None
    if district_code:
        if user.role != "admin":
            raise ClassroomError("classroom.error.district_not_yours")
        district = District.get_or_none(District.code == district_code)
        if district is None:
            raise ClassroomError("classroom.error.district")
    stations = []
    for code in dict.fromkeys(station_codes):
        if code not in visible:
            raise ClassroomError("classroom.error.station")
        stations.append(visible[code])
    if district is None and not stations:
        raise ClassroomError("classroom.error.no_target")
    try:
        first = date.fromisoformat(starts.strip()) if starts.strip() else today
        last = date.fromisoformat(ends.strip()) if ends.strip() else None
    except ValueError:
        raise ClassroomError("classroom.error.dates") from None
    if last is not None and last < first:
        raise ClassroomError("classroom.error.dates_reversed")
    return Target(district, stations, first, last)


def check_titles(form) -> dict[str, str]:
    """Title and subtitle in both languages, each present and within the wire's lengths."""
    out = {}
    for name, limit in (("title_zh", classroom.MAX_TITLE), ("title_en", classroom.MAX_TITLE),
                        ("caption_zh", classroom.MAX_CAPTION), ("caption_en", classroom.MAX_CAPTION)):
        value = " ".join(form.get(name, "").split())
        if not value or len(value) > limit:
            raise ClassroomError(f"classroom.error.{name.split('_')[0]}", limit=limit)
        out[name] = value
    return out


def add_video(settings, user: StaffUser, texts: dict[str, str], target: Target, video_path: Path,
              poster: bytes, now: datetime) -> ClassroomVideo:
    """Check an uploaded video (a file on disk) and poster, keep both, and record the video with its target."""
    c = settings.classroom
    size = video_path.stat().st_size
    if size == 0:
        raise ClassroomError("classroom.error.video_empty")
    if size > c.max_video_bytes:
        raise ClassroomError("classroom.error.video_size", mb=c.max_video_bytes // 2**20)
    if not poster:
        raise ClassroomError("classroom.error.poster_empty")
    if len(poster) > c.max_poster_bytes:
        raise ClassroomError("classroom.error.poster_size", mb=max(c.max_poster_bytes // 2**20, 1))
    kind = poster_type(poster)
    probe = probe_video(video_path, c.ffprobe)
    if probe.duration_ms > c.max_video_seconds * 1000:
        raise ClassroomError("classroom.error.video_long", seconds=c.max_video_seconds)
    sha, size = _keep(settings, video_path, None)
    poster_sha, poster_size = _keep(settings, None, poster)
    with db.atomic():
        video = ClassroomVideo.create(
            **texts, sha256=sha, size=size, duration_ms=probe.duration_ms, width=probe.width, height=probe.height,
            poster_sha256=poster_sha, poster_size=poster_size, poster_type=kind, district=target.district,
            starts_on=target.starts_on, ends_on=target.ends_on, uploaded_by=user, uploaded_at=now)
        for station in target.stations:
            ClassroomTarget.create(video=video, station=station)
    log.info("classroom video %d uploaded by %s (%d bytes, %d ms)", video.id, user.username, size,
             probe.duration_ms)
    return video


def target_codes(video: ClassroomVideo) -> set[str]:
    """The station codes a video is targeted at (its district's open stations and those named)."""
    codes = {t.station.code for t in ClassroomTarget.select(ClassroomTarget, Station).join(Station)
             .where(ClassroomTarget.video == video)}
    if video.district_id:
        codes |= {s.code for s in Station.select(Station.code).where(Station.district == video.district_id,
                                                                      Station.closed_at.is_null())}
    return codes


def videos_by_station(day: date) -> dict[str, list[ClassroomVideo]]:
    """Every station's current videos (newest first, at most the wire's limit)."""
    current = list(ClassroomVideo.current(day))
    named: dict[int, set[str]] = {}
    for video_id, code in (ClassroomTarget.select(ClassroomTarget.video, Station.code).join(Station)
                           .where(ClassroomTarget.video.in_([v.id for v in current])).tuples()):
        named.setdefault(video_id, set()).add(code)
    by_district: dict[int, list[str]] = {}
    for code, district_id in Station.select(Station.code, Station.district).where(Station.closed_at.is_null()).tuples():
        by_district.setdefault(district_id, []).append(code)
    out: dict[str, list[ClassroomVideo]] = {}
    for video in current:
        codes = named.get(video.id, set()) | set(by_district.get(video.district_id, ()) if video.district_id else ())
        for code in codes:
            out.setdefault(code, []).append(video)
    return {code: videos[:classroom.MAX_VIDEOS] for code, videos in out.items()}


def files_url(settings) -> str:
    """Where kiosks download files from: classroom.files_url, else central.public_url + /classroom/files."""
    configured = settings.classroom.files_url.rstrip("/")
    if configured:
        return configured
    public = settings.central.public_url.rstrip("/")
    return f"{public}/classroom/files" if public else ""


def download_key(protector, station_code: str) -> str:
    """The key a station's kiosk downloads its classroom files with (sent only in its own manifest)."""
    return protector.link_mac("classroom-download", station_code)


def manifests(settings, protector, day: date, now: datetime) -> list[classroom.Manifest]:
    """Every station's manifest as it should be on a local day (stations without videos get an empty one)."""
    url = files_url(settings)
    if not url:
        return []
    per_station = videos_by_station(day)
    out = []
    for station in Station.select(Station.code).order_by(Station.code):
        videos = tuple(classroom.Video(
            v.id, {"zh": v.title_zh, "en": v.title_en}, {"zh": v.caption_zh, "en": v.caption_en},
            classroom.FileRef(v.sha256, v.size), classroom.FileRef(v.poster_sha256, v.poster_size))
            for v in per_station.get(station.code, []))
        out.append(classroom.Manifest(station.code, url, download_key(protector, station.code), videos, now))
    return out


def station_may_fetch(station_code: str, sha256: str, day: date) -> bool:
    """Whether a file is in a station's current manifest (a station fetches only what it should hold)."""
    for video in videos_by_station(day).get(station_code, []):
        if sha256 in (video.sha256, video.poster_sha256):
            return True
    return False


def record_plays(batch: list[events.StationEvent]) -> int:
    """Store classroom_play events (already known to be new), once each by event id."""
    rows = [{"event_id": e.event_id, "video_id": e.body.video, "station_code": e.station, "occurred_at": e.ts,
             "completed": e.body.completed} for e in batch]
    return len(insert_rows(db, ClassroomPlay, rows, new_key="event_id"))


def on_holdings(message: classroom.Holdings, received_at: datetime | None = None) -> None:
    """A kiosk's report of its classroom cache: the latest one per device replaces the last."""
    received_at = received_at or utcnow()
    values = {"held": list(message.held), "missing": list(message.missing), "cache_bytes": message.cache_bytes,
              "reported_at": message.ts, "received_at": received_at}
    (ClassroomHoldings.insert(station_code=message.station, device=message.device, **values)
     .on_conflict(conflict_target=[ClassroomHoldings.station_code, ClassroomHoldings.device],
                  update={getattr(ClassroomHoldings, k): v for k, v in values.items()},
                  where=(ClassroomHoldings.received_at <= received_at))
     .execute())


def holdings_by_station() -> dict[str, ClassroomHoldings]:
    """Each station's latest holdings report (of its first kiosk by device id)."""
    out: dict[str, ClassroomHoldings] = {}
    for row in ClassroomHoldings.select().order_by(ClassroomHoldings.station_code, ClassroomHoldings.device):
        out.setdefault(row.station_code, row)
    return out


def withdraw(video: ClassroomVideo, now: datetime) -> None:
    """Stop showing a video everywhere (the next manifests leave it out; kiosks evict it)."""
    ClassroomVideo.update(withdrawn_at=now).where(ClassroomVideo.id == video.id,
                                                  ClassroomVideo.withdrawn_at.is_null()).execute()


def may_manage(user: StaffUser, video: ClassroomVideo) -> bool:
    """Whether a user may withdraw a video: an admin, or the manager who uploaded it."""
    return user.role == "admin" or (user.role == "manager" and video.uploaded_by_id == user.id)

