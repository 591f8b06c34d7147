"""Scanner mode with a fake camera: Chromium plays a video of a volunteer's QR card,
the page decodes it (jsQR: Linux Chromium has no BarcodeDetector) and checks them in."""

from __future__ import annotations

import subprocess

import pytest
import qrcode
from playwright.sync_api import expect

from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.extensions import db
from volunteer_app.volunteers.cards import issue_card

from ..factories import Factory
from .conftest import ARGS, CHROMIUM, needs_tool
from .test_checkin_journey import _phone, login

pytestmark = pytest.mark.browser


@needs_tool("ffmpeg", "ffmpeg")
def test_scanner_reads_a_card_from_the_camera(playwright, live, tmp_path, shot):
    with live.app.app_context():
        make = Factory(db)
        activity = make.activity(title="扶老助残志愿服务")
        organizer = make.user(unit=activity.unit)
        volunteer = make.volunteer(
            "孙桂芝", phone="13512345678", registered_unit_id=activity.unit_id
        )
        db.session.commit()
        code = issue_card(live.app.config["SECRET_KEY"], volunteer.card_key)
        activity_id, username, volunteer_id = activity.id, organizer.username, volunteer.id
    png = tmp_path / "card.png"
    qrcode.make(code, box_size=8, border=4).save(png)
    video = tmp_path / "card.y4m"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-loop",
            "1",
            "-i",
            str(png),
            "-vf",
            "scale=400:400:flags=neighbor,pad=640:480:(ow-iw)/2:(oh-ih)/2:white,format=yuv420p",
            "-r",
            "10",
            "-t",
            "3",
            "-f",
            "yuv4mpegpipe",
            str(video),
        ],
        check=True,
    )
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *ARGS,
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        context = browser.new_context(**_phone(browser, live), permissions=["camera"])
        page = context.new_page()
        login(page, username)
        page.goto(f"/activities/{activity_id}")
        page.get_by_role("link", name="扫卡签到").tap()
        expect(page.get_by_role("heading", name="扫描志愿者卡")).to_be_visible()
        assert page.evaluate("'BarcodeDetector' in window") is False  # the jsQR path
        page.get_by_role("button", name="打开摄像头").tap()
        expect(page.locator("#scanner-result")).to_have_text("孙桂芝：签到成功", timeout=15000)
        shot(page, "scanner-checked-in")
        context.close()
    finally:
        browser.close()
    with live.app.app_context():
        records = db.session.query(CheckIn).filter_by(volunteer_id=volunteer_id).all()
        assert len(records) == 1 and records[0].origin == HoursOrigin.ORGANIZER
        assert records[0].checked_out_at is None  # the card left in view did not check out
