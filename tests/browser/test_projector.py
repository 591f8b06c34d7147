"""Projector mode in a real browser: the code rotates, an older frame's code expires,
and a new arrival appears on the screen without a reload."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from volunteer_app.extensions import db

from ..factories import Factory
from .test_checkin_journey import _phone, decode_qr, login

pytestmark = pytest.mark.browser

PERIOD = 10  # the shortest rotation an activity may have


def test_rotating_code_expires_and_arrivals_update(browser, live, shot):
    with live.app.app_context():
        make = Factory(db)
        activity = make.activity(title="交通安全宣传", rotate_seconds=PERIOD, capacity=30)
        organizer = make.user(unit=activity.unit)
        db.session.commit()
        activity_id, username = activity.id, organizer.username
        key = activity.checkin_key
    screen = browser.new_context(
        **{**_phone(browser, live), "viewport": {"width": 1280, "height": 720}}
    )
    page = screen.new_page()
    login(page, username)
    page.goto(f"/activities/{activity_id}/projector")
    qr = page.locator("#projector-qr")
    (first,) = decode_qr(qr.screenshot())
    assert first == qr.get_attribute("data-url")
    match = re.fullmatch(re.escape(live.url) + rf"/c/2r{re.escape(key)}\.(\d+)\.[\w-]+", first)
    assert match, first
    step = int(match.group(1))
    shot(page, "projector")

    # The page swaps in the next frame's code by itself.
    expect(qr).not_to_have_attribute("data-url", first, timeout=(PERIOD + 5) * 1000)
    (second,) = decode_qr(qr.screenshot())
    assert second != first

    # Once the first frame's validity (its step and the next) is over, its code is refused.
    time.sleep(max(0.0, (step + 2) * PERIOD - time.time()) + 0.5)
    phone = browser.new_context(**_phone(browser, live))
    volunteer = phone.new_page()
    volunteer.goto(first)
    expect(volunteer.get_by_role("heading", name="二维码已过期")).to_be_visible()
    shot(volunteer, "projector-expired-code")

    # The code on screen now works, and the arrival shows up on the projector.
    (current,) = decode_qr(qr.screenshot())
    volunteer.goto(current)
    volunteer.get_by_label("姓名", exact=True).fill("李秀英")
    volunteer.get_by_label("手机号", exact=True).fill("13812345501")
    volunteer.get_by_label("密码（4–6 位数字）").fill("2580")
    volunteer.get_by_label("我同意").check()
    volunteer.get_by_role("button", name="签到").tap()
    expect(volunteer.get_by_text("签到成功")).to_be_visible()
    expect(page.locator("#latest")).to_contain_text("李*英", timeout=8000)
    expect(page.locator("[data-field=checked_in]")).to_have_text("1")
    shot(page, "projector-after-arrival")
    phone.close()
    screen.close()
