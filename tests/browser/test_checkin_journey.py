"""The skeleton journey at phone size: QR → scan → check in and out → the organizer sees it."""

from __future__ import annotations

import io
import re

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from volunteer_app.extensions import db

from ..factories import Factory

pytestmark = pytest.mark.browser


def decode_qr(png: bytes) -> list[str]:
    """Read every QR code in a PNG with a real decoder (zxing-cpp)."""
    image = Image.open(io.BytesIO(png))
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


@pytest.fixture
def arranged(live):
    """An organizer of a station and an activity of that station running now."""
    with live.app.app_context():
        make = Factory(db)
        activity = make.activity(title="社区环境整治志愿服务", place="万福社区东门")
        organizer = make.user(unit=activity.unit)
        db.session.commit()
        yield {
            "activity_id": activity.id,
            "checkin_key": activity.checkin_key,
            "username": organizer.username,
        }


def login(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(Factory.PASSWORD)
    page.get_by_role("button", name="登录").tap()
    expect(page.get_by_role("heading", name="活动")).to_be_visible()


def test_scan_check_in_and_out_and_organizer_sees_it(browser, live, arranged, shot):
    organizer = browser.new_context(**_phone(browser, live))
    org_page = organizer.new_page()
    login(org_page, arranged["username"])
    org_page.goto(f"/activities/{arranged['activity_id']}")
    expect(org_page.get_by_text("还没有人签到。")).to_be_visible()
    shot(org_page, "organizer-activity-empty")

    # The printed PNG and the inline SVG both decode to the same check-in URL.
    png = org_page.request.get(f"/activities/{arranged['activity_id']}/qr.png").body()
    (url,) = decode_qr(png)
    assert re.fullmatch(
        re.escape(live.url) + rf"/c/2s{re.escape(arranged['checkin_key'])}\.[\w-]+", url
    )
    assert decode_qr(org_page.locator("#qr").screenshot()) == [url]

    # A volunteer's phone opens the scanned URL.
    phone = browser.new_context(**_phone(browser, live))
    page = phone.new_page()
    page.goto(url)
    expect(page.get_by_role("heading", name="社区环境整治志愿服务")).to_be_visible()
    page.get_by_label("姓名", exact=True).fill("李秀英")
    page.get_by_label("手机号", exact=True).fill("13812341234")
    page.get_by_label("密码（4–6 位数字）").fill("2580")
    page.get_by_label("我同意").check()
    shot(page, "volunteer-checkin-form")
    page.get_by_role("button", name="签到").tap()
    expect(page.get_by_text("签到成功")).to_be_visible()
    shot(page, "volunteer-checked-in")

    # The organizer's list shows the arrival with a masked phone.
    org_page.reload()
    row = org_page.get_by_role("row", name=re.compile("李秀英"))
    expect(row).to_contain_text("138****1234")
    expect(org_page.get_by_text("13812341234")).to_have_count(0)
    shot(org_page, "organizer-activity-arrived")

    # Scanning again on the same phone offers 签退; a moment after 签到 it would credit
    # 0 h, so it asks first (the back button or a second scan cannot check out by mistake).
    page.goto(url)
    expect(page.get_by_text("您好，李秀英")).to_be_visible()
    page.get_by_role("button", name="签退").tap()
    expect(page.get_by_role("heading", name="确定签退吗？")).to_be_visible()
    expect(page.get_by_text(re.compile("现在签退，只计 0 小时"))).to_be_visible()
    shot(page, "volunteer-confirm-early-checkout")
    page.get_by_role("button", name="确定签退").tap()
    expect(page.get_by_text("签退成功")).to_be_visible()
    expect(page.get_by_text(re.compile(r"本次服务时长：\d+(\.5)? 小时"))).to_be_visible()
    shot(page, "volunteer-checked-out")
    organizer.close()
    phone.close()


def test_checkin_page_in_english_fits_a_small_phone(browser, live, arranged, shot):
    with live.app.app_context():
        from volunteer_app.checkins.tokens import issue_token

        path = "/c/" + issue_token(live.app.config["SECRET_KEY"], arranged["checkin_key"])
    context = browser.new_context(
        viewport={"width": 320, "height": 640},
        is_mobile=True,
        has_touch=True,
        base_url=live.url,
    )
    page = context.new_page()
    page.goto(path + "?lang=en")
    expect(page.get_by_label("Mobile number", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Check in")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, "no horizontal scrolling at 320 px"
    shot(page, "volunteer-checkin-form-en-320")
    context.close()


def _phone(browser, live) -> dict:
    """Context options of a 390×844 phone with the live server as base URL."""
    return {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
        "locale": "zh-CN",
        "base_url": live.url,
    }
