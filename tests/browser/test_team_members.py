"""A team leader manages the team's members at phone size (390×844): from their own page
to the team's member page, approves a waiting request, adds the person in front of them
by the code of their card (a forged code refused first), and the member's own page then
lists the team. Screenshots in /tmp/shots/teamvol-*.png."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import qrcode
from playwright.sync_api import expect
from sqlalchemy import select

from volunteer_app.extensions import db
from volunteer_app.teams.models import MemberStatus, TeamMember
from volunteer_app.volunteers.cards import issue_card

from ..factories import Factory
from ..routes.test_identity import PIN, with_pin
from .conftest import ARGS, CHROMIUM, needs_tool
from .test_checkin_journey import _phone

pytestmark = pytest.mark.browser

TEAM = "桂陵社区助老志愿服务队（队员管理）"
SHOTS = Path("/tmp/shots")


def shot(page, name: str) -> None:
    """A full-page screenshot for a person to look at."""
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"teamvol-{name}.png"), full_page=True)


@pytest.fixture
def arranged(live):
    """A team with its leader, a member, a waiting request, and a registered volunteer of
    no team who will show their card."""
    with live.app.app_context():
        make = Factory(db)
        station = make.unit(name="桂陵社区新时代文明实践站（队员管理）")
        team = make.team(station, name=TEAM)
        leader = with_pin(make.volunteer("陈队长", phone="13812348801"))
        make.member(team, leader, leader=True)
        make.member(team, make.volunteer("刘桂芳", phone="13812348802"))
        make.member(team, make.volunteer("赵敏", phone="13812348803"), status=MemberStatus.PENDING)
        shown = with_pin(make.volunteer("张桂兰", phone="13812348804"))
        db.session.commit()
        yield {
            "team": team.id,
            "shown": shown.id,
            "card": issue_card(live.app.config["SECRET_KEY"], shown.card_key),
        }


def sign_in(page, number: str) -> None:
    page.goto("/me/sign-in")
    page.get_by_label("手机号", exact=True).fill(number)
    page.get_by_label("密码或一次性验证码").fill(PIN)
    page.get_by_role("button", name="登录").tap()
    expect(page).to_have_url(re.compile(r"/me$"))


def test_a_leader_approves_a_request_and_adds_a_person_by_card(browser, live, arranged):
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    sign_in(page, "13812348801")
    mine = page.locator("#my-teams")
    expect(mine.locator(".title", has_text=TEAM)).to_be_visible()
    expect(mine.get_by_text("队长", exact=True)).to_be_visible()
    shot(page, "me")
    mine.get_by_role("link", name="队员与入队申请").tap()
    page.wait_for_url(re.compile(rf"/lead/teams/{arranged['team']}$"))
    expect(page.get_by_role("heading", name=TEAM)).to_be_visible()
    expect(page.get_by_text("138****8803")).to_be_visible()
    expect(page.get_by_text("13812348803")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "team")

    # The waiting request: approved.
    page.locator("#waiting").get_by_role("button", name="同意").tap()
    expect(page.get_by_text("赵敏 已成为队员。")).to_be_visible()
    expect(page.locator("#waiting").get_by_text("没有待审核的申请。")).to_be_visible()
    expect(page.locator("#members").get_by_text("赵敏", exact=True)).to_be_visible()
    shot(page, "approved")

    # A forged code is refused beside the field; the person's real card adds them.
    code = page.locator("#add").get_by_label("志愿者卡号")
    code.fill(arranged["card"][:-4] + "AAAA")
    page.locator("#add").get_by_role("button", name="添加为队员").tap()
    expect(page.locator("#add").get_by_text("这不是有效的志愿者证二维码。")).to_be_visible()
    shot(page, "forged-card")
    page.locator("#add").get_by_label("志愿者卡号").fill(arranged["card"])
    page.locator("#add").get_by_role("button", name="添加为队员").tap()
    expect(page.get_by_text("张桂兰 已成为队员。")).to_be_visible()
    expect(page.locator("#members").get_by_text("张桂兰", exact=True)).to_be_visible()
    expect(page.locator("#members").get_by_text("138****8804")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "added")
    # no CSP violation or script error (the refused card's page answered 400, as it should)
    assert [e for e in errors if "status of 400" not in e] == []
    with live.app.app_context():
        row = db.session.scalar(
            select(TeamMember).where(TeamMember.volunteer_id == arranged["shown"])
        )
        assert row.status == MemberStatus.ACTIVE
    context.close()

    # The person added sees the team on their own page, and could leave it.
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    sign_in(page, "13812348804")
    mine = page.locator("#my-teams")
    expect(mine.locator(".title", has_text=TEAM)).to_be_visible()
    mine.locator("summary", has_text="退出队伍").tap()
    expect(mine.get_by_role("button", name="确定退出队伍")).to_be_visible()
    shot(page, "member-me")
    mine.get_by_role("button", name="确定退出队伍").tap()
    expect(page.get_by_text(f"你已退出{TEAM}。")).to_be_visible()
    expect(page.locator("#my-teams")).to_have_count(0)
    context.close()


@needs_tool("ffmpeg", "ffmpeg")
def test_the_leader_adds_a_person_by_the_camera(playwright, live, tmp_path):
    """The camera (a fake one playing a video of the person's card) fills the card code and
    sends the form: the person is a member (jsQR path, as on the check-in scanner)."""
    with live.app.app_context():
        make = Factory(db)
        team = make.team(name="桂陵社区环保志愿服务队（扫卡入队）")
        leader = with_pin(make.volunteer("吴队长", phone="13812348811"))
        make.member(team, leader, leader=True)
        shown = make.volunteer("钱秀兰", phone="13812348812")
        db.session.commit()
        code = issue_card(live.app.config["SECRET_KEY"], shown.card_key)
        team_id, shown_id = team.id, shown.id
    video = card_video(tmp_path, code)
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
        sign_in(page, "13812348811")
        page.goto(f"/lead/teams/{team_id}")
        page.get_by_role("button", name="用摄像头扫描志愿者卡").tap()
        expect(page.get_by_text("钱秀兰 已成为队员。")).to_be_visible(timeout=15000)
        shot(page, "added-by-camera")
        context.close()
    finally:
        browser.close()
    with live.app.app_context():
        row = db.session.scalar(select(TeamMember).where(TeamMember.volunteer_id == shown_id))
        assert row.status == MemberStatus.ACTIVE


def card_video(tmp_path, code: str) -> Path:
    """A few seconds of video of the card's QR code, for Chromium's fake camera."""
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
    return video
