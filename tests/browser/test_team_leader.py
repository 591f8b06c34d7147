"""A team leader at phone size (390×844): signs in as a volunteer with phone and PIN, opens
the activity their team runs from their own page, ticks the other member in and later out,
is refused at an activity their team does not run; the organizer confirms the hours and
the report's "按队伍" table shows them.

Issue 17's whole path, from the team's card to the report, is
tests/browser/test_team_path.py; here the team is arranged with factories and the leader's
pages are looked at more closely (script errors, the scanner's refusal).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from volunteer_app.activities.models import Activity
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.localtime import utc_to_local

from ..factories import Factory
from ..routes.test_identity import PIN, with_pin
from .test_checkin_journey import _phone

pytestmark = pytest.mark.browser

TEAM = "万福社区卫生服务中心医护志愿服务队"


@pytest.fixture
def arranged(live):
    """A clinic's team with a leader and a member, the activity it runs (started two and a
    half hours ago, ending in half an hour), and the station's own activity."""
    with live.app.app_context():
        make = Factory(db)
        station = make.unit(name="万福社区新时代文明实践站（队伍）")
        team = make.team(station, name=TEAM)
        leader = with_pin(make.volunteer("王队长", phone="13812347701"))
        member = make.volunteer("李秀英", phone="13812347702")
        make.member(team, leader, leader=True)
        make.member(team, member)
        start = utcnow().replace(microsecond=0) - timedelta(minutes=150)
        led = make.activity(station, title="测血压、测血糖", starts_at=start, team_id=team.id)
        other = make.activity(station, title="站点的环境整治")
        organizer = make.user(unit=station)
        db.session.commit()
        yield {
            "led": led.id,
            "other": other.id,
            "member": member.id,
            "station": station.id,
            "organizer": organizer.username,
            "month": utc_to_local(start).strftime("%Y-%m"),
        }


def test_a_leader_checks_a_member_in_and_the_report_counts_the_team(browser, live, arranged, shot):
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

    # The leader signs in as any volunteer does: phone and PIN.
    page.goto("/me/sign-in")
    page.get_by_label("手机号", exact=True).fill("13812347701")
    page.get_by_label("密码或一次性验证码").fill(PIN)
    page.get_by_role("button", name="登录").tap()
    expect(page.get_by_role("heading", name="我带队的活动")).to_be_visible()
    page.get_by_role("link", name="测血压、测血糖").tap()
    page.wait_for_url(re.compile(rf"/lead/activities/{arranged['led']}$"))
    expect(page.get_by_text("138****7702")).to_be_visible()
    expect(page.get_by_text("13812347702")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "leader-activity")

    # "Tick all not yet checked in", untick the leader, check in the member.
    page.get_by_role("button", name="勾选全部未签到队员").tap()
    page.locator("#members").get_by_label(re.compile("王队长")).uncheck()
    page.locator("#members").get_by_role("button", name="为所选签到").tap()
    expect(page.get_by_text(re.compile("李秀英"))).to_have_count(3)  # flash, list, still in
    expect(page.locator("#present").get_by_text("李秀英")).to_be_visible()
    shot(page, "leader-checked-in")

    # Two and a half hours of service in a test of seconds: the member came at the start.
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

    assert errors == []  # no CSP violations or script errors on the leader's pages

    # Any other activity, even of the team's own station, is not found.
    response = page.goto(f"/lead/activities/{arranged['other']}")
    assert response.status == 404
    response = page.goto(f"/lead/activities/{arranged['other']}/scanner")
    assert response.status == 404

    # The activity ends; its organizer confirms the hours and reads the team's figures.
    with live.app.app_context():
        activity = db.session.get(Activity, arranged["led"])
        activity.starts_at -= timedelta(hours=1)
        activity.ends_at -= timedelta(hours=1)
        db.session.commit()
        record = db.session.scalar(select(CheckIn).where(CheckIn.activity_id == activity.id))
        assert record.minutes == 150 and not record.self_made and record.recorded_by_id is None
    desk = browser.new_context(**_phone(browser, live))
    page = desk.new_page()
    page.goto("/login")
    page.get_by_label("用户名").fill(arranged["organizer"])
    page.get_by_label("密码").fill(Factory.PASSWORD)
    page.get_by_role("button", name="登录").tap()
    expect(page).not_to_have_url(re.compile(r"/login"))
    page.goto(f"/activities/{arranged['led']}")
    expect(page.get_by_text("队长 王队长").first).to_be_visible()  # the change log names them
    page.get_by_role("button", name="确认全部时长").tap()
    expect(page.get_by_role("button", name="确认全部时长")).to_have_count(0)
    page.goto(f"/reports/?unit={arranged['station']}&period=month&month={arranged['month']}")
    row = page.locator("#by-team tr", has_text=TEAM)
    expect(row.locator("td").nth(2)).to_have_text("1")  # volunteers
    expect(row.locator("td").nth(3)).to_have_text("2.5")  # confirmed hours
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "reports-by-team")
    desk.close()
    context.close()
