"""Bulk import of stations from CSV and .xlsx: a preview that names every bad row and writes nothing,
then a write of the good rows; the same file again changes nothing; .xlsx gives what CSV gives."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest
from openpyxl import Workbook

from station_admin.admin import imports
from station_admin.admin.refusal import Refused
from station_admin.community.opening import OpeningInterval
from station_admin.core.audit import AuditEntry
from station_admin.core.models import Station, db
from waystation.paths import PROJECT_ROOT

BAD = {101: ("district", "nowhere"), 502: ("latitude", "60.5"), 903: ("hours_tue", "9-5")}


def network_rows(count: int = 1000) -> list[list[str]]:
    """A header and `count` stations in Xuhui, three of them (BAD) wrong in one cell each."""
    rows = [list(imports.COLUMNS)]
    for n in range(count):
        row = {"code": f"xh-n{n:04d}", "district": "xuhui", "name_zh": f"徐汇第{n}号驿站", "name_en": f"Xuhui {n}",
               "address": f"徐汇区某路{n}号", "latitude": f"{31.1 + n / 10000:.4f}", "longitude": "121.43",
               "seats": str(10 + n % 20), "charger_slots": str(n % 9), "services": "seat,water",
               "always_open": "no", "mobile": "no", "hours_mon": "07:00-14:00, 16:00-22:00",
               "hours_tue": "07:00-22:00", "hours_wed": "", "hours_thu": "", "hours_fri": "", "hours_sat": "",
               "hours_sun": "20:00-02:00"}
        if n in BAD:
            column, value = BAD[n]
            row[column] = value
        rows.append([row[c] for c in imports.COLUMNS])
    return rows


def as_csv(rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        # numbers as numbers, the way a spreadsheet user types them
        sheet.append([int(v) if v.isdigit() else (float(v) if v.replace(".", "", 1).isdigit() else v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def summary(plans):
    return {a: sum(1 for p in plans if p.action == a) for a in ("create", "change", "unchanged", "error")}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_thousand_stations_with_three_bad_rows(central_app, kind):
    data = as_csv(network_rows()) if kind == "csv" else as_xlsx(network_rows())
    with central_app.app_context(), db.connection_context():
        stations, audits = Station.select().count(), AuditEntry.select().count()
        plans = imports.plan(imports.read_rows(f"stations.{kind}", data))
        # a preview writes nothing
        assert Station.select().count() == stations and AuditEntry.select().count() == audits
        errors = {p.line: p.messages("zh") for p in plans if p.action == "error"}
        assert errors == {103: ["没有代码为“nowhere”的区。"], 504: ["坐标必须是中国境内的 WGS84 度数（纬度、经度）。"],
                          905: ["星期二的开放时间格式不对，应像 08:00-12:00, 14:00-20:00。"]}
        assert [p.messages("en") for p in plans if p.line == 504] == [
            ["The coordinates must be WGS84 degrees (latitude, longitude) within China."]]
        assert summary(plans) == {"create": 997, "change": 0, "unchanged": 0, "error": 3}
        assert imports.apply(plans)["create"] == 997
        assert Station.select().count() == stations + 997
        station = Station.get(Station.code == "xh-n0042")
        assert (station.capacity, station.charger_slots, station.latitude) == (12, 6, 31.1042)
        hours = {(i.weekday, i.opens, i.closes)
                 for i in OpeningInterval.select().where(OpeningInterval.station == station)}
        assert hours == {(0, "07:00", "14:00"), (0, "16:00", "22:00"), (1, "07:00", "22:00"), (6, "20:00", "02:00")}

        audits = AuditEntry.select().count()
        again = imports.plan(imports.read_rows(f"stations.{kind}", data))
        assert summary(again) == {"create": 0, "change": 0, "unchanged": 997, "error": 3}
        assert imports.apply(again) == {"create": 0, "change": 0, "unchanged": 997, "error": 3}
        assert AuditEntry.select().count() == audits  # nothing written the second time


def test_a_changed_row_is_a_change_and_the_export_reimports_unchanged(central_app, tmp_path):
    rows = network_rows(5)
    with central_app.app_context(), db.connection_context():
        imports.apply(imports.plan(imports.read_rows("a.csv", as_csv(rows))))
        rows[2][imports.COLUMNS.index("seats")] = "40"
        plans = imports.plan(imports.read_rows("a.csv", as_csv(rows)))
        assert [(p.code, p.action) for p in plans if p.action != "unchanged"] == [("xh-n0001", "change")]
        imports.apply(plans)
        assert Station.get(Station.code == "xh-n0001").capacity == 40
        entry = AuditEntry.select().where(AuditEntry.action == "station.change").get()
        assert (entry.details["before"]["capacity"], entry.details["after"]["capacity"]) == (11, 40)
        for name in ("out.csv", "out.xlsx"):
            assert imports.write_export(tmp_path / name) == Station.select().count()
            again = imports.plan(imports.read_rows(name, (tmp_path / name).read_bytes()))
            assert summary(again)["unchanged"] == Station.select().count(), name


def test_unreadable_files_are_refused_with_the_reason(central_app):
    with central_app.app_context(), db.connection_context():
        for name, data, key in [("a.csv", b"code,colour\nx,red\n", "imports.error.columns"),
                                ("a.csv", "code,district\n徐汇驿站".encode("gb18030"), "imports.error.encoding"),
                                ("a.csv", b"\n\n", "imports.error.empty"),
                                ("a.xlsx", b"not a workbook", "imports.error.xlsx")]:
            with pytest.raises(Refused) as refused:
                imports.read_rows(name, data)
            assert refused.value.problems[0][0] == key, name
        duplicate = network_rows(2) + [network_rows(1)[1]]
        plans = imports.plan(imports.read_rows("d.csv", as_csv(duplicate)))
        assert plans[-1].messages("en") == ["The code xh-n0000 is in the file more than once."]
        flags = network_rows(1)
        flags[1][imports.COLUMNS.index("mobile")] = "maybe"
        assert imports.plan(imports.read_rows("f.csv", as_csv(flags)))[0].messages("zh") == [
            "mobile 列只能填 yes 或 no。"]


def test_the_import_command_previews_then_writes(central_db_url, tmp_path):
    path = tmp_path / "stations.csv"
    path.write_bytes(as_csv(network_rows(20)))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("WAYSTATION_")},
           "WAYSTATION_DATABASE_URL": central_db_url, "LANG": "zh_CN.UTF-8"}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "waystation.cli", "--log-level", "WARNING", "stations", *args],
                              capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT, env=env)

    districts = subprocess.run([sys.executable, "-m", "waystation.cli", "seed-demo"], capture_output=True, timeout=120,
                               cwd=PROJECT_ROOT, env={**env, "WAYSTATION_DEMO": "true"})  # the xuhui district
    assert districts.returncode == 0
    dry = run("import", str(path), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "第 2 行：新建 xh-n0000" in dry.stdout and "试运行，未写入：将新建 20 个" in dry.stdout
    assert "100%" in dry.stderr  # the progress bar
    done = run("import", str(path))
    assert done.returncode == 0 and "新建 20 个，修改 0 个，0 个无变化，0 行被拒绝。" in done.stdout
    again = run("import", str(path))
    assert "新建 0 个，修改 0 个，20 个无变化" in again.stdout
    missing = run("import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1
    export = run("export", str(tmp_path / "out.xlsx"))
    assert export.returncode == 0 and "23 stations" in export.stdout  # 3 demo stations and the 20


def test_the_documented_sample_file_imports(central_app):
    sample = (PROJECT_ROOT / "docs" / "stations-sample.csv").read_bytes()
    with central_app.app_context(), db.connection_context():
        plans = imports.plan(imports.read_rows("stations-sample.csv", sample))
        assert [(p.code, p.action, p.messages("en")) for p in plans] == [
            ("xh-tianlin", "create", []), ("xh-bus-1", "create", []), ("xh-hospital", "create", [])]
        imports.apply(plans)
        assert Station.get(Station.code == "xh-bus-1").mobile is True
        assert Station.get(Station.code == "xh-hospital").always_open is True
    documented = (PROJECT_ROOT / "docs" / "stations-import.md").read_text(encoding="utf-8")
    named = {c for c in imports.COLUMNS if f"`{c}`" in documented}
    assert set(imports.COLUMNS) - named <= set(imports.WEEKDAY_COLUMNS[1:-1])  # "`hours_mon` … `hours_sun`"


def _upload(client, name: str, data: bytes):
    from tests.conftest import csrf_of

    return client.post("/admin/stations/import", data={"csrf_token": csrf_of(client), "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


@pytest.fixture
def import_app(central_settings, tmp_path):
    """A central app whose uploads go to this test's own folder, and whose job pages poll quickly."""
    from station_admin import create_app

    app = create_app(central_settings(template="seeded", central={"import_dir": str(tmp_path / "imports")},
                                      reports={"export_poll_seconds": 1}).as_dict())
    app.config["TESTING"] = True
    yield app
    db.close()


