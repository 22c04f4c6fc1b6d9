"""CSV exports that open right in Excel on Chinese Windows.

Every file is UTF-8 with a byte-order mark (Excel reads BOM-less UTF-8 as GBK), times are ISO 8601
with the local offset (+08:00), and a text cell that a spreadsheet would run as a formula (it starts
with = + - @, a tab or a carriage return) is prefixed with an apostrophe. Report tables are exported
from the same suppressed table the page shows. The usage log can be millions of rows, so it is
written by a background job (`export_jobs`). See docs/data-dictionary.md.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from station_admin.core.privacy import SuppressedTable

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str | int:
    """A value as a spreadsheet cell: text that would start a formula is kept as text with a leading '."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def local_iso(moment: datetime, offset: int) -> str:
    """An ISO 8601 time with the local offset, e.g. 2025-06-01T12:30:00+08:00."""
    local = moment.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=offset)
    sign = "+" if offset >= 0 else "-"
    return f"{local.replace(microsecond=0).isoformat()}{sign}{abs(offset):02d}:00"


def csv_text(header: list[str], rows) -> str:
    """A whole CSV file as text: BOM, header, rows, every cell made safe."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()


def table_csv(table: SuppressedTable, corner: str, row_labels: list[str], column_labels: list[str],
              total_label: str) -> str:
    """A suppressed report table as CSV, hidden entries as "*", exactly as the page shows it."""
    n_rows, n_cols = len(table.rows), len(table.columns)
    rows = [[label, *(table.shown(r, c) for c in range(n_cols + 1))] for r, label in enumerate(row_labels)]
    rows.append([total_label, *(table.shown(n_rows, c) for c in range(n_cols + 1))])
    return csv_text([corner, *column_labels, total_label], rows)


def usage_header(columns: tuple[str, ...]) -> list[str]:
    """The usage-log CSV's column names (documented in docs/data-dictionary.md)."""
    return ["kind", "event_id", "station_code", "station_name", "district_code", "occurred_at", *columns]
