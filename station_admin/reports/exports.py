"""CSV exports that open right in Excel on Chinese Windows, and background jobs for the large ones.

Every file is UTF-8 with a byte-order mark (Excel reads BOM-less UTF-8 as GBK), times are ISO 8601
with the local offset (+08:00), and a text cell that a spreadsheet would run as a formula (it starts
with = + - @, a tab or a carriage return) is prefixed with an apostrophe. Report tables are exported
from the same suppressed table the page shows. The usage log can be millions of rows, so it is
written by a background thread to a file under `reports.export_dir`, with an `ExportJob` row that
the progress fragment polls; only the user who asked may download the file. See docs/data-dictionary.md.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import peewee

from devices.protocol import utcnow
from station_admin.core.models import BaseModel, StaffUser, db
from station_admin.core.privacy import SuppressedTable
from station_admin.reports.usage import KINDS
from station_admin.rollups.hourly import hour_start
from waystation.db import UTCDateTimeField

log = logging.getLogger(__name__)

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 5000


class ExportJob(BaseModel):
    """A large export written in the background: who asked, how far it is, where the file is."""

    STATUSES = ("queued", "running", "done", "failed")

    user = peewee.ForeignKeyField(StaffUser, backref="exports", on_delete="CASCADE")
    report = peewee.CharField()
    params = peewee.TextField()  # the filters, as JSON
    status = peewee.CharField(default="queued")
    rows_done = peewee.IntegerField(default=0)
    rows_total = peewee.IntegerField(default=0)
    path = peewee.CharField(default="")
    filename = peewee.CharField(default="")
    error = peewee.CharField(default="")
    created_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(null=True)

    class Meta:
        table_name = "export_job"

    @property
    def percent(self) -> int:
        if self.status == "done":
            return 100
        return min(99, 100 * self.rows_done // self.rows_total) if self.rows_total else 0

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")

    @classmethod
    def of_user(cls, job_id: int, user: StaffUser) -> ExportJob | None:
        """The job if this user asked for it, else None (others' jobs do not exist for them)."""
        return cls.get_or_none(cls.id == job_id, cls.user == user.id)


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
    """A suppressed report table as CSV, hidden entries as "<5", exactly as the page shows it."""
    n_rows, n_cols = len(table.rows), len(table.columns)
    rows = [[label, *(table.shown(r, c) for c in range(n_cols + 1))] for r, label in enumerate(row_labels)]
    rows.append([total_label, *(table.shown(n_rows, c) for c in range(n_cols + 1))])
    return csv_text([corner, *column_labels, total_label], rows)


def usage_header(columns: tuple[str, ...]) -> list[str]:
    """The usage-log CSV's column names (documented in docs/data-dictionary.md)."""
    return ["kind", "event_id", "station_code", "station_name", "district_code", "occurred_at", *columns]


def start_usage_export(user: StaffUser, scope, export_dir: str, names: dict[str, tuple[str, str, str]]) -> ExportJob:
    """Create the job for the scope's usage log and start writing it in the background."""
    kind = KINDS[scope.kind]
    start_hour, end_hour = scope.hours
    job = ExportJob.create(
        user=user, report="usage", params=json.dumps(scope.query_args()), created_at=utcnow(),
        rows_total=kind.total(scope.codes, start_hour, end_hour) if scope.codes else 0,
        filename=f"usage-{scope.kind}-{scope.first.isoformat()}-{scope.last.isoformat()}.csv")
    path = Path(export_dir).resolve() / f"export-{job.id}.csv"
    job.path = str(path)
    job.save()
    work = UsageExport(job.id, path, kind.name, kind.columns_for(user.role), scope.codes,
                       hour_start(start_hour), hour_start(end_hour), scope.offset, names)
    threading.Thread(target=work.run, name=f"export-{job.id}", daemon=True).start()
    log.info("export %d of the %s usage log started for %s (%d rows)", job.id, scope.kind, user.username,
             job.rows_total)
    return job


class UsageExport:
    """Writes one usage-log export, a chunk of keyset pages at a time, recording progress."""

    def __init__(self, job_id, path: Path, kind, columns, codes, start, end, offset, names):
        self.job_id, self.path, self.kind, self.columns = job_id, path, KINDS[kind], columns
        self.codes, self.start, self.end, self.offset, self.names = codes, start, end, offset, names

    def run(self) -> None:
        """Write the file (under a temporary name until complete) and mark the job done or failed."""
        with db.connection_context():
            try:
                self._set(status="running")
                done = self._write()
                self._set(status="done", rows_done=done, finished_at=utcnow())
                log.info("export %d done: %d rows", self.job_id, done)
            except Exception as e:  # noqa: BLE001 - a failed export is recorded, never kills the process
                log.exception("export %d failed", self.job_id)
                self._set(status="failed", error=str(e)[:250], finished_at=utcnow())

    def _write(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".part")
        done, before = 0, None
        with open(partial, "w", encoding="utf-8", newline="") as f:
            f.write(BOM)
            writer = csv.writer(f, lineterminator="\r\n")
            writer.writerow(usage_header(self.columns))
            while True:
                rows = self.kind.page(self.codes, self.start, self.end, before, CHUNK_ROWS)
                for row in rows:
                    name, _, district = self.names.get(row.station_code, ("", "", ""))
                    writer.writerow([safe_cell(v) for v in (
                        row.kind, row.event_id, row.station_code, name, district,
                        local_iso(row.occurred_at, self.offset), *(row.details.get(c) for c in self.columns))])
                done += len(rows)
                if len(rows) < CHUNK_ROWS:
                    break
                before = (rows[-1].occurred_at, rows[-1].id)
                self._set(rows_done=done)
        partial.replace(self.path)
        return done

    def _set(self, **values) -> None:
        ExportJob.update(**values).where(ExportJob.id == self.job_id).execute()
