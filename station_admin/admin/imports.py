"""Bulk import and export of stations, CSV or .xlsx, in one documented format (docs/stations-import.md).

A file is first planned: every row becomes "create", "change", "unchanged" or "error" (with every
problem in the user's language), and nothing is written. Applying a plan writes its creates and
changes in one transaction through save_station (so each is validated and audited as on the
station page); re-importing the same file changes nothing, since rows match stations by code.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from station_admin.admin.refusal import Refused
from station_admin.admin.stations import StationFacts, facts_from_form, facts_of, problems_of, save_station
from station_admin.core.models import District, StaffUser, Station, db

log = logging.getLogger(__name__)

WEEKDAY_COLUMNS = ("hours_mon", "hours_tue", "hours_wed", "hours_thu", "hours_fri", "hours_sat", "hours_sun")
COLUMNS = ("code", "district", "name_zh", "name_en", "address", "latitude", "longitude", "seats", "charger_slots",
           "services", "always_open", "mobile", *WEEKDAY_COLUMNS)
REQUIRED = ("code", "district", "name_zh", "name_en", "seats")
MAX_ROWS = 20_000
YES = {"yes", "y", "true", "1", "是"}
NO = {"", "no", "n", "false", "0", "否"}


@dataclass
class RowPlan:
    """What importing one row would do: its line in the file, the station code, and why it cannot."""

    line: int
    code: str
    action: str  # create, change, unchanged, error
    problems: list[tuple[str, dict]] = field(default_factory=list)
    facts: StationFacts | None = None

    def messages(self, lang: str | None = None) -> list[str]:
        """The row's problems as sentences in `lang` (default: the request's)."""
        return Refused(self.problems).messages(lang) if self.problems else []


class _Form(dict):
    """A row as the station form's fields, so rows are read exactly as the form is."""

    def getlist(self, key: str) -> list[str]:
        return self.get(key + "[]", [])


def read_rows(name: str, data: bytes) -> list[dict[str, str]]:
    """The rows of a CSV (UTF-8, with or without BOM) or .xlsx file by column name; Refused when unreadable."""
    if name.lower().endswith(".xlsx"):
        rows = _xlsx_rows(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Refused.one("imports.error.encoding") from None
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise Refused.one("imports.error.empty")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    if missing or unknown:
        raise Refused.one("imports.error.columns", missing=", ".join(missing) or "—", unknown=", ".join(unknown) or "—")
    if len(rows) - 1 > MAX_ROWS:
        raise Refused.one("imports.error.too_many", max=MAX_ROWS)
    return [{h: (r[i].strip() if i < len(r) else "") for i, h in enumerate(header) if h} for r in rows[1:]]


def _xlsx_rows(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        raise Refused.one("imports.error.xlsx") from None
    sheet = book.worksheets[0]
    rows = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


def _cell(value) -> str:
    """A spreadsheet cell as the text a CSV would hold (16.0 typed as a number is "16")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def _facts(row: dict[str, str]) -> tuple[StationFacts, list[tuple[str, dict]]]:
    form = _Form({"code": row.get("code", ""), "district": row.get("district", ""), "name_zh": row.get("name_zh", ""),
                  "name_en": row.get("name_en", ""), "address": row.get("address", ""),
                  "latitude": row.get("latitude", ""), "longitude": row.get("longitude", ""),
                  "capacity": row.get("seats", ""), "charger_slots": row.get("charger_slots", ""),
                  "services[]": [s.strip() for s in row.get("services", "").replace(";", ",").split(",") if s.strip()],
                  **{f"hours_{day}": row.get(column, "") for day, column in enumerate(WEEKDAY_COLUMNS)}})
    problems: list[tuple[str, dict]] = []
    flags = {}
    for column in ("always_open", "mobile"):
        value = row.get(column, "").strip().lower()
        if value not in YES | NO:
            problems.append(("imports.error.flag", {"column": column}))
        flags[column] = "yes" if value in YES else ""
    form.update(flags)
    facts, unreadable = facts_from_form(form)
    return facts, [*unreadable, *problems]


def plan(rows: list[dict[str, str]], progress: Callable[[int, int], None] | None = None) -> list[RowPlan]:
    """What importing these rows would do, row by row; writes nothing."""
    existing = {s.code: s for s in Station.select(Station, District).join(District)}
    codes, districts = set(existing), {d.code for d in District.select(District.code)}
    seen: set[str] = set()
    plans = []
    for n, row in enumerate(rows):
        facts, problems = _facts(row)
        station = existing.get(facts.code)
        if facts.code in seen:
            problems.append(("imports.error.duplicate", {"code": facts.code}))
        seen.add(facts.code)
        problems += problems_of(facts, station, codes=codes, districts=districts)
        if problems:
            plans.append(RowPlan(n + 2, facts.code, "error", _unique(problems)))
        elif station is None:
            plans.append(RowPlan(n + 2, facts.code, "create", facts=facts))
        else:
            same = _comparable(facts) == _comparable(facts_of(station))
            plans.append(RowPlan(n + 2, facts.code, "unchanged" if same else "change", facts=facts))
        if progress and (n + 1) % 100 == 0:
            progress(n + 1, len(rows))
    if progress:
        progress(len(rows), len(rows))
    return plans


def _unique(problems: list) -> list:
    unique = []
    for problem in problems:
        if problem not in unique:
            unique.append(problem)
    return unique


def _comparable(facts: StationFacts) -> tuple:
    return (facts.district, facts.name_zh, facts.name_en, facts.address, facts.latitude, facts.longitude,
            facts.capacity, facts.charger_slots, tuple(sorted(facts.services)), facts.always_open, facts.mobile,
            tuple(sorted((d, tuple(sorted(i))) for d, i in facts.hours.items() if i)))


def apply(plans: list[RowPlan], actor: StaffUser | None = None,
          progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write a plan's creates and changes in one transaction (rows with errors are left out); counts by action."""
    todo = [p for p in plans if p.action in ("create", "change")]
    with db.atomic():
        existing = {s.code: s for s in Station.select().where(Station.code.in_([p.code for p in todo]))} if todo else {}
        for n, row in enumerate(todo):
            save_station(row.facts, existing.get(row.code), actor=actor)
            if progress and (n + 1) % 50 == 0:
                progress(n + 1, len(todo))
    if progress:
        progress(len(todo), len(todo))
    counts = {action: sum(1 for p in plans if p.action == action) for action in ("create", "change", "unchanged",
                                                                                 "error")}
    log.info("station import: %s", counts)
    return counts


def export_rows() -> list[list[str]]:
    """Every station in the import format, header first (what an import of it would leave unchanged)."""
    rows = [list(COLUMNS)]
    for station in Station.select(Station, District).join(District).order_by(Station.code):
        facts = facts_of(station)
        rows.append([facts.code, facts.district, facts.name_zh, facts.name_en, facts.address,
                     "" if facts.latitude is None else repr(facts.latitude),
                     "" if facts.longitude is None else repr(facts.longitude), str(facts.capacity),
                     str(facts.charger_slots), ",".join(facts.services), "yes" if facts.always_open else "no",
                     "yes" if facts.mobile else "no",
                     *[", ".join(f"{a}-{b}" for a, b in facts.hours.get(day, [])) for day in range(7)]])
    return rows


def write_export(path: Path) -> int:
    """Write every station to a CSV or .xlsx file (by its name); how many stations."""
    rows = export_rows()
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "stations"
        for row in rows:
            sheet.append(row)
        book.save(path)
    else:
        with open(path, "w", newline="", encoding="utf-8-sig") as f:
            csv.writer(f).writerows(rows)
    return len(rows) - 1
