"""Server-rendered SVG charts: geometry computed here, drawn by the report templates; nothing from a CDN.

Charts draw only what the suppressed table shows: a hidden entry is drawn as a hatched stub marked
"*", never at its true height, so a chart cannot give away what its table hides.
"""

from __future__ import annotations

from dataclasses import dataclass

from station_admin.core.privacy import HIDDEN, MIN_CELL, SuppressedTable


@dataclass
class Bar:
    """One bar: position, size, label and the value as shown."""

    x: float
    y: float
    width: float
    height: float
    label: str
    shown: int | str
    hidden: bool
    tick: bool  # label this bar on the axis


@dataclass
class BarChart:
    width: int
    height: int
    left: int
    bottom: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value) for the value axis


def nice_step(top: int, steps: int = 4) -> int:
    """A round axis step (1, 2 or 5 times a power of ten) so `steps` of them reach `top`."""
    raw = max(top / steps, 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= raw:
            return magnitude * factor
    return magnitude * 10


def bar_chart(labels: list[str], shown: list[int | str], width: int = 900, height: int = 240) -> BarChart:
    """Bars for values as shown ("*" for hidden), with a rounded value axis."""
    left, bottom, top_pad = 56, 34, 12
    values = [v if isinstance(v, int) else MIN_CELL - 1 for v in shown]
    step = nice_step(max(values, default=0) or 1)
    top = step * max(1, -(-max(values, default=0) // step))
    plot_h = height - bottom - top_pad
    slot = (width - left - 8) / max(len(values), 1)
    every = max(1, round(len(values) / 12))
    bars = []
    for i, (label, value, raw) in enumerate(zip(labels, values, shown, strict=True)):
        h = plot_h * value / top
        bars.append(Bar(left + i * slot + slot * 0.12, top_pad + plot_h - h, slot * 0.76, h, label, raw,
                        raw == HIDDEN, i % every == 0))
    ticks = [(top_pad + plot_h - plot_h * v / top, v) for v in range(0, top + 1, step)]
    return BarChart(width, height, left, bottom, bars, ticks)


@dataclass
class CategoryBar:
    """One category's bar, drawn left to right: its row, length, the label as drawn and in full, the value."""

    y: float
    length: float
    label: str  # as drawn: cut to fit, with "…"
    full_label: str  # the whole name, shown on hover
    shown: int | str
    hidden: bool


@dataclass
class CategoryChart:
    width: int
    height: int
    left: int  # where the bars start: the label column's width
    row: int
    bars: list[CategoryBar]
    ticks: list[tuple[float, int]]  # (x, value) for the value axis along the top


def short_label(label: str, room: int) -> str:
    """The label in at most `room` display columns (a Chinese character and the "…" of a cut label count two)."""
    widths = [2 if ord(ch) > 0x2E80 else 1 for ch in label]
    if sum(widths) <= room:
        return label
    used, cut = 0, 0
    while cut < len(label) and used + widths[cut] + 2 <= room:
        used += widths[cut]
        cut += 1
    return label[:cut].rstrip() + "…"


def category_chart(labels: list[str], shown: list[int | str], width: int = 900, row: int = 24,
                   label_columns: int = 24) -> CategoryChart:
    """Horizontal bars, one row per category, so 16 or 200 names stay legible: labels cut to fit, in full on
    hover; the chart grows with the categories (the page scrolls it). Hidden values are hatched stubs."""
    left, top_pad, right_pad = 8 * label_columns // 2 + 16, 24, 48
    values = [v if isinstance(v, int) else MIN_CELL - 1 for v in shown]
    step = nice_step(max(values, default=0) or 1)
    top = step * max(1, -(-max(values, default=0) // step))
    plot_w = width - left - right_pad
    bars = [CategoryBar(top_pad + i * row, plot_w * value / top, short_label(label, label_columns), label, raw,
                        raw == HIDDEN)
            for i, (label, value, raw) in enumerate(zip(labels, values, shown, strict=True))]
    ticks = [(left + plot_w * v / top, v) for v in range(0, top + 1, step)]
    return CategoryChart(width, top_pad + row * max(len(labels), 1) + 8, left, row, bars, ticks)


@dataclass
class HeatCell:
    x: int
    y: int
    fill: str
    ink: str
    shown: int | str
    hidden: bool
    peak: bool
    weekday: int
    hour: int


@dataclass
class HeatMap:
    width: int
    height: int
    cell_w: int
    cell_h: int
    left: int
    top: int
    cells: list[HeatCell]


def _shade(share: float) -> tuple[str, str]:
    """A fill from pale to the brand red for a share 0..1, and a text colour readable on it (4.5:1 at least).

    The middle of the pale-to-red ramp (about 0.62-0.74 of the way) has less than 4.5:1 against both dark and
    white text, so the lower half of the shares takes the ramp's first 60 % with dark text and the upper half
    its last 25 % with white: the fills still darken with the count, with a step where the ink changes.
    """
    low, high = (255, 245, 240), (179, 18, 27)
    share = min(max(share, 0.0), 1.0)
    dark = share <= 0.5
    t = share * 1.2 if dark else 0.75 + (share - 0.5) * 0.5
    rgb = tuple(round(a + (b - a) * t) for a, b in zip(low, high, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb), "#0f1722" if dark else "#ffffff"


def heat_map(table: SuppressedTable, peaks: set[tuple[int, int]]) -> HeatMap:
    """A weekday x hour grid shaded by the shown counts; hidden cells hatched, peak hours outlined."""
    cell_w, cell_h, left, top = 36, 28, 52, 22
    visible = [table.grid[r][c] for r in range(7) for c in range(24) if not table.hidden[r][c]]
    most = max(visible, default=0) or 1
    cells = []
    for wd in range(7):
        for h in range(24):
            hidden = table.hidden[wd][h]
            fill, ink = ("url(#hatch)", "#0f1722") if hidden else _shade(table.grid[wd][h] / most)
            cells.append(HeatCell(left + h * cell_w, top + wd * cell_h, fill, ink, table.shown(wd, h), hidden,
                                  (wd, h) in peaks, wd, h))
    return HeatMap(left + 24 * cell_w + 4, top + 7 * cell_h + 4, cell_w, cell_h, left, top, cells)
