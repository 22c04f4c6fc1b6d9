"""Checking htmx endpoints as htmx uses them: a fragment for HX-Request, the page with the same fragment otherwise."""

from __future__ import annotations

import re

HX = {"HX-Request": "true"}


def element(html: str, element_id: str) -> str:
    """The outer HTML of the element with this id (fragments here are one top-level element)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{element_id}"', html)
    assert match, f"no element #{element_id}"
    tag = match.group(1)
    depth, pos = 0, match.start()
    for m in re.finditer(rf"<(/?){tag}\b[^>]*>", html[match.start():]):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return html[pos:match.start() + m.end()]
    raise AssertionError(f"#{element_id} is not closed")


def assert_fragment_and_page(client, url: str, element_id: str) -> str:
    """The htmx response is just the fragment, and the full page contains exactly that fragment."""
    fragment = client.get(url, headers=HX).get_data(as_text=True).strip()
    page = client.get(url).get_data(as_text=True)
    assert "<html" not in fragment and fragment.startswith("<") and f'id="{element_id}"' in fragment
    assert "<html" in page
    assert normalise(element(page, element_id)) == normalise(fragment)
    return fragment


def normalise(html: str) -> str:
    """Ignore what differs between two renders by design: csrf tokens and times to the second."""
    html = re.sub(r"\d\d:\d\d:\d\d", "HH:MM:SS", html)
    return re.sub(r"\s+", " ", html).strip()
