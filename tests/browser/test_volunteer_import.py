"""The volunteer import at phone size (390 px): upload, the preview with its refused rows,
the organizer's attestation, and the result."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from volunteer_app.extensions import db

from ..factories import Factory
from .test_checkin_journey import _phone, login

pytestmark = pytest.mark.browser


@pytest.fixture
def arranged(live, tmp_path):
    """A station, its organizer and a file of five people, two of them refused."""
    live.app.config["IMPORT_PENDING_DIR"] = str(tmp_path / "imports")
    with live.app.app_context():
        make = Factory(db)
        station = make.unit(name="桂陵社区新时代文明实践站")
        organizer = make.user(unit=station)
        db.session.commit()
        username = organizer.username
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "手机号", "所属站点", "出生日期"])
    sheet.append(["欧阳秀英", "138 0000 2001", "桂陵社区新时代文明实践站", "1956-04-01"])
    sheet.append(["欧阳小宝", "13800002001", "桂陵社区新时代文明实践站", "2019-09-09"])
    sheet.append(["郑海涛", "13800002002", "桂陵社区新时代文明实践站", ""])
    sheet.append(["长" * 80, "1380000", "不存在的站", ""])
    sheet.append(["李娜", "13800002003", "吕陵镇站", ""])
    path = tmp_path / "志愿者名单.xlsx"
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(buffer.getvalue())
    return {"username": username, "file": path}


def test_import_on_a_phone(browser, live, arranged, shot):
    page = browser.new_context(**_phone(browser, live)).new_page()
    login(page, arranged["username"])
    page.goto("/volunteers/import")
    expect(page.get_by_role("link", name="下载模板（.xlsx）")).to_be_visible()
    page.get_by_label("表格文件（.xlsx 或 .csv）").set_input_files(str(arranged["file"]))
    page.get_by_role("button", name="检查文件").tap()
    expect(page.get_by_role("heading", name="核对导入内容")).to_be_visible()
    expect(page.locator("#new-people")).to_have_text("3")
    expect(page.locator("#refused-rows")).to_have_text("2")
    expect(page.get_by_text("第 5 行")).to_be_visible()
    expect(page.get_by_text("第 6 行")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "organizer-import-preview")
    page.get_by_role("button", name="确认导入").tap()
    expect(page.get_by_text("请确认文件中的人员已经同意。")).to_be_visible()
    page.get_by_label("文件中的人员", exact=False).check()
    page.get_by_role("button", name="确认导入").tap()
    expect(page.get_by_text("导入完成：新增志愿者 3 人，新增号码 2 个")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
