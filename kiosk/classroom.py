"""The classroom screen (空中课堂): the videos cached at this kiosk, played with no network.

A rider opens the screen from home and taps a video: it plays with sound and subtitles, from the
cache (`/classroom/media/<sha256>`, with byte ranges, as the browser's player asks). The page
reports the play when it starts and again when it is watched to the end (`classroom_play` events,
through the outbox). The untouched home screen plays the same videos muted with subtitles as its
idle screen (templates/kiosk/classroom/_idle.html, static/js/classroom.js); those are not counted.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, render_template, request, send_file

from devices.protocol import classroom, events, utcnow
from kiosk import classroom_cache as cache
from kiosk.classroom_cache import ClassroomVideo
from kiosk.context import wake_outbox
from kiosk.models import OutboxEvent, db
from waystation.web import current_settings

log = logging.getLogger(__name__)
bp = Blueprint("classroom", __name__, url_prefix="/classroom")
VIDEO_ID_RE = re.compile(r"[1-9][0-9]{0,14}")  # ASCII digits only: "²".isdigit() is true, int("²") fails


def folder():
    """This kiosk's classroom cache folder."""
    return cache.cache_dir(current_settings())


def playable() -> list[ClassroomVideo]:
    """The videos this kiosk can play now, from its cache, in the manifest's order."""
    return cache.playable(folder())


def idle_context() -> dict:
    """What the home screen needs for its idle screen: the playable videos and the wait (0: no idle screen)."""
    seconds = current_settings().classroom.idle_seconds
    return {"idle_videos": playable() if seconds > 0 else [], "idle_ms": round(seconds * 1000)}


@bp.get("/")
def index():
    """The classroom screen: every cached video, tap to play."""
    return render_template("kiosk/classroom/index.html", videos=playable())


@bp.get("/media/<sha256>")
def media(sha256: str):
    """A cached file (video or poster) of the current manifest, with byte ranges for the player."""
    if not classroom.SHA256_RE.fullmatch(sha256):
        abort(404)
    video = (ClassroomVideo.select()
             .where((ClassroomVideo.video_sha256 == sha256) | (ClassroomVideo.poster_sha256 == sha256)).first())
    path = folder() / sha256
    if video is None or not path.is_file():
        abort(404)
    kind = "video/mp4" if sha256 == video.video_sha256 else _image_type(path)
    return send_file(path.resolve(), mimetype=kind, conditional=True, etag=sha256, max_age=0)


def _image_type(path) -> str:
    with open(path, "rb") as f:
        return "image/png" if f.read(4) == b"\x89PNG" else "image/jpeg"


@bp.get("/<int:vid>/subtitles.<lang>.vtt")
def subtitles(vid: int, lang: str):
    """A video's subtitle as WebVTT, one cue over the whole video, in Chinese or English."""
    video = ClassroomVideo.get_or_none(ClassroomVideo.video_id == vid)
    if video is None or lang not in ("zh", "en"):
        abort(404)
    text = (video.caption_zh if lang == "zh" else video.caption_en).replace("-->", "→")
    return Response(f"WEBVTT\n\n1\n00:00:00.000 --> 99:59:59.000\n{text}\n", mimetype="text/vtt")


@bp.post("/played")
def played():
    """The classroom screen reports a play started (or, completed=1, watched to the end): one outbox event."""
    vid = request.form.get("video", "")
    video = ClassroomVideo.get_or_none(ClassroomVideo.video_id == int(vid)) if VIDEO_ID_RE.fullmatch(vid) else None
    completed = request.form.get("completed", "0")
    if video is None or completed not in ("0", "1"):
        return Response(status=400)
    with db.atomic():
        OutboxEvent.add(events.ClassroomPlay(video.video_id, completed == "1"), utcnow())
    wake_outbox()
    cache.mark_played(folder(), video.video_sha256)
    log.info("classroom video %d %s", video.video_id, "watched to the end" if completed == "1" else "started")
    return Response(status=204)

