"""Every check a screen must pass, run in the page: axe-core, text contrast, tap-target size, overflow.

`failures(page, min_target)` runs them all on what the page shows now and returns one line per
failure, each naming the element by a CSS selector, so a test prints every problem of a screen at once:

- axe-core (vendored: tests/vendor/axe-core-4.14.1.min.js, from the npm registry): no violation of
  impact "serious" or "critical";
- the contrast of every visible text element against its effective background (its own and its
  ancestors' background colours composited, opacity included) is at least 4.5:1, whatever the size;
- every tap target (link, button, field, choice label, summary) is at least `min_target` CSS px
  in both directions; a link inside running text is exempt (WCAG 2.5.8's inline exception), and a
  radio or checkbox is measured by the label that holds it (the label is what is tapped);
- the page scrolls no wider than the viewport (the elements that stick out are named);
- no text is clipped: no text element is wider (or, when it hides overflow, taller) than its box,
  unless it is a scroll area on purpose or an ellipsis with the full text in its `title`.

Minimum tap targets: the kiosk 60 px (docs: "no control under 60 px"), the phone pages 44 px
(Apple's and WCAG 2.5.5's touch target), the staff pages 24 px (WCAG 2.5.8, pointer on a laptop).
"""

from __future__ import annotations

from pathlib import Path

AXE_SOURCE = (Path(__file__).resolve().parents[1] / "vendor" / "axe-core-4.14.1.min.js").read_text(encoding="utf-8")
KIOSK_TARGET, PHONE_TARGET, STAFF_TARGET = 60, 44, 24
MIN_CONTRAST = 4.5

_HERE = Path(__file__).resolve().parent


def _function(name: str) -> str:
    """A JavaScript function from a file beside this one, its opening comment lines dropped."""
    lines = (_HERE / name).read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.startswith("//"))


_CHECKS = _function("accessibility.js").replace("__MIN_CONTRAST__", str(MIN_CONTRAST))
_AXE_RUN = _function("axe-run.js")



def failures(page, min_target: int, axe: bool = True) -> list[str]:
    """Every accessibility and layout failure of what the page shows now, one line each with its selector.

    `axe=False` runs only the contrast, target, overflow and clipping checks (axe's rules are about the
    page's structure, which a change of text size leaves as it is; axe is the slow part)."""
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    found = []
    if axe:
        # evaluate, not a script tag: a page's Content-Security-Policy cannot refuse what the test injects.
        if not page.evaluate("!!window.axe"):
            page.evaluate(AXE_SOURCE + "\n;true")
        found = page.evaluate(_AXE_RUN)
    return found + page.evaluate(_CHECKS, min_target)


def assert_accessible(page, min_target: int, what: str = "") -> None:
    """Fail with every problem of the screen listed (not only the first)."""
    found = failures(page, min_target)
    assert not found, f"{what or page.url}: {len(found)} problem(s)\n  " + "\n  ".join(found)
