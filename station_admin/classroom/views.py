"""The classroom's pages: staff upload and withdraw videos, see what each kiosk holds and the plays report;
kiosks download the files (HTTP Range, the station's download key).

Admins target any district or station; station managers their own stations; federations read the
list and the report for their stations. Files are served only to a station whose current manifest
names them.
"""

from __future__ import annotations

import hmac
import logging
import os
import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, redirect, render_template, request, send_file, url_for

from devices.protocol import ID_RE, classroom, utcnow
from station_admin.classroom import library
from station_admin.classroom.library import ClassroomError
from station_admin.classroom.models import ClassroomPlay, ClassroomTarget, ClassroomVideo
from station_admin.core.audit import audit
from station_admin.core.auth import login_required
from station_admin.core.context import current_protector
from station_admin.core.models import District, Station
from station_admin.core.privacy import suppress
from station_admin.reports.scope import FilterError, parse_scope
from waystation.web import current_settings, translate

log = logging.getLogger(__name__)
bp = Blueprint("classroom", __name__, url_prefix="/classroom")
UPLOADERS = ("admin", "manager")
READERS = ("admin", "manager", "federation")


@bp.url_value_preprocessor
def _upload_size(endpoint, values):
    # Before the anti-forgery check parses the form: only the upload may be large (a video at its
    # limit, a poster at its limit and the form around them); a larger body is refused with 413.
    if endpoint == "classroom.new" and request.method == "POST":
        c = current_settings().classroom
        request.max_content_length = c.max_video_bytes + c.max_poster_bytes + 65536


def today():
    """Today's local date by central's clock."""
    return utcnow().astimezone(ZoneInfo(current_settings().central.timezone)).date()


def visible_videos(user):
    """The videos a user may see: an admin every one; others those targeted at their stations (or their own)."""
    videos = list(ClassroomVideo.select().order_by(ClassroomVideo.uploaded_at.desc(), ClassroomVideo.id.desc()))
    if user.role == "admin":
        return videos
    mine = {s.code for s in Station.visible_to(user)}
    return [v for v in videos if v.uploaded_by_id == user.id or library.target_codes(v) & mine]


@bp.get("/")
@login_required(*READERS)
def index():
    """Every video the user may see, with its target and dates, and what each kiosk holds."""
    videos = visible_videos(g.user)
    stations = list(Station.visible_to(g.user))
    holdings = library.holdings_by_station()
    targets = {v.id: library.target_codes(v) for v in videos}
    held_counts = {v.id: sum(1 for code in targets[v.id] if code in holdings and v.id in holdings[code].held)
                   for v in videos}
    return render_template("station_admin/classroom/index.html", videos=videos, stations=stations,
                           holdings=holdings, targets=targets, held_counts=held_counts, today=today(),
                           notice=request.args.get("notice"))


def _form_context(form, error=None):
    stations = list(Station.visible_to(g.user).where(Station.closed_at.is_null()))
    districts = list(District.select().order_by(District.code)) if g.user.role == "admin" else []
    c = current_settings().classroom
    return {"form": form, "error": error, "stations": stations, "districts": districts,
            "chosen": set(form.getlist("station")) if hasattr(form, "getlist") else set(),
            "max_mb": c.max_video_bytes // 2**20, "max_seconds": c.max_video_seconds,
            "max_title": classroom.MAX_TITLE, "max_caption": classroom.MAX_CAPTION}


@bp.route("/new", methods=["GET", "POST"])
@login_required(*UPLOADERS)
def new():
    """Upload a video: MP4 (H.264) and a poster, titles and subtitle in both languages, a target and dates."""
    if request.method == "GET":
        return render_template("station_admin/classroom/new.html", **_form_context({"starts_on": today().isoformat()}))
    settings = current_settings()
    staged = None
    try:
        texts = library.check_titles(request.form)
        target = library.check_target(g.user, request.form.get("district", "").strip(),
                                      request.form.getlist("station"), request.form.get("starts_on", ""),
                                      request.form.get("ends_on", ""), today())
        upload = request.files.get("video")
        if upload is None or not upload.filename:
            raise ClassroomError("classroom.error.video_empty")
        poster = request.files.get("poster")
        poster_bytes = poster.read(settings.classroom.max_poster_bytes + 1) if poster else b""
        folder = library.media_dir(settings)
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".incoming-")
        os.close(fd)
        staged = Path(name)
        upload.save(staged)
        video = library.add_video(settings, g.user, texts, target, staged, poster_bytes, utcnow())
        audit("classroom.upload", "classroom_video", str(video.id), title=video.title_zh, size=video.size,
              district=target.district.code if target.district else None,
              stations=[s.code for s in target.stations], starts_on=str(target.starts_on),
              ends_on=str(target.ends_on) if target.ends_on else None)
    except ClassroomError as e:
        log.info("classroom upload refused: %s", e.key)
        return render_template("station_admin/classroom/new.html",
                               **_form_context(request.form, translate(e.key, **e.values))), 400
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
    return redirect(url_for("classroom.index", notice="uploaded"), 303)


