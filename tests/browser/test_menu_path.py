"""Issue 18's service menu at phone size (390×844), each person on their own phone:

1. a centre organizer adds a service to the centre's menu from the console's menu, with one
   time left to book;
2. a resident opens the station's order form, taps the service's card ("预约此项服务"),
   fills in how to reach them and orders it;
3. a second resident opens the same form and sees the service fully booked, with no card
   to tap.

Screenshots of each step land in the test artifacts and /tmp/shots/menu-path-*.png.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from volunteer_app.auth.models import Role
from volunteer_app.extensions import db
from volunteer_app.stations.models import UnitLevel

from ..factories import Factory
from .test_checkin_journey import _phone, login

pytestmark = pytest.mark.browser

CENTRE = "吕陵镇新时代文明实践所（服务菜单）"
STATION = "吕陵镇前王庄村新时代文明实践站（服务菜单）"
TEAM = "吕陵镇卫生院家庭医生志愿服务队（服务菜单）"
SERVICE = "上门测血压（菜单全程）"


def snap(page, shot, name: str) -> None:
    """A full-page screenshot in the artifacts and under /tmp/shots."""
    shot(page, f"menu-path-{name}")
    Path("/tmp/shots").mkdir(exist_ok=True)
    page.screenshot(path=f"/tmp/shots/menu-path-{name}.png", full_page=True)


def fits(page) -> None:
    """Nothing on the page is wider than the phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


@pytest.fixture
def arranged(live):
    """A centre with a station, the station's clinic team, and the centre's organizer."""
    with live.app.app_context():
        make = Factory(db)
        centre = make.unit(name=CENTRE, level=UnitLevel.CENTRE)
        station = make.unit(name=STATION, parent=centre)
        make.category("health")
        team = make.team(station, name=TEAM)
        organizer = make.user(role=Role.CENTRE_ORGANIZER, unit=centre)
        db.session.commit()
        yield {"organizer": organizer.username, "station": station.id, "team": team.id}


def test_a_menu_service_booked_to_the_last_time(browser, live, arranged, shot):
    # 1. The organizer adds the service, one time left.
    desk = browser.new_context(**_phone(browser, live))
    org = desk.new_page()
    login(org, arranged["organizer"])
    org.locator("summary", has_text="菜单").tap()
    org.get_by_role("link", name="服务菜单", exact=True).tap()
    org.get_by_role("link", name="新增服务项目").tap()
    org.get_by_label("服务项目", exact=True).fill(SERVICE)
    org.get_by_label("服务类型").select_option(label="健康服务")
    org.get_by_label("服务对象").select_option("03")  # 老年人
    org.get_by_label("提供队伍").select_option(str(arranged["team"]))
    org.get_by_label("剩余可预约次数").fill("1")
    org.get_by_role("button", name="保存").tap()
    expect(org.get_by_text(f"“{SERVICE}”已上架。")).to_be_visible()
    row = org.locator("li.list-item", has_text=SERVICE)
    expect(row).to_contain_text("剩余 1 次")
    expect(row).to_contain_text("老年人")
    fits(org)
    snap(org, shot, "1-menu")

    # 2. A resident taps the service on the station's order form and orders it.
    first = browser.new_context(**_phone(browser, live)).new_page()
    first.goto(f"/needs/new?station={arranged['station']}")
    card = first.locator(".menu-card", has_text=SERVICE)
    expect(card).to_contain_text(f"服务队伍：{TEAM}")
    expect(card).to_contain_text("还可预约 1 次")
    fits(first)
    snap(first, shot, "2-cards")
    card.get_by_role("link", name="预约此项服务").tap()
    expect(first.get_by_role("heading", name=f"预约：{SERVICE}")).to_be_visible()
    expect(first.locator("#chosen-item")).to_contain_text(TEAM)
    expect(first.get_by_label("需求标题")).to_have_value(SERVICE)
    first.get_by_label("联系人").fill("王桂英")
    first.get_by_label("联系电话").fill("13800005678")
    first.get_by_label("服务地址").fill("前王庄村12号")
    fits(first)
    snap(first, shot, "3-chosen")
    first.get_by_role("button", name="提交需求").tap()
    first.wait_for_url(re.compile(r"/n/"))
    expect(first.get_by_text(f"您的需求已提交给{STATION}。")).to_be_visible()
    snap(first, shot, "4-ordered")

    # 3. The next resident finds it fully booked.
    second = browser.new_context(**_phone(browser, live)).new_page()
    second.goto(f"/needs/new?station={arranged['station']}")
    card = second.locator(".menu-card", has_text=SERVICE)
    expect(card).to_contain_text("已约满")
    expect(card.get_by_role("link", name="预约此项服务")).to_have_count(0)
    fits(second)
    snap(second, shot, "5-fully-booked")
    org.reload()
    expect(org.locator("li.list-item", has_text=SERVICE)).to_contain_text("已约满")
