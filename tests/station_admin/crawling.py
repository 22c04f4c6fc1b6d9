"""A crawler for central through the test client: every link, htmx GET, redirect and GET route a signed-in user
(or an anonymous visitor) can reach, with each answer kept for the checks (test_role_crawl, the browser's CSP test).
"""

from __future__ import annotations

import itertools
import re
import time
from collections import Counter, deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from werkzeug.routing import AnyConverter, Map

from station_admin.core import models
from station_admin.reports.export_jobs import ExportJob
from station_admin.reports.usage import KINDS
from tests.conftest import csrf_of
from tests.station_admin.conftest import signed_in

# Pages anyone may open: a station's name there is public, and a signed-out visitor may get them.
PUBLIC_PREFIXES = ("/m/", "/open311/", "/auth/", "/static/")
# What a shop's staff may open besides the public pages.
SHOP_ENDPOINTS = {"redeem.index", "auth.login"}
VARIANTS_PER_ENDPOINT = 6  # query-string variants of one route followed (pages, filters), to keep the crawl short


class Links(HTMLParser):
    """The GET targets of a page: links, htmx GETs, GET forms, sources."""

    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, bool]] = []  # (url, as htmx)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("hx-get"):
            self.found.append((a["hx-get"], True))
        if tag == "a" and a.get("href"):
            self.found.append((a["href"], False))
        if tag == "form" and (a.get("method") or "get").lower() == "get" and a.get("action"):
            self.found.append((a["action"], False))
        if tag in ("img", "iframe", "video", "source") and a.get("src"):
            self.found.append((a["src"], False))


class Crawl:
    """One role's walk through central, with everything it saw."""

    def __init__(self, app, client, user):
        self.app, self.client, self.user = app, client, user
        self.adapter = app.url_map.bind("localhost")
        self.seen: set[str] = set()
        self.per_endpoint: Counter = Counter()
        self.bodies: list[tuple[str, int, str, str]] = []  # (url, status, endpoint, text)
        self.queue: deque[tuple[str, bool]] = deque()

    def endpoint(self, path: str) -> str | None:
        try:
            return self.adapter.match(path, method="GET")[0]
        except Exception:  # noqa: BLE001 - not a route (404) or not GET (405): nothing to follow
            return None

    def add(self, url: str, htmx: bool = False, base: str = "/") -> None:
        url = urljoin(base, url.strip())
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.scheme not in ("", "http", "https"):
            return
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        endpoint = self.endpoint(parts.path)
        if endpoint in (None, "static") or (path, htmx) in self.seen:
            return
        if parts.query and self.per_endpoint[endpoint] >= VARIANTS_PER_ENDPOINT:
            return
        self.per_endpoint[endpoint] += 1
        self.seen.add((path, htmx))
        self.queue.append((path, htmx))

    def fetch(self, path: str, htmx: bool = False) -> None:
        headers = {"HX-Request": "true"} if htmx else {}
        response = self.client.get(path, headers=headers)
        text = response.get_data(as_text=True)
        self.bodies.append((path, response.status_code, self.endpoint(urlsplit(path).path) or "?", text))
        for header in ("Location", "HX-Redirect", "HX-Location"):
            if response.headers.get(header):
                self.add(response.headers[header].split("?next=")[0], base=path)
        if "html" in response.content_type:
            links = Links()
            links.feed(text)
            for url, as_htmx in links.found:
                self.add(url, as_htmx, base=path)

    def walk(self, start: str) -> None:
        self.add(start)
        while self.queue:
            self.fetch(*self.queue.popleft())

    def url_map(self, ids: dict[str, list[str]]) -> None:
        """Every GET route, with every combination of ids from every scope."""
        for rule in self.app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            names = sorted(rule.arguments)
            # An <any(...)> part (e.g. results.<any(csv, xlsx):kind>) takes each of its own values.
            choices = [sorted(rule._converters[name].items) if isinstance(rule._converters.get(name), AnyConverter)
                       else ids.get(name, ["1"]) for name in names]
            for values in itertools.product(*choices):
                path = _build(self.app.url_map, rule.endpoint, dict(zip(names, values, strict=True)))
                if (path, False) not in self.seen:
                    self.seen.add((path, False))
                    self.fetch(path)

    def exports(self, wait_s: float = 20) -> int:
        """Ask for every usage-log export the role may start, and read each CSV it gets; how many it got."""
        self.csv_files = 0
        for kind in KINDS:
            response = self.client.post(f"/reports/export?kind={kind}", data={"csrf_token": csrf_of(self.client)})
            match = re.search(r"/reports/exports/(\d+)", response.headers.get("Location", ""))
            if not match:
                continue
            job = match.group(1)
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                with self.app.app_context(), models.db.connection_context():
                    if ExportJob.get_by_id(int(job)).finished:
                        break
                time.sleep(0.05)
            else:
                raise AssertionError(f"export {job} ({kind}) did not finish in {wait_s}s")
            self.fetch(f"/reports/exports/{job}/download")
            self.csv_files += 1
        return self.csv_files


def _build(url_map: Map, endpoint: str, values: dict) -> str:
    return url_map.bind("localhost").build(endpoint, values)


def crawl(app, user, world) -> Crawl:
    """Walk central as `user` from every start page, start its exports, then ask for every GET route."""
    client = signed_in(app, user)
    walker = Crawl(app, client, user)
    walker.walk("/")
    walker.walk("/m/redeem/")
    walker.walk("/m/stations/")
    walker.walk("/open311/v2/requests.json")
    walker.exports()
    walker.url_map(world.ids)
    return walker


def is_public(path: str) -> bool:
    """Whether a page is one anyone may open."""
    return path.startswith(PUBLIC_PREFIXES)
