"""Issue 17's whole path at phone size (390×844), each person on their own phone:

1. a station organizer creates a clinic's team from the menu and opens its printable join
   card, whose QR code is read like a phone camera reads it;
2. two volunteers open that link, register and join the team;
3. the organizer names one of them leader, and picks the team in the activity's form;
4. the leader checks the other in (and out) at the team's activity from their own page, and
   is refused at another activity of the same station;
5. the organizer confirms the hours, and the report's "按队伍" table shows the team's.

Screenshots of each step land in the test artifacts and /tmp/shots/team-path-*.png.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from volunteer_app.activities.models import Activity
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.localtime import utc_to_local
from volunteer_app.teams.models import Team

from ..factories import Factory
from .test_checkin_journey import _phone, decode_qr, login

pytestmark = pytest.mark.browser

TEAM = "桂陵社区卫生服务站医护志愿服务队"
STATION = "万福街道万福社区新时代文明实践站（队伍全程）"
PIN = "2580"


def snap(page, shot, name: str) -> None:
    """A full-page screenshot in the artifacts and under /tmp/shots."""
    shot(page, f"team-path-{name}")
    Path("/tmp/shots").mkdir(exist_ok=True)
    page.screenshot(path=f"/tmp/shots/team-path-{name}.png", full_page=True)


def fits(page) -> None:
    """Nothing on the page is wider than the phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def arranged(live):
    """A station with its organizer and two of its own activities today: one that started
    two and a half hours ago (the team will run it) and another."""
    with live.app.app_context():
        make = Factory(db)
        station = make.unit(name=STATION)
        make.category("health")
        organizer = make.user(unit=station)
        # to the minute, as the form keeps it: saving the form changes no time
        start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=150)
        led = make.activity(station, title="测血压、测血糖健康服务", starts_at=start)
        other = make.activity(station, title="站点的环境整治")
        db.session.commit()
        yield {
            "organizer": organizer.username,
            "station": station.id,
            "led": led.id,
            "other": other.id,
            "month": utc_to_local(start).strftime("%Y-%m"),
        }


def join_by_link(browser, live, url: str, name: str, number: str, shot, step: str):
    """A volunteer's phone opens the card's link, registers and joins; the phone's page."""
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_role("heading", name=TEAM)).to_be_visible()
    page.get_by_role("link", name="注册并加入").tap()
    page.get_by_label("姓名", exact=True).fill(name)
    page.get_by_label("手机号", exact=True).fill(number)
    page.get_by_label(re.compile("^密码")).fill(PIN)
    page.get_by_label("我同意").check()
    page.get_by_role("button", name="注册").tap()
    page.wait_for_url(re.compile(r"/t/"))  # back on the join page, signed in
    expect(page.get_by_text(f"本机当前成员：{name}")).to_be_visible()
    page.get_by_role("button", name="加入队伍").tap()
    expect(page.get_by_text(f"您已加入{TEAM}。")).to_be_visible()
    fits(page)
    snap(page, shot, step)
    return context, page


