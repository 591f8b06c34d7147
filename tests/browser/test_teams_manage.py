"""An organizer on a phone creates a team from the menu, adds one of their volunteers and
opens the team's printable join card, whose QR code decodes to the join link."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from volunteer_app.extensions import db
from volunteer_app.teams.models import Team

from ..factories import Factory
from .test_accessibility import axe_violations
from .test_checkin_journey import _phone, decode_qr, login
from .test_targets_and_topbar import SMALL_TARGETS_JS

pytestmark = pytest.mark.browser


def snap(page, shot, name: str) -> None:
    """A full-page screenshot in the artifacts and under /tmp/shots, for a person to look at."""
    shot(page, name)
    Path("/tmp/shots").mkdir(exist_ok=True)
    page.screenshot(path=f"/tmp/shots/{name}.png", full_page=True)


def test_create_a_team_add_a_member_and_open_its_card(browser, live, shot):
    with live.app.app_context():
        make = Factory(db)
        station = make.unit(name="万福街道万福社区新时代文明实践站")
        make.category("health")
        organizer = make.user(unit=station)
        make.volunteer("欧阳建华", phone="13566661234", registered_unit_id=station.id)
        db.session.commit()
        username = organizer.username
        station_id = station.id
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    login(page, username)
    page.locator("summary", has_text="菜单").tap()
    page.get_by_role("link", name="队伍", exact=True).tap()
    expect(page.get_by_role("heading", name="志愿服务队")).to_be_visible()
    page.get_by_role("link", name="新建队伍").tap()

    # every problem at once, beside its field
    page.get_by_label("加入方式").select_option("4")
    page.get_by_role("button", name="创建队伍").tap()
    expect(page.locator("#name-error")).to_have_text("请填写队伍名称。")
    expect(page.locator("#join_code-error")).to_have_text("请设置 4–12 位字母或数字的入队密码。")
    snap(page, shot, "teamorg-form-problems")

    page.get_by_label("队伍名称").fill("万福社区卫生服务中心医护志愿服务队")
    page.get_by_label("队伍类型").select_option("1")
    page.get_by_label("同意其成立的单位类型").select_option("03")
    page.get_by_label("依托单位", exact=True).fill("万福社区卫生服务中心")
    page.get_by_label("联系电话").fill("13812345678")
    page.get_by_label("健康服务").check()
    page.get_by_label("加入方式").select_option("1")
    page.get_by_role("button", name="创建队伍").tap()
    expect(page.get_by_role("heading", name="万福社区卫生服务中心医护志愿服务队")).to_be_visible()
    expect(page.get_by_text("已创建队伍")).to_be_visible()

    # one of the station's own volunteers, by the last 4 digits of the number
    page.get_by_label("姓名或手机号").fill("1234")
    page.get_by_role("button", name="查找", exact=True).tap()
    expect(page.get_by_text("135****1234")).to_be_visible()
    page.get_by_role("button", name="添加 欧阳建华").tap()
    expect(page.get_by_text("欧阳建华 已成为队伍成员。")).to_be_visible()
    expect(page.locator("#members")).to_contain_text("欧阳建华")
    snap(page, shot, "teamorg-detail")
    assert page.evaluate(SMALL_TARGETS_JS) == []
    assert axe_violations(page) == []

    page.get_by_role("link", name="可打印的入队卡").tap()
    expect(page.get_by_role("heading", name="万福社区卫生服务中心医护志愿服务队")).to_be_visible()
    expect(page.get_by_text("任何人都可申请加入，由队长审核。")).to_be_visible()
    assert page.evaluate(SMALL_TARGETS_JS) == []
    assert axe_violations(page) == []
    snap(page, shot, "teamorg-card")
    with live.app.app_context():
        team = (
            db.session.query(Team)
            .filter_by(name="万福社区卫生服务中心医护志愿服务队", unit_id=station_id)
            .one()
        )
        key = team.join_key
    png = page.locator("#team-qr").screenshot()
    (url,) = decode_qr(png)
    assert url == f"{live.url}/t/{key}"
    assert re.search(re.escape(f"/t/{key}"), page.locator(".team-card-url").inner_text())
    context.close()
