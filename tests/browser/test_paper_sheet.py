"""At phone size: a paper sign-in sheet of 20 lines typed on one screen, checked, confirmed,
and the 20 records on the activity page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from volunteer_app.database import utcnow
from volunteer_app.extensions import db

from ..factories import Factory
from .test_checkin_journey import _phone, login

pytestmark = pytest.mark.browser

KNOWN = [f"老志愿者{i}" for i in range(10)]
NEW = [f"新志愿者{i}" for i in range(10)]


@pytest.fixture
def arranged(live):
    """An activity that ended an hour ago, its organizer, and ten of the station's volunteers."""
    with live.app.app_context():
        make = Factory(db)
        start = (utcnow() - timedelta(hours=4)).replace(microsecond=0)
        activity = make.activity(title="纸质签到表的活动", starts_at=start, minutes=180)
        organizer = make.user(unit=activity.unit)
        for i, name in enumerate(KNOWN):
            make.volunteer(name, phone=f"1357788{i:04d}", registered_unit_id=activity.unit_id)
        db.session.commit()
        yield {"activity_id": activity.id, "username": organizer.username}


def test_a_sheet_of_20_lines_in_one_go(browser, live, arranged, shot):
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    login(page, arranged["username"])
    page.goto(f"/activities/{arranged['activity_id']}")
    page.get_by_role("link", name="录入纸质签到表").first.tap()
    expect(page.get_by_role("heading", name="录入纸质签到表")).to_be_visible()
    for i in range(20):
        known = i < 10
        name = KNOWN[i] if known else NEW[i - 10]
        phone = f"{i:04d}" if known else f"1357799{i:04d}"
        page.get_by_label(f"第 {i + 1} 行：姓名").fill(name)
        page.get_by_label(f"第 {i + 1} 行：手机号或后 4 位").fill(phone)
        page.get_by_label(f"第 {i + 1} 行：时长或起止时间").fill("2.5" if known else "")
    page.locator("#sheet-form").get_by_label("整张签到表的原因").fill("纸质签到表，现场无网络")
    shot(page, "paper-sheet-typed")
    page.get_by_role("button", name="检查签到表").tap()
    expect(page.locator("#sheet-entered")).to_have_text("20")
    expect(page.locator("#sheet-new")).to_have_text("10")
    expect(page.locator("#sheet-refused")).to_have_text("0")
    expect(page.get_by_text("您的志愿者 135****0003")).to_be_visible()
    expect(page.get_by_text("13577880003")).to_have_count(0)
    page.get_by_label(re.compile("此签到表上的新志愿者同意")).check()
    shot(page, "paper-sheet-checked")
    form = page.locator("#sheet-confirm")
    again = {
        "csrf_token": form.locator("input[name=csrf_token]").input_value(),
        "token": form.locator("input[name=token]").input_value(),
        "consent": "y",
    }
    page.get_by_role("button", name="确认录入签到表").tap()
    expect(
        page.get_by_text("已录入纸质签到表：为 20 名志愿者补录了时长 · 10 人现场登记")
    ).to_be_visible()
    attendance = page.locator("#hours table.attendance tbody tr")
    expect(attendance).to_have_count(20)
    for name in KNOWN + NEW:
        expect(page.locator("#hours table.attendance")).to_contain_text(name)
    shot(page, "paper-sheet-entered")
    # The same confirmation sent again (a double tap, a resubmit) enters nothing more.
    url = f"/activities/{arranged['activity_id']}/sheet/confirm"
    page.request.post(url, form=again, max_redirects=0)
    page.goto(f"/activities/{arranged['activity_id']}/sheet")
    expect(page.get_by_text("此签到表已过期或已录入。请重新录入。")).to_be_visible()
    page.goto(f"/activities/{arranged['activity_id']}")
    expect(page.locator("#hours table.attendance tbody tr")).to_have_count(20)
    context.close()
