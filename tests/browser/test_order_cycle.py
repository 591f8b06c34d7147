"""Issue 18's whole cycle at phone size (390×844), each person on their own phone:

1. a resident scans the station's "扫码点单" poster (its QR code read as a phone camera
   reads it) and orders a blood-pressure check at home;
2. the station passes it up, and the centre dispatches it to the clinic's team;
3. the team's leader takes it, the activity it became runs with one member checked in and
   out by the leader, the task consumer puts it in service, and the leader completes it;
4. the resident rates it from the tracking link;
5. the public board shows it with the name shortened and no number or address, and the
   centre's dashboard counts it.

Screenshots of each step land in the test artifacts and /tmp/shots/order-cycle-*.png.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from volunteer_app.activities.models import Activity
from volunteer_app.auth.models import Role
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.jobs import periodic
from volunteer_app.localtime import utc_to_local
from volunteer_app.needs.models import Need
from volunteer_app.stations.models import UnitLevel

from ..factories import Factory
from ..routes.test_identity import PIN, with_pin
from .test_checkin_journey import _phone, decode_qr, login

pytestmark = pytest.mark.browser

CENTRE = "吕陵镇新时代文明实践所（点单全程）"
STATION = "吕陵镇吕陵村新时代文明实践站（点单全程）"
TEAM = "吕陵镇卫生院医护志愿服务队（点单全程）"
TITLE = "给独居老人上门测血压"
RESIDENT, NUMBER, ADDRESS = "张桂芝", "13912345601", "吕陵村幸福大街18号"


def snap(page, shot, name: str) -> None:
    """A full-page screenshot in the artifacts and under /tmp/shots."""
    shot(page, f"order-cycle-{name}")
    Path("/tmp/shots").mkdir(exist_ok=True)
    page.screenshot(path=f"/tmp/shots/order-cycle-{name}.png", full_page=True)


def fits(page) -> None:
    """Nothing on the page is wider than the phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def arranged(live):
    """A centre with a station below it, an organizer of each, and the centre's clinic team
    with its leader (who signs in with a PIN) and one member."""
    with live.app.app_context():
        make = Factory(db)
        centre = make.unit(name=CENTRE, level=UnitLevel.CENTRE)
        station = make.unit(name=STATION, parent=centre)
        make.category("health")
        team = make.team(centre, name=TEAM, host_name="吕陵镇卫生院")
        leader = with_pin(make.volunteer("孙队长", phone="13912345602"))
        make.member(team, leader, leader=True)
        make.member(team, make.volunteer("周护士", phone="13912345603"))
        station_organizer = make.user(unit=station)
        centre_organizer = make.user(unit=centre, role=Role.CENTRE_ORGANIZER)
        db.session.commit()
        yield {
            "centre": centre.id,
            "station": station.id,
            "station_organizer": station_organizer.username,
            "centre_organizer": centre_organizer.username,
            "month": utc_to_local(utcnow()).strftime("%Y-%m"),
        }


def status(page):
    """Where the order's page says where it stands (not a flash message)."""
    return page.locator("p.big[role=status]")


def phone(browser, live):
    context = browser.new_context(**_phone(browser, live))
    return context, context.new_page()


