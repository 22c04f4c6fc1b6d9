"""The hardship register in a real browser: a case worker records, another approves, a visit is logged,
a disguised file is refused, and only the district's case workers can open the document."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP
from tests.browser.test_dashboard import sign_in
from tests.station_admin.test_hardship import PDF, ZIP, add_xuhui_caseworker
from tests.station_admin.test_queue import add_minhang_caseworker

pytestmark = pytest.mark.browser


def test_record_approve_visit_and_a_document_only_the_district_opens(central, open_page):
    add_xuhui_caseworker(central.app)
    add_minhang_caseworker(central.app)
    page = open_page(DESKTOP)
    sign_in(page, central.url, "caseworker", "caseworker-demo")
    page.get_by_test_id("nav-hardship").click()
    page.get_by_test_id("new-case").click()
    page.get_by_label("致困原因").select_option("education")
    page.get_by_label("家庭人口（人）").fill("3")
    page.get_by_label("家庭月收入（元）").fill("abc")
    page.get_by_label("当地救助标准（元/人·月）").fill("1510")
    page.get_by_test_id("record").click()
    expect(page.get_by_test_id("error")).to_have_text("家庭月收入须为以元计的金额，如 3200 或 3200.50。")
    page.get_by_label("家庭月收入（元）").fill("3900")
    page.get_by_test_id("record").click()
    expect(page.get_by_test_id("approval")).to_have_text("待审核")
    expect(page.get_by_test_id("per-head")).to_contain_text("¥1300.00")
    expect(page.get_by_test_id("approve-other")).to_be_visible()  # the recorder cannot approve
    case_url = page.url
    assert re.search(r"/hardship/\d+$", case_url)

    page.get_by_label("材料类型").select_option("admission_letter")
    page.set_input_files('input[name="file"]', files=[
        {"name": "录取通知书.pdf", "mimeType": "application/pdf", "buffer": ZIP}])
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("error")).to_contain_text("文件内容与扩展名不符")
    expect(page.get_by_test_id("documents")).to_contain_text("尚无材料")
    page.set_input_files('input[name="file"]', files=[
        {"name": "录取通知书.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_test_id("upload").click()
    document = page.get_by_test_id("documents").locator("a")
    expect(document).to_contain_text("入学通知书 · 录取通知书.pdf")
    document_url = central.url + document.get_attribute("href")
    opened = page.request.get(document_url)
    assert opened.status == 200 and opened.body() == PDF

    union = open_page(DESKTOP)
    sign_in(union, central.url, "xh-second", "xh-second-demo")
    union.goto(case_url)
    union.get_by_test_id("approve").click()
    expect(union.get_by_test_id("approval")).to_contain_text("已审核")
    union.get_by_label("备注").fill("上门走访，子女已入学")
    union.get_by_test_id("visit").click()
    expect(union.get_by_test_id("visits")).to_contain_text("上门走访，子女已入学")
    expect(union.get_by_test_id("next-visit")).not_to_have_text("—")

    for username in ("mh-worker", "manager", "federation"):
        other = open_page(DESKTOP)
        sign_in(other, central.url, username, f"{username}-demo")
        assert other.request.get(document_url).status == 403, username
        other.goto(case_url)
        expect(other.locator("body")).to_contain_text("您没有权限查看此页面。")
    federation = open_page(DESKTOP)
    sign_in(federation, central.url, "federation", "federation-demo")
    federation.get_by_test_id("nav-hardship").click()
    expect(federation.locator("#by-cause")).to_contain_text("*")
    expect(federation.locator("body")).not_to_contain_text("录取通知书")