@pytest.fixture
def import_workers(import_app, running):
    """Background job workers in this process, as `waystation central` runs them."""
    from station_admin.core.jobs import JobRunner
    from waystation.web import SETTINGS

    return running.start(JobRunner(import_app.extensions[SETTINGS]))


def wait_for_job(client, location: str, status: str = "done") -> str:
    from tests.conftest import wait_until
    from tests.htmx import HX

    def ended():
        html = client.get(location, headers=HX).get_data(as_text=True)
        return html if f'data-status="{status}"' in html else None
    return wait_until(ended, timeout=120, message=f"the import job {status}")


def test_the_import_page_previews_every_bad_row_then_writes_on_confirmation(import_app, import_workers, tmp_path):
    from tests.conftest import csrf_of
    from tests.station_admin.test_administration import signed_in

    central_app = import_app
    admin = signed_in(central_app)
    rows = network_rows(1000)
    preview = _upload(admin, "stations.csv", as_csv(rows))
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "试运行，未写入：将新建 997 个，修改 0 个，0 个无变化，3 行被拒绝。" in page
    for line, message in [(103, "没有代码为“nowhere”的区。"), (504, "坐标必须是中国境内的 WGS84 度数"),
                          (905, "星期二的开放时间格式不对")]:
        assert message in page.split(f'data-testid="row-{line}"')[1].split("</tr>")[0]
    # Every refused row is listed, creates up to 500 rows in all, the rest counted.
    assert page.count('data-testid="row-') == 500 and "另有 500 行将新建或修改" in page
    with central_app.app_context(), db.connection_context():
        assert not Station.select().where(Station.code.startswith("xh-n")).exists()
    token = page.split('name="token" value="')[1].split('"')[0]
    done = admin.post("/admin/stations/import/confirm", data={"csrf_token": csrf_of(admin), "token": token})
    assert done.status_code == 303 and "/admin/stations/import/jobs/" in done.headers["Location"]
    job_page = admin.get(done.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="progress"' in job_page and "导入驿站 · stations.csv" in job_page
    finished = wait_for_job(admin, done.headers["Location"])
    assert "导入完成： 新建 997 个，修改 0 个，0 个无变化，3 行被拒绝。" in finished and 'value="100"' in finished
    with central_app.app_context(), db.connection_context():
        assert Station.select().where(Station.code.startswith("xh-n")).count() == 997
    assert not list((tmp_path / "imports").iterdir())  # the upload is deleted once written
    # Another admin cannot see the job; in English the page says the same.
    assert signed_in(central_app, "federation").get(done.headers["Location"]).status_code == 403
    replay = admin.post("/admin/stations/import/confirm", data={"csrf_token": csrf_of(admin), "token": token})
    assert replay.status_code == 400 and "这次预览已失效" in replay.get_data(as_text=True)

    again = _upload(admin, "stations.xlsx", as_xlsx(rows)).get_data(as_text=True)
    assert "将新建 0 个，修改 0 个，997 个无变化，3 行被拒绝。" in again and 'data-testid="confirm"' not in again
    wrong = _upload(admin, "stations.txt", b"code\n")
    assert wrong.status_code == 400 and "请选择 .csv 或 .xlsx 文件" in wrong.get_data(as_text=True)
    huge = _upload(admin, "stations.csv", b"x" * (9 * 1024 * 1024))
    assert huge.status_code == 413
    other = signed_in(central_app, "federation")
    assert other.get("/admin/stations/import").status_code == 403
    assert _upload(other, "stations.csv", as_csv(rows)).status_code == 403


def test_an_import_whose_process_died_shows_what_it_wrote_and_runs_again_to_the_end(import_app, running, tmp_path):
    """The worker's process died after two chunks: the job is failed at the next start, and running it again
    writes the rest; what was written is not written twice."""
    import socket
    import subprocess
    import sys

    from station_admin.admin import import_jobs
    from station_admin.core.jobs import JobRunner
    from station_admin.core.models import StaffUser
    from tests.conftest import csrf_of
    from tests.station_admin.test_administration import signed_in
    from waystation.web import SETTINGS

    admin = signed_in(import_app)
    rows = network_rows(600)
    page = _upload(admin, "stations.csv", as_csv(rows)).get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    queued = admin.post("/admin/stations/import/confirm", data={"csrf_token": csrf_of(admin), "token": token})
    location = queued.headers["Location"]  # no worker runs yet: the job waits in the queue
    with import_app.app_context(), db.connection_context():
        job = import_jobs.StationImportJob.get()
        assert job.status == "queued"
        # What a worker that died after its second chunk leaves: 400 rows done (one of them refused), "running".
        imports.apply(imports.plan(imports.read_rows("part.csv", as_csv(rows[:401]))),
                      actor=StaffUser.get(StaffUser.username == "admin"))
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        import_jobs.StationImportJob.update(status="running", rows_done=400, rows_total=598,
                                            worker=f"{socket.gethostname()}:{dead.pid}:gone").execute()
        import_jobs.jobs.queue.flush()  # the dead process had taken the task out of the queue
    running.start(JobRunner(import_app.extensions[SETTINGS]))  # a worker starts: its sweep fails the job
    failed = wait_for_job(admin, location, "failed")
    assert "导入中断，已写入 400 / 598 个驿站。再次运行会写入其余的" in failed and 'data-testid="run-again"' in failed
    again = admin.post(location + "/again", data={"csrf_token": csrf_of(admin)})
    assert again.status_code == 200
    finished = wait_for_job(admin, location)
    assert "新建 199 个，修改 0 个，399 个无变化，2 行被拒绝。" in finished
    with import_app.app_context(), db.connection_context():
        assert Station.select().where(Station.code.startswith("xh-n")).count() == 598
    # A job that did not fail cannot be run again.
    assert admin.post(location + "/again", data={"csrf_token": csrf_of(admin)}).status_code == 409
