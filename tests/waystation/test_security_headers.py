"""Every response of central (staff pages, /m/ phone pages, the API) and of the kiosk carries the security headers:
a strict Content-Security-Policy, no framing, no sniffing, a referrer policy, and HSTS over HTTPS only."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from tests.station_admin.conftest import signed_in
from waystation.paths import TEMPLATES_DIR
from waystation.web import CONTENT_SECURITY_POLICY

CENTRAL_PAGES = ["/auth/login", "/m/track", "/m/join", "/m/stations/", "/open311/v2/requests.json",
                 "/static/js/admin.js", "/no-such-page"]


def directives(policy: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in policy.split(";") if part.strip()}


def assert_secured(response, https: bool = False) -> None:
    headers = response.headers
    policy = directives(headers["Content-Security-Policy"])
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "unsafe" not in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "no-referrer")  # join and card pages: stricter
    assert ("Strict-Transport-Security" in headers) == https
    if https:
        assert re.fullmatch(r"max-age=\d{7,}", headers["Strict-Transport-Security"])


@pytest.mark.parametrize("path", CENTRAL_PAGES)
def test_central_pages_phone_pages_and_the_api_carry_the_headers(central_app, path):
    assert_secured(central_app.test_client().get(path))


def test_staff_pages_carry_the_headers_and_hsts_only_over_https(central_app):
    client = signed_in(central_app, "admin")
    for path in ("/", "/members/", "/requests/", "/reports/", "/api/v1/stations"):
        assert_secured(client.get(path))
    secure = central_app.test_client().get("/auth/login", base_url="https://central.example")
    assert_secured(secure, https=True)


def test_the_kiosk_carries_the_headers(kiosk_app):
    client = kiosk_app.test_client()
    for path in ("/", "/checkin/", "/static/js/kiosk.js"):
        assert_secured(client.get(path))
    assert_secured(client.get("/", base_url="https://kiosk.example"), https=True)


def test_pages_ask_htmx_for_no_eval_no_scripts_and_no_injected_style(central_app, kiosk_app):
    central = central_app.test_client().get("/auth/login").get_data(as_text=True)
    kiosk = kiosk_app.test_client().get("/").get_data(as_text=True)
    metas = [json.loads(html.unescape(re.search(r'<meta name="htmx-config" content="([^"]+)">', page).group(1)))
             for page in (central, kiosk)]
    for meta in metas:
        assert meta["allowEval"] is False and meta["allowScriptTags"] is False
        assert meta["includeIndicatorStyles"] is False
    assert metas[1]["historyCacheSize"] == 0


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"\shx-on[:-]", re.I), "an hx-on handler (htmx runs it with eval)"),
    (re.compile(r"\sstyle\s*=|<style", re.I), "an inline style"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"\shx-(vals|headers)\s*=\s*['\"]\s*js:", re.I), "an hx- value htmx would eval"),
]


def test_no_template_holds_what_the_policy_refuses():
    found = []
    for path in sorted(Path(TEMPLATES_DIR).rglob("*.html")):
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES_DIR)}:{line}: {what}")
    assert not found, "\n".join(found)


def test_the_policy_is_the_one_documented():
    operations = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    assert CONTENT_SECURITY_POLICY in operations
