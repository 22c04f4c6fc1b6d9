"""The accessibility checks find what they say they find (a page built to fail each one), and pass a good page."""

from __future__ import annotations

import pytest

from tests.browser.accessibility import KIOSK_TARGET, failures
from tests.browser.conftest import PORTRAIT

pytestmark = pytest.mark.browser

GOOD = """<!doctype html><html lang="en"><head><title>Good</title></head>
<body style="margin:0;font-size:24px;background:#fff;color:#111"><main>
<h1>A screen</h1><p>Plain words, dark on white, with <a href="#x">a link in the text</a> of a sentence.</p>
<button style="min-width:80px;min-height:80px">Go</button>
<label style="display:inline-block;min-height:80px;min-width:200px"><input type="radio" name="r"> Choice</label>
</main></body></html>"""

BAD = """<!doctype html><html lang="en"><head><title>Bad</title></head>
<body style="margin:0;font-size:24px;background:#fff"><main>
<h1>A screen</h1>
<p id="pale" style="color:#aaa">Grey on white</p>
<div style="background:#0a7d32"><p id="green" style="color:#0b8a38">Green on green</p></div>
<button id="small" style="width:40px;height:30px">x</button>
<div id="wide" style="width:3000px;height:10px"></div>
<p id="clipped" style="width:60px;overflow:hidden;white-space:nowrap">A sentence far too long for its box</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="10" height="10">
</main></body></html>"""


def test_a_good_page_has_no_failure(open_page):
    page = open_page(PORTRAIT)
    page.set_content(GOOD)
    assert failures(page, KIOSK_TARGET) == []


def test_every_kind_of_failure_is_found_and_named_by_its_element(open_page):
    page = open_page(PORTRAIT)
    page.set_content(BAD)
    found = failures(page, KIOSK_TARGET)
    text = "\n".join(found)
    assert any(line.startswith("contrast: #pale ") for line in found), text
    assert any(line.startswith("contrast: #green ") for line in found), text
    assert any(line.startswith("target: #small 40×30 px < 60 px") for line in found), text
    assert any(line.startswith("overflow: html ") for line in found), text
    assert any(line.startswith("overflow: #wide ") for line in found), text
    assert any(line.startswith("clipped: #clipped ") for line in found), text
    assert any(line.startswith("axe image-alt (critical)") for line in found), text
