"""A volunteer still checked in at A scans B's code at phone size (390×844): the page says A
was closed, and My page counts the time once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.extensions import db

from ..factories import Factory

pytestmark = pytest.mark.browser


def test_check_in_at_b_closes_a_and_counts_the_time_once(browser, live, shot):
    start = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    with live.app.app_context():
        make = Factory(db)
        a = make.activity(title="测血压、测血糖", starts_at=start, minutes=240)
        b = make.activity(title="清扫街道", starts_at=start, minutes=240)
        db.session.commit()
        secret = live.app.config["SECRET_KEY"]
        path_a, path_b = (f"/c/{issue_token(secret, x.checkin_key)}" for x in (a, b))
        ids = a.id, b.id
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live.url,
    )
    page = context.new_page()
    page.goto(path_a)
    page.get_by_label("姓名", exact=True).fill("赵振东")
    page.get_by_label("手机号", exact=True).fill("13812349876")
    page.get_by_label("密码（4–6 位数字）").fill("2580")
    page.get_by_label("我同意").check()
    page.get_by_role("button", name="签到").tap()
    expect(page.get_by_text("签到成功")).to_be_visible()
    with live.app.app_context():  # arrived an hour and a half ago
        record = db.session.scalar(select(CheckIn).where(CheckIn.activity_id == ids[0]))
        record.checked_in_at = utcnow().replace(microsecond=0) - timedelta(minutes=95)
        db.session.commit()

    # Still checked in at A, the volunteer scans B's code: one tap.
    page.goto(path_b)
    expect(page.get_by_role("heading", name="清扫街道")).to_be_visible()
    page.get_by_role("button", name="签到").tap()
    expect(page.get_by_text("签到成功")).to_be_visible()
    note = page.locator(".closed-elsewhere")
    expect(note).to_contain_text("已自动签退 测血压、测血糖")
    expect(note).to_contain_text("1.5 小时")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "volunteer-checked-in-elsewhere-390")

    # My page: A's 1.5 h once, B still running; no time counted twice.
    page.goto("/me")
    expect(page.locator(".counts li").nth(1)).to_contain_text(re.compile(r"^\s*1\.5"))
    shot(page, "volunteer-me-after-overlap-390")
    with live.app.app_context():
        a_rec, b_rec = (
            db.session.scalar(select(CheckIn).where(CheckIn.activity_id == i)) for i in ids
        )
        assert a_rec.checked_out_at == b_rec.checked_in_at and b_rec.checked_out_at is None
    context.close()
