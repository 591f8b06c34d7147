"""A volunteer's journey at phone size: find an activity → register with a PIN → sign up →
one-tap check-in → my page → card → certificate, printed to PDF, its verification QR
decoded and opened by a stranger."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from volunteer_app.activities.models import Activity
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.volunteers.cards import verify_card
from volunteer_app.volunteers.models import Volunteer

from ..factories import Factory
from .conftest import ARTIFACTS
from .test_checkin_journey import _phone

pytestmark = pytest.mark.browser


def decode(image: Image.Image) -> list[str]:
    """Every QR code zxing-cpp finds in an image."""
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


@pytest.fixture
def arranged(live):
    """A station with an activity starting in 20 minutes and one held last week."""
    with live.app.app_context():
        make = Factory(db)
        station = make.unit(name="万福社区新时代文明实践站")
        now_activity = make.activity(
            station,
            title="学雷锋日环境整治",
            place="万福社区东门",
            starts_at=utcnow().replace(microsecond=0) + timedelta(minutes=20),
            capacity=12,
        )
        past = make.activity(
            station,
            title="测血压、测血糖健康服务",
            starts_at=utcnow().replace(microsecond=0) - timedelta(days=7),
            minutes=240,
        )
        db.session.commit()
        token = issue_token(live.app.config["SECRET_KEY"], now_activity.checkin_key)
        yield {"path": f"/c/{token}", "past_id": past.id, "activity_id": now_activity.id}


def confirm_past_service(live, phone: str, past_id: int, minutes: int) -> int:
    """What an organizer's confirmation (issue 3) leaves behind: a confirmed record."""
    with live.app.app_context():
        volunteer = db.session.scalar(select(Volunteer).where(Volunteer.phone == phone))
        past = db.session.get(Activity, past_id)
        db.session.add(
            CheckIn(
                activity_id=past.id,
                volunteer_id=volunteer.id,
                checked_in_at=past.starts_at,
                checked_out_at=past.starts_at + timedelta(minutes=minutes),
                minutes=minutes,
                status=HoursStatus.CONFIRMED,
            )
        )
        db.session.commit()
        return volunteer.id


def test_check_in_my_page_card_and_certificate(browser, live, arranged, shot, tmp_path):
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()

    page.goto("/")
    page.get_by_role("link", name="活动报名").first.tap()
    page.get_by_label("站点").select_option(label="万福社区新时代文明实践站")
    page.get_by_role("button", name="查看活动").tap()
    page.wait_for_url(re.compile(r"/discover\?station=\d+"))
    page.wait_for_load_state()
    shot(page, "volunteer-discover")
    page.get_by_role("link", name=re.compile("学雷锋日环境整治")).tap()
    expect(page.get_by_text("已报名 0 / 12 人")).to_be_visible()
    page.get_by_role("link", name="注册", exact=True).tap()
    page.get_by_label("姓名", exact=True).fill("欧阳秀英")
    page.get_by_label("手机号", exact=True).fill("13812345678")
    page.get_by_label("密码（4–6 位数字）").fill("2580")
    page.get_by_label("我同意").check()
    shot(page, "volunteer-register")
    page.get_by_role("button", name="注册").tap()
    page.wait_for_url(re.compile(r"/discover/\d+$"))
    page.get_by_role("button", name="报名").tap()
    expect(page.get_by_text("已报名 1 / 12 人")).to_be_visible()
    shot(page, "volunteer-signed-up")

    # At the activity: the QR code opens the check-in page, and one tap checks in.
    page.goto(arranged["path"])
    expect(page.get_by_text("您已报名本次活动")).to_be_visible()
    expect(page.get_by_label("手机号", exact=True)).to_have_count(0)
    page.get_by_role("button", name="签到").tap()
    expect(page.get_by_text("签到成功")).to_be_visible()

    volunteer_id = confirm_past_service(live, "13812345678", arranged["past_id"], 240)
    page.get_by_role("link", name="我的时长与证明").tap()
    expect(page.get_by_role("heading", name="欧阳秀英")).to_be_visible()
    expect(page.get_by_text("13812345678")).to_be_visible()  # unmasked on the own page only
    expect(page.get_by_text("测血压、测血糖健康服务")).to_be_visible()
    expect(page.get_by_text("再有 96 小时确认时长即可达到 1 星")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "volunteer-my-page")

    page.get_by_role("link", name="我的志愿者卡").tap()
    (card_code,) = decode(Image.open(io.BytesIO(page.locator("#card-qr").screenshot())))
    with live.app.app_context():
        card_key = db.session.get(Volunteer, volunteer_id).card_key
    assert verify_card(live.app.config["SECRET_KEY"], card_code) == card_key
    shot(page, "volunteer-card")

    page.goto("/me")
    page.get_by_role("link", name="开具服务记录证明").tap()
    page.get_by_role("button", name="开具证明").tap()
    expect(page.get_by_role("heading", name="志愿服务记录证明")).to_be_visible()
    expect(page.get_by_text("万福社区新时代文明实践站").first).to_be_visible()
    shot(page, "certificate-phone")

    pdf_path = tmp_path / "certificate.pdf"
    page.pdf(path=str(pdf_path), format="A4", print_background=True)
    pdf = pypdfium2.PdfDocument(str(pdf_path))
    try:
        pages = len(pdf)
        width, height = pdf[0].get_size()
        rendered = pdf[0].render(scale=2).to_pil()
    finally:
        pdf.close()
    assert pages == 1, "the certificate prints on one A4 page"
    assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2  # A4 in points
    rendered.save(str(ARTIFACTS / "certificate-a4.png"))
    (verify_url,) = decode(rendered)
    assert re.fullmatch(re.escape(live.url) + r"/v/k\d+\.[\w-]+", verify_url)

    stranger = browser.new_context(**_phone(browser, live))
    check = stranger.new_page()
    check.goto(verify_url)
    expect(check.get_by_text("证明真实有效")).to_be_visible()
    expect(check.get_by_text("欧阳秀英")).to_be_visible()
    expect(check.get_by_text("4 小时")).to_be_visible()
    shot(check, "certificate-verified")
    check.goto(verify_url[:-3] + ("AAA" if not verify_url.endswith("AAA") else "BBB"))
    expect(check.get_by_text("该核验码无效")).to_be_visible()
    shot(check, "certificate-forged")
    stranger.close()
    context.close()
