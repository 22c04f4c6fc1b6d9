"""Server-drawn charts stay legible with many categories and never draw what the table hides."""

from __future__ import annotations

import re

from station_admin.core.privacy import HIDDEN, MIN_CELL
from station_admin.reports.charts import category_chart, short_label
from tests.station_admin.conftest import RANGE, admin


def test_short_labels_fit_their_room_counting_chinese_as_two_columns():
    assert short_label("徐汇区总工会", 24) == "徐汇区总工会"
    assert short_label("浦东新区总工会第一百二十三号爱心驿站", 24) == "浦东新区总工会第一百二…"
    assert short_label("Longhua Sanitation Workers' Station", 12) == "Longhua Sa…"
    assert short_label("", 5) == ""


def test_two_hundred_categories_each_get_a_row_of_their_own():
    labels = [f"第{n}号爱心驿站（一个很长很长的站名）" for n in range(200)]
    shown = [n * 3 for n in range(199)] + [HIDDEN]
    chart = category_chart(labels, shown, row=24)
    ys = [bar.y for bar in chart.bars]
    assert len(ys) == 200 and all(b - a == 24 for a, b in zip(ys, ys[1:], strict=False))  # no two rows overlap
    assert chart.height >= 200 * 24
    assert all(bar.full_label == label for bar, label in zip(chart.bars, labels, strict=True))
    columns = [sum(2 if ord(ch) > 0x2E80 else 1 for ch in bar.label) for bar in chart.bars]
    assert max(columns) <= 24 and all(bar.label.endswith("…") for bar in chart.bars)
    longest = max(chart.bars[:-1], key=lambda b: b.length)
    assert longest.shown == 198 * 3 and longest.length <= chart.width - chart.left
    stub = chart.bars[-1]
    assert stub.hidden and stub.shown == HIDDEN
    assert stub.length == (chart.width - chart.left - 48) * (MIN_CELL - 1) / chart.ticks[-1][1]  # not its true size


def test_the_charger_report_draws_one_named_row_per_district(app):  # noqa: F811
    page = admin(app).get(f"/reports/chargers?{RANGE}&by=station").get_data(as_text=True)
    rows = re.findall(r'<g class="category" data-label="([^"]+)">', page)
    assert rows == ["漕河泾职工幸福驿站", "龙华环卫驿站", "徐家汇爱心驿站"]
    assert 'class="counts with-total"' in page  # wide tables keep their total column in view


def _contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    def luminance(colour: str) -> float:
        channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_heat_map_shade_keeps_its_number_readable_and_darkens_with_the_count():
    from station_admin.core.privacy import suppress
    from station_admin.reports.charts import heat_map

    counts = [[wd * 24 + h for h in range(24)] for wd in range(7)]  # every share from 0 to 1, in 168 steps
    chart = heat_map(suppress([str(d) for d in range(7)], [str(h) for h in range(24)], counts), set())
    cells = sorted((c for c in chart.cells if not c.hidden), key=lambda c: c.weekday * 24 + c.hour)
    assert len(cells) > 150
    for cell in cells:  # the cells' numbers are 11 px text: 4.5:1
        assert _contrast(cell.fill, cell.ink) >= 4.5, (cell.weekday, cell.hour, cell.fill, cell.ink)
    darkness = [sum(int(c.fill[i:i + 2], 16) for i in (1, 3, 5)) for c in cells]
    assert darkness == sorted(darkness, reverse=True)
