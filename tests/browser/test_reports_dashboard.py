"""A centre organizer reads the March report on a phone, drills down and downloads Excel."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from volunteer_app.extensions import db

from ..factories import Factory
from ..report_fixture import build

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def world(live):
    """The hand-counted report fixture in the live database (once for this module)."""
    with live.app.app_context():
        w = build(Factory(db), db)
        yield {
            "centre": w.centre_user.username,
            "s1": w.s1.id,
            "a1": w.acts["A1"].id,
        }


def phone(browser, live):
    return browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live.url,
        accept_downloads=True,
    )


def test_centre_dashboard_on_a_phone(browser, live, world, shot):
    context = phone(browser, live)
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto("/login")
    page.get_by_label("用户名").fill(world["centre"])
    page.get_by_label("密码").fill(Factory.PASSWORD)
    page.get_by_role("button", name="登录").tap()
    page.locator("header summary").tap()  # the top bar's menu on a phone
    page.get_by_role("link", name="数据统计").tap()
    page.goto("/reports/?period=month&month=2025-03")
    expect(page.get_by_role("heading", name="万福街道 · 数据统计")).to_be_visible()
    expect(page.locator(".tile", has_text="签到人次").locator("dd").first).to_have_text("6")
    expect(page.locator(".tile", has_text="已确认时长").locator("dd").first).to_have_text("7.5")
    # the charts are drawn and fit the screen: nothing scrolls sideways
    assert page.locator("svg.chart").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "reports-centre-month")
    assert errors == []  # no CSP violations or other console errors

    # drill down: centre → station → activity (its attendance)
    page.get_by_role("link", name="万福社区").first.tap()
    expect(page.get_by_role("heading", name="万福社区 · 数据统计")).to_be_visible()
    expect(page.locator(".tile", has_text="志愿者").locator("dd").first).to_have_text("3")
    shot(page, "reports-station-month")
    with page.expect_download() as download:
        item = page.locator(".report-activities li", has_text="测血压、测血糖")
        item.get_by_role("link", name="Excel").tap()
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert sheet["A2"].value == "李秀英" and sheet["B2"].value == "138****1234"
    page.get_by_role("link", name="测血压、测血糖").tap()
    expect(page.get_by_role("heading", name="测血压、测血糖")).to_be_visible()
    expect(page.get_by_text("李秀英")).to_be_visible()
    context.close()
