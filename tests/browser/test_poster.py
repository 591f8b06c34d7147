"""The printable poster: one A4 page whose QR code decodes to the check-in URL."""

from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import expect

from volunteer_app.extensions import db

from ..factories import Factory
from .conftest import ARTIFACTS, needs_tool
from .test_checkin_journey import _phone, decode_qr, login

pytestmark = pytest.mark.browser

LONG_TITLE = "学雷锋志愿服务月：万福社区卫生服务中心测血压、测血糖、健康咨询与家庭医生签约宣传"


@needs_tool("pdftoppm", "poppler-utils")
def test_poster_prints_to_one_a4_page_and_scans(browser, live, shot):
    with live.app.app_context():
        make = Factory(db)
        station = make.unit(name="万福街道万福社区新时代文明实践站")
        activity = make.activity(
            unit=station, title=LONG_TITLE, place="万福社区卫生服务中心一楼大厅"
        )
        organizer = make.user(unit=station)
        db.session.commit()
        activity_id, username = activity.id, organizer.username
        key = activity.checkin_key
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    login(page, username)
    page.goto(f"/activities/{activity_id}")
    page.get_by_role("link", name="海报").tap()
    expect(page.get_by_role("heading", name=LONG_TITLE)).to_be_visible()
    expect(page.get_by_text("用微信或手机相机扫描二维码")).to_be_visible()
    shot(page, "poster-screen")

    ARTIFACTS.mkdir(exist_ok=True)
    pdf = ARTIFACTS / "poster.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+1$", info.stdout, re.M), info.stdout
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-singlefile", str(pdf), str(ARTIFACTS / "poster")],
        check=True,
    )
    png = (ARTIFACTS / "poster.png").read_bytes()
    (url,) = decode_qr(png)
    assert re.fullmatch(re.escape(live.url) + rf"/c/2s{re.escape(key)}\.[\w-]+", url)
    context.close()
