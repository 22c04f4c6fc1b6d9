"""Privacy in aggregates: small counts hidden, totals that would give them away hidden too, rankings need cases.

A table of counts is shown with its row totals, column totals and grand total. Think of it as the
(rows + 1) x (columns + 1) grid with the totals as its last column and row: every line of that grid
(a row with its total, a column with its total, the totals row with the grand total...) is one
equation a reader can solve. Rules, on screen and in every export alike:

- primary: a cell or total that counts 1 to 4 is hidden (shows as HIDDEN, "*"). Zero is shown: it discloses no one.
- secondary: no line may hold exactly one hidden entry (the line's equation would give it back);
  the smallest visible cell of such a line is hidden as well, until no line has one.
- and no hidden entry may be a bridge of the graph whose vertices are the lines and whose edges
  are the hidden entries: a bridge lies on no cycle, so eliminating along the tree gives its value
  back even when every line holds two. A visible entry that closes a cycle through it is hidden.

The result hides no more than the rules need, and the smallest cells first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)

MIN_CELL = 5
MIN_RANKING = 20
# Every hidden entry shows the same mark, whether it counts 1 to 4 or is hidden only so that totals
# cannot give such a one back (a mark of its own would give it away: next to a total of 6, a "<5"
# beside a "hidden for the totals" cell would be exactly 1). The note beside each table says so.
HIDDEN = "*"


@dataclass
class SuppressedTable:
    """A table of counts with its totals, and which entries of the (R+1) x (C+1) grid are hidden."""

    rows: list[str]
    columns: list[str]
    grid: list[list[int]]       # (R+1) x (C+1): cells, row totals in the last column, column totals in the last row
    hidden: list[list[bool]]

    def shown(self, r: int, c: int) -> int | str:
        """An entry as it may be shown: the number, or HIDDEN."""
        return HIDDEN if self.hidden[r][c] else self.grid[r][c]

    def cell(self, r: int, c: int) -> int | str:
        """A body cell as it may be shown."""
        return self.shown(r, c)

    def row_total(self, r: int) -> int | str:
        """A row's total as it may be shown."""
        return self.shown(r, len(self.columns))

    def column_total(self, c: int) -> int | str:
        """A column's total as it may be shown."""
        return self.shown(len(self.rows), c)

    @property
    def grand_total(self) -> int | str:
        return self.shown(len(self.rows), len(self.columns))

    def display(self) -> list[list[tuple[int | str, str]]]:
        """Every grid row as (shown value, CSS class) pairs, for templates: one pass in Python, not a call a cell."""
        last = len(self.columns)
        return [[(HIDDEN if h else v, ("sup" if h else "") + (" total" if c == last or r == len(self.rows) else ""))
                 for c, (v, h) in enumerate(zip(values, hides, strict=True))]
                for r, (values, hides) in enumerate(zip(self.grid, self.hidden, strict=True))]

    @property
    def hidden_count(self) -> int:
        return sum(map(sum, self.hidden))

    def value(self, r: int, c: int) -> int:
        """The true value, for shading and charts only where hidden entries are not drawn from it."""
        return self.grid[r][c]


def suppress(rows: list[str], columns: list[str], cells: list[list[int]],
             hide: set[tuple[int, int]] = frozenset()) -> SuppressedTable:
    """The table with its totals, small counts hidden and no hidden count derivable from what is shown.

    `hide` names grid entries to hide whatever their value (an entry another table hides).
    """
    n_rows, n_cols = len(rows), len(columns)
    grid = [[*row, sum(row)] for row in cells]
    grid.append([sum(grid[r][c] for r in range(n_rows)) for c in range(n_cols + 1)])
    hidden = [[0 < v < MIN_CELL for v in row] for row in grid]
    for r, c in hide:
        hidden[r][c] = True
    if n_rows and n_cols:
        _secondary(grid, hidden)
    return SuppressedTable(rows, columns, grid, hidden)


def suppress_linked(tables: list[tuple[list[str], list[str], list[list[int]]]],
                    links: list[list[tuple[int, int, int]]]) -> list[SuppressedTable]:
    """Tables that show some figures twice (each link: the (table, row, column) places of one figure),
    suppressed so that a figure hidden in one is hidden in all: one table cannot undo another's hiding."""
    forced: list[set[tuple[int, int]]] = [set() for _ in tables]
    while True:
        result = [suppress(*table, hide=forced[t]) for t, table in enumerate(tables)]
        changed = False
        for link in links:
            if any(result[t].hidden[r][c] for t, r, c in link):
                for t, r, c in link:
                    if not result[t].hidden[r][c]:
                        forced[t].add((r, c))
                        changed = True
        if not changed:
            return result