@bp.post("/<int:vid>/withdraw")
@login_required(*UPLOADERS)
def withdraw(vid: int):
    """Stop showing a video at every station (kiosks evict it when their manifest leaves it out)."""
    video = ClassroomVideo.get_or_none(ClassroomVideo.id == vid)
    if video is None:
        abort(404)
    if not library.may_manage(g.user, video):
        abort(403)
    library.withdraw(video, utcnow())
    audit("classroom.withdraw", "classroom_video", str(video.id), title=video.title_zh)
    return redirect(url_for("classroom.index", notice="withdrawn"), 303)


@bp.get("/<int:vid>/poster")
@login_required(*READERS)
def poster(vid: int):
    """A video's poster, for the staff list."""
    video = ClassroomVideo.get_or_none(ClassroomVideo.id == vid)
    if video is None or video not in visible_videos(g.user):
        abort(404)
    return send_file(library.file_path(current_settings(), video.poster_sha256), mimetype=video.poster_type)


def _station_of_request() -> str | None:
    """The station a download is for, when its `Authorization: Bearer <station>:<key>` is right."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    station, _, key = credentials.partition(":")
    if scheme != "Bearer" or not ID_RE.fullmatch(station) or not key:
        return None
    expected = library.download_key(current_protector(), station)
    return station if hmac.compare_digest(expected.encode(), key.encode()) else None


@bp.get("/files/<sha256>")
def file(sha256: str):
    """A classroom file for a kiosk, by byte ranges (HTTP Range); only for a station whose manifest names it."""
    station = _station_of_request()
    if station is None:
        return translate("classroom.error.download_key", "en"), 401, {"WWW-Authenticate": "Bearer"}
    if not classroom.SHA256_RE.fullmatch(sha256) or not library.station_may_fetch(station, sha256, today()):
        abort(404)
    path = library.file_path(current_settings(), sha256)
    if not path.exists():
        log.error("classroom file %s is in a manifest but not in %s", sha256, path.parent)
        abort(404)
    # conditional=True answers Range requests with 206 and the asked bytes, and If-Range with the ETag.
    return send_file(path, mimetype="application/octet-stream", conditional=True, etag=sha256, max_age=0)


@bp.get("/report")
@login_required(*READERS)
def report():
    """Plays started and watched to the end, per video and station, in a date range; small counts hidden."""
    settings = current_settings()
    try:
        scope = parse_scope(request.args, g.user, settings.central.timezone, today(), settings.reports.default_days,
                            settings.reports.max_days)
    except FilterError as e:
        return render_template("station_admin/classroom/report.html", error=translate(e.key, **e.values),
                               scope=None, tables=None), 400
    zone = ZoneInfo(settings.central.timezone)
    start = datetime.combine(scope.first, time(), zone)
    end = datetime.combine(scope.last + timedelta(days=1), time(), zone)
    counts = ClassroomPlay.counts(scope.codes, start, end)
    video_ids = sorted({video for video, _, _ in counts} | {
        t.video_id for t in ClassroomTarget.select().where(ClassroomTarget.station.in_([s.id for s in scope.stations]))
    }, reverse=True)
    titles = {v.id: v for v in ClassroomVideo.select().where(ClassroomVideo.id.in_(video_ids))}
    played_at = sorted({code for _, code, _ in counts})
    columns = [s for s in scope.stations if s.code in played_at] or scope.stations[:12]
    rows = [(v, titles.get(v)) for v in video_ids]  # a play of a video deleted since shows its number
    tables = {}
    for name, completed in (("plays", False), ("completed", True)):
        cells = [[counts.get((v, s.code, completed), 0) for s in columns] for v in video_ids]
        tables[name] = suppress([str(v) for v in video_ids], [s.code for s in columns], cells)
    return render_template("station_admin/classroom/report.html", scope=scope, tables=tables, rows=rows,
                           columns=columns, error=None)
