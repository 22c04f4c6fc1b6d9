"""Federation reports: check-ins per day, the weekday x hour heat-map, the usage log, and their exports.

Every page reads its figures from rollups through `figures`, suppressed by `privacy`, within the
stations the user may see (`Station.visible_to`). A filter that is not acceptable answers 400 with
a message in the user's language.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Response, abort, g, redirect, request, send_file, url_for

from station_admin.core.auth import login_required
from station_admin.reports import charts, figures
from station_admin.reports.common import ROLES, bp, current_scope, page_context
from station_admin.reports.export_jobs import ExportBusy, ExportJob, run_again, start_usage_export
from station_admin.reports.exports import table_csv
from station_admin.reports.scope import FilterError
from station_admin.reports.usage import KINDS, decode_cursor, usage_page
from waystation.web import current_language, current_settings, htmx, page_or_fragment, translate

log = logging.getLogger(__name__)

TABLE_REPORTS = ("daily", "heatmap")


@bp.get("/")
@login_required(*ROLES)
def daily():
    """Check-ins per day per station or district: a bar chart of the day totals and the table."""
    scope = current_scope()
    table, groups = figures.daily_table(scope)
    chart = charts.bar_chart([d[5:] for d in table.rows], [table.row_total(r) for r in range(len(table.rows))])
    return page_or_fragment("station_admin/reports/daily.html", "station_admin/reports/_daily.html",
                            table=table, groups=groups, chart=chart, **page_context(scope, "daily"))


@bp.get("/heatmap")
@login_required(*ROLES)
def heatmap():
    """The weekday x hour heat-map of check-ins with the peak hours outlined."""
    scope = current_scope()
    table, peaks = figures.heatmap(scope)
    chart = charts.heat_map(table, {(p.weekday, p.hour) for p in peaks})
    return page_or_fragment("station_admin/reports/heatmap.html", "station_admin/reports/_heatmap.html",
                            table=table, chart=chart, peaks=peaks, hour_labels=[f"{h}:00" for h in range(24)],
                            weekday_labels=[translate(f"admin.reports.weekday_{wd}") for wd in range(7)],
                            **page_context(scope, "heatmap"))


@bp.get("/usage")
@login_required(*ROLES)
def usage():
    """The usage log, newest first, a keyset page at a time."""
    scope = current_scope(tuple(KINDS))
    before_text = request.args.get("before", "")
    before = decode_cursor(before_text) if before_text else None
    rows, more = usage_page(scope, before, current_settings().reports.page_size)
    stations = {s.code: s for s in scope.stations}
    return page_or_fragment("station_admin/reports/usage.html", "station_admin/reports/_usage.html",
                            rows=rows, more=more, stations=stations, first_page=before is None,
                            columns=KINDS[scope.kind].columns_for(g.user.role), **page_context(scope, "usage"))


@bp.get("/export")
@login_required(*ROLES)
def export_table():
    """A report table as CSV, suppressed exactly as on screen."""
    report = request.args.get("report", "")
    if report not in TABLE_REPORTS:
        raise FilterError("admin.reports.bad_report", value=report[:40])
    scope = current_scope()
    lang = current_language()
    total = translate("admin.reports.total")
    if report == "daily":
        table, groups = figures.daily_table(scope)
        text = table_csv(table, translate("admin.reports.date"), table.rows, [g.name(lang) for g in groups], total)
    else:
        table, _ = figures.heatmap(scope)
        weekdays = [translate(f"admin.reports.weekday_{wd}") for wd in range(7)]
        text = table_csv(table, translate("admin.reports.weekday"), weekdays, [f"{h}:00" for h in table.columns],
                         total)
    filename = f"{report}-{scope.first.isoformat()}-{scope.last.isoformat()}.csv"
    return Response(text.encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.post("/export")
@login_required(*ROLES)
def export_usage():
    """Queue a background export of the usage log; the progress fragment (htmx) or its page follows.

    A user with an export queued or running is shown that one instead, with a notice.
    """
    scope = current_scope(tuple(KINDS))
    try:
        job = start_usage_export(g.user, scope)
    except ExportBusy as busy:
        if busy.job is None:  # it finished in the meantime: ask again
            abort(409)
        return _job_response(busy.job, notice="admin.reports.export_busy")
    return _queued(job)


@bp.get("/exports/<int:job_id>")
@login_required(*ROLES)
def export_job(job_id: int):
    """An export's progress: polled by htmx while it runs, then a download link."""
    return _job_response(_own_job(job_id))


@bp.post("/exports/<int:job_id>/again")
@login_required(*ROLES)
def export_again(job_id: int):
    """Run a failed or expired export again, as it was asked."""
    job = _own_job(job_id)
    if not job.can_run_again:
        return _job_response(job)
    try:
        job = run_again(job)
    except ExportBusy as busy:
        return _job_response(busy.job or job, notice="admin.reports.export_busy")
    return _queued(job)


def _own_job(job_id: int) -> ExportJob:
    """The signed-in user's export job; 404 for anyone else's (others' jobs do not exist for them)."""
    job = ExportJob.of_user(job_id, g.user)
    if job is None:
        abort(404)
    return job


def _queued(job: ExportJob):
    """After queueing: the progress fragment for htmx, else a redirect to the job's page."""
    if htmx:
        return _job_response(job)
    return redirect(url_for("reports.export_job", job_id=job.id), 303)


def _job_response(job: ExportJob, notice: str | None = None):
    return page_or_fragment("station_admin/reports/export_job.html", "station_admin/reports/_export_job.html",
                            job=job, poll_seconds=current_settings().reports.export_poll_seconds,
                            keep_hours=current_settings().reports.export_keep_hours, notice=notice,
                            report="usage", scope=None)


@bp.get("/exports/<int:job_id>/download")
@login_required(*ROLES)
def export_download(job_id: int):
    """The finished export's file, for the user who asked for it only (until it expires)."""
    job = ExportJob.of_user(job_id, g.user)
    if job is None or job.status not in ("done", "expired"):
        abort(404)
    path = job.file_in(current_settings().reports.export_dir)
    if job.status == "expired" or not path.exists():
        return _job_response(job, notice="admin.reports.export_gone"), 410
    log.info("export %d downloaded by %s", job.id, g.user.username)
    return send_file(path, mimetype="text/csv; charset=utf-8", as_attachment=True, download_name=job.filename,
                     last_modified=job.finished_at or datetime.now())
