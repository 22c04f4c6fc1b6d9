"""What the classroom tests share: uploading a video at central as staff do, through the upload form."""

from __future__ import annotations

from tests.conftest import csrf_of
from tests.station_admin.conftest import login

TEXTS = {"title_zh": "电动车充电安全", "title_en": "Charging an e-bike safely", "caption_zh": "请使用合格的充电器",
         "caption_en": "Use an approved charger"}


def staff_client(central_app, username: str = "admin"):
    """A test client of the central app signed in as a demo user, with its anti-forgery token."""
    client = central_app.test_client()
    login(client, username, f"{username}-demo")
    client.get("/classroom/")
    return client


def upload(client, media, video: str | None = "h264", poster: str | None = "png", **fields):
    """POST the upload form as a browser does (multipart): `media` is the classroom_media fixture's files."""
    data = {**TEXTS, "csrf_token": csrf_of(client), "station": ["xh-xujiahui"], **fields}
    if video:
        data["video"] = (open(media[video], "rb"), media[video].name)
    if poster:
        data["poster"] = (open(media[poster], "rb"), media[poster].name)
    return client.post("/classroom/new", data=data, content_type="multipart/form-data")
