"""QR codes as SVG (for pages) and PNG (to save), cached: drawing one costs milliseconds."""

from __future__ import annotations

import io
import re
from functools import lru_cache

import qrcode
import qrcode.image.svg
from markupsafe import escape
from qrcode.constants import ERROR_CORRECT_M


def _code(text: str) -> qrcode.QRCode:
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2)
    code.add_data(text)
    code.make(fit=True)
    return code


@lru_cache(maxsize=512)
def qr_svg(text: str, label: str = "") -> str:
    """An inline SVG of the QR code that scales to its box (CSS sets the size)."""
    svg = _code(text).make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2)
    aria = f' role="img" aria-label="{escape(label)}"' if label else ' aria-hidden="true"'
    return svg.replace("<svg ", f'<svg class="qr"{aria} shape-rendering="crispEdges" ', 1)


@lru_cache(maxsize=256)
def qr_png(text: str, box_size: int = 12) -> bytes:
    """A PNG of the QR code, large enough to scan from a phone screen or a print."""
    code = _code(text)
    code.box_size = box_size
    out = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(out, format="PNG")
    return out.getvalue()
