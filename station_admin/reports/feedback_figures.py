"""Feedback report figures: pain points by category and place, satisfaction with counts.

They go through `privacy` like every other report; an average is shown only where none of the
scores behind it is hidden (with the count shown, an average and the visible scores would give the
hidden ones back).
"""

from __future__ import annotations

import logging
from collections import Counter

from station_admin.community.feedback import SCORES, Feedback, FeedbackCategory
from station_admin.core.privacy import HIDDEN, SuppressedTable, suppress
from station_admin.reports.figures import Group, bounds, group_of, groups
from station_admin.reports.scope import ReportScope

log = logging.getLogger(__name__)


def pain_point_table(scope: ReportScope, known: list[str]) -> tuple[list[str], list[Group], SuppressedTable]:
    """Feedback naming each pain point (rows: the configured ones, then any other id) per station or district."""
    cols = groups(scope)
    found = FeedbackCategory.counts_by_station(scope.codes, *bounds(scope)) if scope.codes else Counter()
    keys = known + sorted({category for _, category in found} - set(known))
    place_of, index = group_of(scope), {g.code: j for j, g in enumerate(cols)}
    cells = [[0] * len(cols) for _ in keys]
    row = {k: i for i, k in enumerate(keys)}
    for (code, category), n in found.items():
        cells[row[category]][index[place_of[code]]] += n
    return keys, cols, suppress(keys, [g.code for g in cols], cells)


def satisfaction_table(scope: ReportScope) -> tuple[list[Group], SuppressedTable, list[str]]:
    """Scores 1 to 5 per station or district with counts, and each row's average where it discloses nothing."""
    cols = groups(scope)
    found = Feedback.scores_by_station(scope.codes, *bounds(scope)) if scope.codes else Counter()
    place_of, index = group_of(scope), {g.code: j for j, g in enumerate(cols)}
    cells = [[0] * len(SCORES) for _ in cols]
    for (code, score), n in found.items():
        cells[index[place_of[code]]][score - 1] += n
    table = suppress([g.code for g in cols], list(SCORES), cells)
    averages = []
    for r, values in enumerate(table.grid):
        total = values[len(SCORES)]
        if any(table.hidden[r]):
            averages.append(HIDDEN)
        else:
            averages.append(f"{sum((s + 1) * n for s, n in enumerate(values[:len(SCORES)])) / total:.2f}"
                            if total else "—")
    return cols, table, averages
