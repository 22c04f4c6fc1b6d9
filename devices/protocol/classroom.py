"""The station classroom (空中课堂): what videos a station should hold (central → kiosk, retained) and
what its kiosk holds (kiosk → central, retained).

The manifest names each video by id with its title and subtitle in both languages and the two
files it needs, the video and its poster image, each by SHA-256 and size (as Xibo's players receive
a list of files with their hashes). The kiosk fetches each file over HTTP(S) from `files_url` +
`/<sha256>` by byte ranges, sending `Authorization: Bearer <station>:<key>` with the station's
download key from this manifest, checks the hash and only then takes the file as cached. A new
manifest replaces the whole list: a video no longer in it is no longer shown and its files may be
evicted. The holdings report says which videos the kiosk can play with no network, which it still
lacks, and how many bytes its cache takes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from devices.protocol._base import (
    Message,
    ProtocolError,
    TopicPattern,
    decode,
    encode,
    format_time,
    get_int,
    get_str,
    get_text,
    get_time,
    show,
)

MANIFEST_PATTERN = TopicPattern("station/{station}/classroom")
HOLDINGS_PATTERN = TopicPattern("station/{station}/classroom/{device}")
MAX_VIDEOS = 30
# A manifest of MAX_VIDEOS videos with full titles and subtitles in Chinese is larger than the usual limit.
MAX_MANIFEST_BYTES = 65536
# A file on the wire: its SHA-256 (64 lower-case hex digits, also the name it is fetched by) and size.
SHA256_RE = re.compile(r"[0-9a-f]{64}")
MAX_FILE_BYTES = 2**32
# Where the kiosk fetches files from: an http(s) address without query, fragment or credentials.
FILES_URL_RE = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~%/-]*)?")
KEY_RE = re.compile(r"[0-9a-f]{32}")
MAX_TITLE = 60
MAX_CAPTION = 120


@dataclass(frozen=True)
class FileRef:
    """One file a video needs, by content: fetched as files_url/<sha256>, `size` bytes long."""

    sha256: str
    size: int

    def to_fields(self) -> dict:
        return {"sha256": self.sha256, "size": self.size}

    @classmethod
    def from_fields(cls, obj, name: str) -> FileRef:
        if not isinstance(obj, dict):
            raise ProtocolError(f"field {name} must be an object with sha256 and size")
        return cls(get_str(obj, "sha256", pattern=SHA256_RE, max_len=64), get_int(obj, "size", low=1,
                                                                                  high=MAX_FILE_BYTES))


@dataclass(frozen=True)
class Video:
    """One video a station should hold: id at central, title and subtitle (zh, en), video and poster files."""

    video_id: int
    title: dict[str, str]
    caption: dict[str, str]
    video: FileRef
    poster: FileRef

    def to_fields(self) -> dict:
        return {"id": self.video_id, "title": self.title, "caption": self.caption,
                "video": self.video.to_fields(), "poster": self.poster.to_fields()}


@dataclass(frozen=True)
class Manifest(Message):
    """Every video a station should hold now, in the order the screen shows them; retained."""

    PATTERN: ClassVar[TopicPattern] = MANIFEST_PATTERN
    RETAIN: ClassVar[bool] = True

    station: str
    files_url: str
    key: str
    videos: tuple[Video, ...]
    ts: datetime

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "files_url": self.files_url, "key": self.key,
                       "videos": [v.to_fields() for v in self.videos]})

    @property
    def files(self) -> dict[str, int]:
        """Every file the manifest needs: sha256 -> size."""
        return {f.sha256: f.size for v in self.videos for f in (v.video, v.poster)}


@dataclass(frozen=True)
class Holdings(Message):
    """What a kiosk's classroom cache holds: videos playable offline, videos still missing, bytes used."""

    PATTERN: ClassVar[TopicPattern] = HOLDINGS_PATTERN
    RETAIN: ClassVar[bool] = True

    station: str
    device: str
    ts: datetime
    held: tuple[int, ...]
    missing: tuple[int, ...]
    cache_bytes: int

    def to_payload(self) -> bytes:
        return encode({"ts": format_time(self.ts), "held": list(self.held), "missing": list(self.missing),
                       "cache_bytes": self.cache_bytes})


def parse_manifest(topic: str, payload: bytes) -> Manifest:
    """A Manifest from a topic below the root and its payload; ProtocolError when invalid."""
    parts = MANIFEST_PATTERN.parts(topic)
    obj = decode(payload, MAX_MANIFEST_BYTES)
    raw = obj.get("videos")
    if not isinstance(raw, list) or len(raw) > MAX_VIDEOS:
        raise ProtocolError(f"field videos must be a list of at most {MAX_VIDEOS} videos")
    videos = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise ProtocolError("each video must be an object with id, title, caption, video and poster")
        videos.append(Video(get_int(entry, "id", low=1), get_text(entry, "title", max_len=MAX_TITLE),
                            get_text(entry, "caption", max_len=MAX_CAPTION),
                            FileRef.from_fields(entry.get("video"), "video"),
                            FileRef.from_fields(entry.get("poster"), "poster")))
    ids = [v.video_id for v in videos]
    if len(set(ids)) != len(ids):
        raise ProtocolError("field videos names a video twice")
    return Manifest(parts["station"], get_str(obj, "files_url", pattern=FILES_URL_RE, max_len=300),
                    get_str(obj, "key", pattern=KEY_RE, max_len=32), tuple(videos), get_time(obj))


def _ids(obj: dict, name: str) -> tuple[int, ...]:
    value = obj.get(name)
    if not isinstance(value, list) or len(value) > MAX_VIDEOS:
        raise ProtocolError(f"field {name} must be a list of at most {MAX_VIDEOS} video ids")
    for item in value:
        if type(item) is not int or not 1 <= item <= 2**53:
            raise ProtocolError(f"field {name} holds {show(item)}, which is not a video id")
    if len(set(value)) != len(value):
        raise ProtocolError(f"field {name} names a video twice")
    return tuple(value)


def parse_holdings(topic: str, payload: bytes) -> Holdings:
    """A Holdings report from a topic below the root and its payload; ProtocolError when invalid."""
    parts = HOLDINGS_PATTERN.parts(topic)
    obj = decode(payload)
    held, missing = _ids(obj, "held"), _ids(obj, "missing")
    if set(held) & set(missing):
        raise ProtocolError("a video cannot be both held and missing")
    return Holdings(parts["station"], parts["device"], get_time(obj), held, missing,
                    get_int(obj, "cache_bytes", high=2**53))
