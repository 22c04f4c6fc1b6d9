"""The screenshot script still runs end to end and gives images of the documented sizes."""

from __future__ import annotations

import struct

import pytest

from tests.browser.screenshots import FILES, take_screenshots

pytestmark = pytest.mark.browser


def png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


# The whole system and twenty screenshots: more than the suite's default 120 s on a loaded 2-core machine.
@pytest.mark.timeout(360)
def test_screenshot_script_takes_every_screenshot(tmp_path, browser):
    taken = take_screenshots(tmp_path, browser)
    assert sorted(p.name for p in taken) == sorted(FILES)
    for path in taken:
        viewport = FILES[path.name]
        assert png_size(path) == (viewport["width"], viewport["height"]), path.name