def test_one_order_from_the_poster_to_the_rating(browser, live, arranged, shot):
    # 1. The station prints its poster; a resident scans it and orders.
    station_desk, station_org = phone(browser, live)
    login(station_org, arranged["station_organizer"])
    station_org.goto(f"/needs/poster?unit={arranged['station']}")
    (url,) = decode_qr(station_org.locator("#order-qr").screenshot())
    assert url.startswith(f"{live.url}/needs/new")
    snap(station_org, shot, "1-poster")

    resident_phone, resident = phone(browser, live)
    resident.goto(url)
    expect(resident.get_by_role("heading", name="我要点单")).to_be_visible()
    expect(resident.get_by_label("站点")).to_have_value(str(arranged["station"]))
    resident.get_by_label("需求标题").fill(TITLE)
    resident.get_by_label("需求描述").fill("老人腿脚不便，每周想测一次血压")
    resident.get_by_label("服务地址").fill(ADDRESS)
    resident.get_by_label("预计时长（分钟）").fill("60")
    resident.get_by_label("联系人").fill(RESIDENT)
    resident.get_by_label("联系电话").fill(NUMBER)
    fits(resident)
    snap(resident, shot, "1-order-form")
    resident.get_by_role("button", name="提交需求").tap()
    resident.wait_for_url(re.compile(r"/n/"))
    tracking = resident.url
    expect(resident.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(status(resident)).to_contain_text("待受理")
    fits(resident)
    snap(resident, shot, "1-tracking")

    # 2. The station has no medical staff: it passes the order up; the centre dispatches it.
    station_org.goto("/needs/queue")
    station_org.get_by_role("link", name=TITLE).tap()
    expect(station_org.get_by_text(NUMBER)).to_be_visible()  # in full, to those handling it
    station_org.get_by_label("说明或原因").fill("本站没有医护人员")
    station_org.get_by_role("button", name="上报上级").tap()
    expect(status(station_org)).to_contain_text("已上报")
    snap(station_org, shot, "2-escalated")

    centre_desk, centre_org = phone(browser, live)
    login(centre_org, arranged["centre_organizer"])
    centre_org.goto("/needs/queue")
    centre_org.get_by_role("link", name=TITLE).tap()
    centre_org.get_by_label("服务队伍").select_option(label=f"{TEAM}（{CENTRE}）")
    centre_org.get_by_role("button", name="派单", exact=True).tap()
    expect(status(centre_org)).to_contain_text("已派单")
    fits(centre_org)
    snap(centre_org, shot, "2-dispatched")

    # 3. The leader takes it from their own page; its activity runs.
    leader_phone, leader = phone(browser, live)
    leader.goto("/me/sign-in")
    leader.get_by_label("手机号", exact=True).fill("13912345602")
    leader.get_by_label("密码或一次性验证码").fill(PIN)
    leader.get_by_role("button", name="登录").tap()
    expect(leader).to_have_url(re.compile(r"/me$"))
    leader.get_by_role("link", name="派给我队的需求").tap()
    leader.get_by_role("link", name=TITLE).tap()
    leader.wait_for_url(re.compile(r"/lead/needs/\d+$"))
    order_page = leader.url
    expect(leader.get_by_text(NUMBER)).to_have_count(0)  # the team's page masks it
    snap(leader, shot, "3-dispatched-to-my-team")
    leader.get_by_role("button", name="队伍接单").tap()
    expect(status(leader)).to_contain_text("已接单")
    with live.app.app_context():
        need = db.session.scalar(select(Need).where(Need.title == TITLE))
        activity = db.session.get(Activity, need.activity_id)
        assert activity.team.name == TEAM and activity.members_only
        assert ADDRESS not in activity.place  # the activity is public; the address is not
        # Its time comes: it began an hour and a half ago.
        activity.starts_at = utcnow().replace(microsecond=0) - timedelta(minutes=90)
        activity.ends_at = activity.starts_at + timedelta(hours=2)
        activity_id = activity.id
        db.session.commit()
    leader.get_by_role("link", name="去签到（本需求的活动）").tap()
    leader.wait_for_url(re.compile(rf"/lead/activities/{activity_id}$"))
    leader.locator("#members").get_by_label(re.compile("周护士")).check()
    leader.locator("#members").get_by_role("button", name="为所选签到").tap()
    expect(leader.locator("#present").get_by_text("周护士")).to_be_visible()
    with live.app.app_context():
        db.session.execute(
            update(CheckIn)
            .where(CheckIn.activity_id == activity_id)
            .values(checked_in_at=utcnow().replace(microsecond=0) - timedelta(minutes=80))
        )
        db.session.commit()
        assert periodic.start_orders() == 1  # the consumer's minute: it is in service
    leader.reload()
    leader.locator("#present").get_by_label(re.compile("周护士")).check()
    leader.locator("#present").get_by_role("button", name="为所选签退").tap()
    expect(leader.locator("#present").get_by_text("目前没有已签到未签退的队员。")).to_be_visible()
    snap(leader, shot, "3-checked-out")
    leader.goto(order_page)
    expect(status(leader)).to_contain_text("服务中")
    leader.get_by_label("说明或原因").fill("已为老人测量血压，结果正常")
    leader.get_by_role("button", name="服务办结").tap()
    expect(status(leader)).to_contain_text("已办结")
    fits(leader)
    snap(leader, shot, "3-completed")
    with live.app.app_context():
        served = db.session.scalar(select(CheckIn).where(CheckIn.activity_id == activity_id))
        assert served.checked_out_at is not None and served.minutes > 0

    # 4. The resident follows the link and rates the service.
    resident.goto(tracking)
    expect(status(resident)).to_contain_text("已办结")
    expect(resident.get_by_text("已为老人测量血压，结果正常")).to_be_visible()
    rating = resident.locator("#rate-title").locator("..")
    rating.get_by_role("group", name="服务质量").get_by_label("5 星").check()
    rating.get_by_role("group", name="服务态度").get_by_label("4 星").check()
    rating.get_by_label("评价").fill("医生很耐心")
    fits(resident)
    snap(resident, shot, "4-rating")
    rating.get_by_role("button", name="提交评价").tap()
    expect(status(resident)).to_contain_text("已评单")
    snap(resident, shot, "4-rated")

    # 5. The public board shows it shortened; the centre's dashboard counts it.
    resident.goto("/needs")
    item = resident.locator(".need-list li", has_text=TITLE)
    expect(item).to_contain_text("张**")
    expect(item).to_contain_text(STATION)
    board = resident.content()
    assert RESIDENT not in board and NUMBER not in board and ADDRESS not in board
    assert "3456" not in board  # not even a masked number
    fits(resident)
    snap(resident, shot, "5-board")

    centre_org.goto(f"/reports/?unit={arranged['centre']}&period=month&month={arranged['month']}")
    orders = centre_org.locator("#orders")
    cells = orders.locator("tbody tr").first.locator("td")
    # received, rejected, dispatched, taken, completed, rated
    expect(cells).to_have_text(["1", "0", "1", "1", "1", "1"])
    expect(orders).to_contain_text("100%")  # take, completion and satisfaction rates
    fits(centre_org)
    snap(centre_org, shot, "5-dashboard")
    for context in (station_desk, resident_phone, centre_desk, leader_phone):
        context.close()