def test_a_team_from_its_card_to_the_report(browser, live, arranged, shot):
    # 1. The organizer creates the clinic's team and opens its join card.
    desk = browser.new_context(**_phone(browser, live))
    org = desk.new_page()
    login(org, arranged["organizer"])
    org.locator("summary", has_text="菜单").tap()
    org.get_by_role("link", name="队伍", exact=True).tap()
    org.get_by_role("link", name="新建队伍").tap()
    org.get_by_label("队伍名称").fill(TEAM)
    org.get_by_label("队伍类型").select_option("1")  # 志愿服务团体
    org.get_by_label("同意其成立的单位类型").select_option("03")  # 卫生事业单位
    org.get_by_label("依托单位", exact=True).fill("桂陵社区卫生服务站")
    org.get_by_label("健康服务").check()
    org.get_by_label("加入方式").select_option("2")  # 允许加入，无需审核
    org.get_by_role("button", name="创建队伍").tap()
    expect(org.get_by_role("heading", name=TEAM)).to_be_visible()
    org.get_by_role("link", name="可打印的入队卡").tap()
    expect(org.get_by_role("heading", name=TEAM)).to_be_visible()
    fits(org)
    snap(org, shot, "1-card")
    (url,) = decode_qr(org.locator("#team-qr").screenshot())
    assert url.startswith(f"{live.url}/t/")

    # 2. Two volunteers scan it, register and join.
    leader_phone, _ = join_by_link(browser, live, url, "王建华", "13812347711", shot, "2-joined")
    member_phone, member_page = join_by_link(
        browser, live, url, "李秀英", "13812347712", shot, "2b"
    )
    member_page.goto("/me")
    expect(member_page.locator("#my-teams")).to_contain_text(TEAM)

    # 3. The organizer names the first one leader, then names the team in the activity's
    # form: the team runs it.
    org.goto("/teams")
    org.get_by_role("link", name=TEAM).tap()
    members = org.locator("#members")
    expect(members).to_contain_text("138****7711")
    expect(org.get_by_text("13812347711")).to_have_count(0)  # masked on the team's page
    members.get_by_role("button", name="设为队长 王建华").tap()
    expect(members.get_by_text("队长").first).to_be_visible()
    fits(org)
    snap(org, shot, "3-leader-named")
    org.goto("/activities")
    org.get_by_role("link", name="测血压、测血糖健康服务").first.tap()
    org.get_by_role("link", name="编辑", exact=True).tap()
    picker = org.get_by_label("负责队伍")
    picker.select_option(label=f"{TEAM}（{STATION}）")
    fits(org)
    snap(org, shot, "3-team-picked")
    org.get_by_role("button", name="保存修改").tap()
    expect(org.get_by_text("修改已保存。")).to_be_visible()
    expect(org.get_by_text(f"承办队伍：{TEAM}").first).to_be_visible()
    with live.app.app_context():
        team = db.session.scalar(select(Team).where(Team.name == TEAM))
        assert db.session.get(Activity, arranged["led"]).team_id == team.id

    # 4. The leader checks the other member in from their own page, and out later.
    page = leader_phone.pages[0]
    page.goto("/me")
    expect(page.get_by_role("heading", name="我带队的活动")).to_be_visible()
    page.get_by_role("link", name="测血压、测血糖健康服务").tap()
    page.wait_for_url(re.compile(rf"/lead/activities/{arranged['led']}$"))
    expect(page.get_by_text("138****7712")).to_be_visible()
    page.locator("#members").get_by_label(re.compile("李秀英")).check()
    page.locator("#members").get_by_role("button", name="为所选签到").tap()
    expect(page.locator("#present").get_by_text("李秀英")).to_be_visible()
    fits(page)
    snap(page, shot, "4-checked-in")
    # Two and a half hours of service in a test of seconds: she came at the start.
    with live.app.app_context():
        activity = db.session.get(Activity, arranged["led"])
        db.session.execute(
            update(CheckIn)
            .where(CheckIn.activity_id == activity.id)
            .values(checked_in_at=activity.starts_at)
        )
        db.session.commit()
    page.reload()
    page.locator("#present").get_by_label(re.compile("李秀英")).check()
    page.locator("#present").get_by_role("button", name="为所选签退").tap()
    expect(page.locator("#present").get_by_text("目前没有已签到未签退的队员。")).to_be_visible()
    # Another activity of the same station is not the leader's: not found.
    assert page.goto(f"/lead/activities/{arranged['other']}").status == 404
    snap(page, shot, "4-refused")

    # 5. The activity ends; the organizer confirms the hours and reads the team's figures.
    with live.app.app_context():
        activity = db.session.get(Activity, arranged["led"])
        activity.starts_at -= timedelta(hours=1)
        activity.ends_at -= timedelta(hours=1)
        db.session.commit()
    org.goto(f"/activities/{arranged['led']}")
    expect(org.get_by_text("队长 王建华").first).to_be_visible()  # the change log names them
    org.get_by_role("button", name="确认全部时长").tap()
    expect(org.get_by_role("button", name="确认全部时长")).to_have_count(0)
    org.goto(f"/reports/?unit={arranged['station']}&period=month&month={arranged['month']}")
    row = org.locator("#by-team tr", has_text=TEAM)
    expect(row.locator("td").nth(2)).to_have_text("1")  # volunteers
    expect(row.locator("td").nth(3)).to_have_text("2.5")  # confirmed hours
    fits(org)
    snap(org, shot, "5-report")
    for context in (desk, leader_phone, member_phone):
        context.close()
