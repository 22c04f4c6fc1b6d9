"""The demo's classroom video: made on the spot with ffmpeg (a test pattern with a tone) and uploaded
through the same checks as a staff upload, targeted at the Xuhui district."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

from devices.protocol import utcnow
from station_admin.classroom import library
from station_admin.classroom.models import ClassroomVideo
from station_admin.core.models import District, StaffUser, db

log = logging.getLogger(__name__)
SECONDS = 8
TEXTS = {"title_zh": "电动车充电安全", "title_en": "Charging an e-bike safely",
         "caption_zh": "请使用合格的充电器，充满即拔", "caption_en": "Use an approved charger and unplug when full"}


def seed_classroom(settings) -> str:
    """Add the demo video once (what happened, for the command's output); none without ffmpeg."""
    if shutil.which("ffmpeg") is None or shutil.which(settings.classroom.ffprobe) is None:
        log.warning("no ffmpeg/ffprobe on this machine: the demo has no classroom video (apt-get install ffmpeg)")
        return "classroom: no ffmpeg on this machine, so no demo video (apt-get install ffmpeg)"
    with db.connection_context():
        if ClassroomVideo.select().exists():
            return "classroom: the demo video is there already"
        admin = StaffUser.get(StaffUser.username == "admin")
        district = District.get(District.code == "xuhui")
    with tempfile.TemporaryDirectory() as work:
        video, poster = Path(work) / "lesson.mp4", Path(work) / "poster.png"
        run = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=duration={SECONDS}:size=640x360:rate=25"]
        subprocess.run([*run, "-f", "lavfi", "-i", f"sine=frequency=330:duration={SECONDS}", "-c:v", "libx264",
                        "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags", "+faststart",
                        "-shortest", str(video)], check=True, timeout=120)
        subprocess.run([*run, "-frames:v", "1", str(poster)], check=True, timeout=60)
        target = library.Target(district, [], utcnow().date(), None)
        with db.connection_context():
            library.add_video(settings, admin, TEXTS, target, video, poster.read_bytes(), utcnow())
    return "classroom: demo video made with ffmpeg and uploaded for the Xuhui stations"
