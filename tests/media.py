"""Tiny real media files for the classroom tests, made with ffmpeg (Debian's ffmpeg package)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True, timeout=60)


def make_video(path: Path, seconds: float = 2, codec: str = "libx264", size: str = "320x180") -> Path:
    """A test-pattern video with a tone: H.264/AAC MP4 by default (`codec="mpeg4"` for one that is not H.264)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    video = ["-c:v", codec, "-pix_fmt", "yuv420p"] + (["-preset", "ultrafast"] if codec == "libx264" else [])
    _ffmpeg("-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={size}:rate=25",
            "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}", *video, "-c:a", "aac",
            "-movflags", "+faststart", "-shortest", str(path))
    return path


def make_webm(path: Path, seconds: float = 1) -> Path:
    """A VP9 WebM: a real video, but not the MP4/H.264 the classroom takes."""
    _ffmpeg("-f", "lavfi", "-i", f"testsrc=duration={seconds}:size=160x90:rate=10", "-c:v", "libvpx-vp9",
            "-deadline", "realtime", str(path))
    return path


def make_poster(path: Path, kind: str = "png") -> Path:
    """One frame of the test pattern as a PNG or JPEG poster."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x180", "-frames:v", "1", str(path.with_suffix(f".{kind}")))
    return path.with_suffix(f".{kind}")
