"""The working-day calendar in a real browser: the admin is warned, imports next year, and sees the deadlines move."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP
from tests.browser.test_dashboard import sign_in
from tests.station_admin.requests_helpers import file, local
from tests.station_admin.test_workdays import GOOD_2027

pytestmark = pytest.mark.browser


def test_the_admin_imports_the_missing_year_and_sees_how_many_deadlines_moved(central, open_page, monkeypatch):
    import station_admin.requests.queue as queue

    monkeypatch.setattr(queue, "utcnow", lambda: datetime(2027, 1, 10, 2, tzinfo=UTC))  # 2027 has no calendar
    req = file(central.app, at=local(2027, 2, 5, 10, 0))  # SF eve (estimated holiday): due Wed 02-10, ≈
    row = f'tr[data-request="{req.tracking_code}"]'

    worker = open_page(DESKTOP)
    sign_in(worker, central.url, "caseworker", "caseworker-demo")
    worker.goto(central.url + "/requests/")
    expect(worker.locator(row).locator("td").first).to_contain_text("02-10 23:59 ≈")
    expect(worker.get_by_test_id("calendar-warning")).to_have_count(0)  # nothing they could do about it

    page = open_page(DESKTOP)
    sign_in(page, central.url, "admin", "admin-demo")
    page.goto(central.url + "/requests/")
    expect(page.get_by_test_id("calendar-warning")).to_contain_text("尚未导入 2027 年的工作日历")
    page.get_by_test_id("calendar-import-link").click()
    expect(page).to_have_url(central.url + "/calendar/")
    page.set_input_files('input[name="file"]', files=[
        {"name": "cn-workdays-2027.toml", "mimeType": "application/toml", "buffer": GOOD_2027}])
    page.get_by_role("button", name="导入").click()
    expect(page.get_by_test_id("imported")).to_have_text("已导入 2027 年日历。")
    expect(page.get_by_test_id("recount")).to_have_text(
        "已按新日历重新计算 1 个办理中请求的首次联系期限：1 个有变动（提前 0 个，推后 1 个）。")
    expect(page.get_by_test_id("calendar-warning")).to_have_count(0)

    worker.reload()
    expect(worker.locator(row).locator("td").first).to_have_text("02-16 23:59")  # the imported 2027 file