def _lines(n_rows: int, n_cols: int):
    """Every line of the grid: each row with its total, each column with its total (totals last)."""
    for r in range(n_rows):
        yield [(r, c) for c in range(n_cols)]
    for c in range(n_cols):
        yield [(r, c) for r in range(n_rows)]


def _secondary(grid: list[list[int]], hidden: list[list[bool]]) -> None:
    """Hide complements until no line has exactly one hidden entry and no hidden entry is a bridge."""
    n_rows, n_cols = len(grid), len(grid[0])
    while True:
        changed = False
        for line in _lines(n_rows, n_cols):
            if sum(hidden[r][c] for r, c in line) == 1:
                _hide_smallest(grid, hidden, line)
                changed = True
        if changed:
            continue
        bridge = _find_bridge(hidden, n_rows, n_cols)
        if bridge is None:
            return
        _close_cycle(grid, hidden, bridge, n_rows, n_cols)


def _hide_smallest(grid, hidden, line) -> None:
    """Hide the smallest visible entry of a line, body cells before the line's total."""
    *body, total = line
    candidates = [(grid[r][c], r, c) for r, c in body if not hidden[r][c]] or \
                 [(grid[r][c], r, c) for r, c in [total] if not hidden[r][c]]
    _, r, c = min(candidates)
    hidden[r][c] = True


def _find_bridge(hidden, n_rows: int, n_cols: int) -> tuple[int, int] | None:
    """A hidden entry on no cycle of the line graph (rows and columns as vertices), or None."""
    adjacency: dict[int, list[tuple[int, tuple[int, int]]]] = {}
    for r in range(n_rows):
        for c in range(n_cols):
            if hidden[r][c]:
                adjacency.setdefault(r, []).append((n_rows + c, (r, c)))
                adjacency.setdefault(n_rows + c, []).append((r, (r, c)))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    for root in adjacency:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack = [(root, None, iter(adjacency[root]))]
        while stack:  # Tarjan's bridges, iteratively
            vertex, via, edges = stack[-1]
            advanced = False
            for neighbour, edge in edges:
                if edge == via:
                    continue
                if neighbour in order:
                    low[vertex] = min(low[vertex], order[neighbour])
                else:
                    order[neighbour] = low[neighbour] = len(order)
                    stack.append((neighbour, edge, iter(adjacency[neighbour])))
                    advanced = True
                    break
            if not advanced:
                stack.pop()
                if stack:
                    parent = stack[-1][0]
                    low[parent] = min(low[parent], low[vertex])
                    if low[vertex] > order[parent]:
                        return via
    return None


def _close_cycle(grid, hidden, bridge: tuple[int, int], n_rows: int, n_cols: int) -> None:
    """Hide the smallest visible entry joining the two sides of a bridge, so it lies on a cycle."""
    br, bc = bridge
    hidden[br][bc] = False
    side = _component(hidden, br, n_rows, n_cols)  # the row's side, without the bridge
    hidden[br][bc] = True
    candidates = [(grid[r][c], r, c) for r in range(n_rows) for c in range(n_cols)
                  if not hidden[r][c] and ((r in side) != ((n_rows + c) in side))]
    _, r, c = min(candidates)
    hidden[r][c] = True


def _component(hidden, start: int, n_rows: int, n_cols: int) -> set[int]:
    """The vertices reachable from `start` through hidden entries."""
    seen, todo = {start}, [start]
    while todo:
        v = todo.pop()
        neighbours = ([n_rows + c for c in range(n_cols) if hidden[v][c]] if v < n_rows
                      else [r for r in range(n_rows) if hidden[r][v - n_rows]])
        for w in neighbours:
            if w not in seen:
                seen.add(w)
                todo.append(w)
    return seen


def ranked(items: list, cases) -> list:
    """The items that may be ranked: those with at least MIN_RANKING cases (`cases(item)`)."""
    return [item for item in items if cases(item) >= MIN_RANKING]
