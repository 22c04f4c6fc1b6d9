"""The admin pages in a real browser: an admin creates a station from an unknown code that sends
data, a bad coordinate is refused in Chinese, and staff of other roles never see the pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, occupancy, publish
from tests.browser.test_dashboard import sign_in
from tests.conftest import wait_until

pytestmark = pytest.mark.browser


def test_an_admin_creates_the_unknown_station_that_sends_data(central, open_page, shared_mosquitto, topic_root):
    publish(shared_mosquitto.port, topic_root, occupancy(5, station="hw-newstation"))
    page = open_page(DESKTOP)
    sign_in(page, central.url, "admin", "admin-demo")

    def listed():
        page.goto(central.url + "/admin/stations")
        return page.get_by_test_id("unknown-hw-newstation").count() == 1

    wait_until(listed, timeout=15, message="the unknown station listed")
    expect(page.get_by_role("heading", name="未登记的驿站正在发送数据")).to_be_visible()
    expect(page.get_by_test_id("unknown-hw-newstation")).to_contain_text("occupancy × 1")
    page.get_by_test_id("create-hw-newstation").click()
    expect(page.get_by_label("代码")).to_have_value("hw-newstation")
    page.get_by_label("所属区县").select_option("xuhui")
    page.get_by_label("名称（中文）").fill("华为新驿站")
    page.get_by_label("名称（英文）").fill("New Station")
    page.get_by_label("纬度（WGS84）").fill("48.85")
    page.get_by_label("经度（WGS84）").fill("2.35")
    page.get_by_label("座位数").fill("10")
    page.get_by_label("充电口数").fill("4")
    page.get_by_label("星期一").fill("08:00-12:00, 14:00-20:00")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("error")).to_have_text("坐标必须是中国境内的 WGS84 度数（纬度、经度）。")
    expect(page.get_by_label("星期一")).to_have_value("08:00-12:00, 14:00-20:00")
    page.get_by_label("纬度（WGS84）").fill("31.20")
    page.get_by_label("经度（WGS84）").fill("121.44")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("saved")).to_contain_text("hw-newstation")
    expect(page.get_by_test_id("unknown-stations")).to_have_count(0)
    expect(page.get_by_test_id("station-hw-newstation")).to_contain_text("华为新驿站")
    page.goto(central.url + "/")
    expect(page.locator('article.station[data-station="hw-newstation"]')).to_be_visible()


def test_a_manager_sees_no_administration(central, open_page):
    page = open_page(DESKTOP)
    sign_in(page, central.url, "manager", "manager-demo")
    expect(page.get_by_test_id("nav-requests")).to_be_visible()
    expect(page.get_by_test_id("nav-admin")).to_have_count(0)
    response = page.goto(central.url + "/admin/stations")
    assert response.status == 403
