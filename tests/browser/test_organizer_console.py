"""Organizer console at phone size: hours review after an activity."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from volunteer_app.checkins import services
from volunteer_app.database import utcnow
from volunteer_app.extensions import db

from ..factories import Factory
from .test_checkin_journey import _phone, login

pytestmark = pytest.mark.browser


@pytest.fixture
def ended(live):
    """An activity that ended an hour ago: one volunteer checked out, one forgot to."""
    with live.app.app_context():
        make = Factory(db)
        start = (utcnow() - timedelta(hours=4)).replace(microsecond=0)
        activity = make.activity(
            title="学雷锋志愿服务：测血压、测血糖、健康咨询", starts_at=start, capacity=1
        )
        organizer = make.user(unit=activity.unit)
        left = make.volunteer("欧阳建国", phone="13812340001")
        forgot = make.volunteer("李秀英", phone="13812340002")
        services.check_in(activity, left, now=start)
        services.check_out(activity, left, now=start + timedelta(hours=2))
        services.check_in(activity, forgot, now=start + timedelta(minutes=3))
        db.session.commit()
        yield {"activity_id": activity.id, "username": organizer.username}


def test_close_adjust_and_confirm_hours(browser, live, ended, shot):
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    login(page, ended["username"])
    expect(page.get_by_text("2 条时长待确认")).to_be_visible()
    page.get_by_role("link", name=re.compile("学雷锋志愿服务")).tap()
    expect(page.get_by_text("仍在签到中")).to_be_visible()
    expect(page.get_by_text("超员", exact=True)).to_be_visible()
    shot(page, "console-activity-ended")

    page.get_by_role("button", name="关闭未签退记录").tap()
    expect(page.get_by_text("已关闭 1 条未签退记录，已标记为待复核。")).to_be_visible()
    page.get_by_role("link", name="调整 李秀英 的时长").tap()
    page.get_by_label("时长").fill("2.5")
    page.get_by_label("原因").fill("忘记签退，10:30 离开（电话核实）")
    shot(page, "console-adjust-hours")
    page.get_by_role("button", name="保存时长").tap()
    expect(page.get_by_text("时长已保存。")).to_be_visible()

    page.get_by_role("button", name="确认全部时长").tap()
    expect(page.get_by_text("已确认 2 名志愿者的服务时长。")).to_be_visible()
    expect(page.get_by_text("原因：忘记签退，10:30 离开（电话核实）")).to_be_visible()
    expect(page.locator(".status-line").get_by_text("已结束")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "no horizontal scrolling on a phone"
    shot(page, "console-hours-confirmed")
    context.close()


def test_manual_group_check_in_on_a_phone(browser, live, shot):
    with live.app.app_context():
        make = Factory(db)
        activity = make.activity(title="植树绿化志愿服务", capacity=2)
        organizer = make.user(unit=activity.unit)
        for name, phone in (("张德顺", "13812345671"), ("张桂兰", "13812345672")):
            make.volunteer(name, phone=phone, registered_unit_id=activity.unit_id)
        db.session.commit()
        activity_id, username = activity.id, organizer.username
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    login(page, username)
    page.goto(f"/activities/{activity_id}")
    page.get_by_role("link", name="代签到").tap()
    page.get_by_label("姓名或手机号").fill("张")
    page.get_by_role("button", name="查找").tap()
    page.get_by_label(re.compile("张德顺")).check()
    page.get_by_label(re.compile("张桂兰")).check()
    page.get_by_role("button", name="为所选签到").tap()
    expect(page.get_by_text("已代签到 2 人：张德顺、张桂兰")).to_be_visible()
    page.get_by_label("姓名", exact=True).fill("王淑珍")
    page.get_by_label("手机号", exact=True).fill("13912340000")
    page.get_by_label(re.compile("志愿者本人同意")).check()
    page.get_by_role("button", name="登记").tap()
    expect(page.get_by_text("已登记王淑珍。")).to_be_visible()
    expect(page.get_by_text(re.compile("已超过所需人数"))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "console-manual-checkin")
    context.close()


def test_activity_page_shows_arrivals_as_they_happen(browser, live, shot):
    with live.app.app_context():
        make = Factory(db)
        activity = make.activity(title="环境整治")
        organizer = make.user(unit=activity.unit)
        db.session.commit()
        activity_id, username = activity.id, organizer.username
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    login(page, username)
    page.goto(f"/activities/{activity_id}")
    expect(page.get_by_text("还没有人签到。")).to_be_visible()
    with live.app.app_context():
        from volunteer_app.activities.models import Activity

        activity = db.session.get(Activity, activity_id)
        volunteer = Factory(db).volunteer("赵丽华", phone="13612345678")
        services.check_in(activity, volunteer, now=utcnow())
        db.session.commit()
    expect(page.get_by_role("row", name=re.compile("赵丽华"))).to_be_visible(timeout=12000)
    expect(page.get_by_text("还没有人签到。")).to_have_count(0)
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_console_pages_fit_a_phone(browser, live, shot, lang):
    with live.app.app_context():
        from volunteer_app.auth.models import Role
        from volunteer_app.stations.models import UnitLevel

        make = Factory(db)
        centre = make.unit("吕陵镇新时代文明实践所", level=UnitLevel.CENTRE)
        station = make.unit("吕陵镇吕陵村新时代文明实践站（吕陵小学志愿服务队）", parent=centre)
        activity = make.activity(
            unit=station,
            title="“学雷锋、树新风”主题队会暨校园及周边环境卫生集中清理志愿服务活动",
            place="吕陵小学操场及学校周边道路（东门至十字路口）",
            capacity=40,
        )
        organizer = make.user(role=Role.CENTRE_ORGANIZER, unit=centre)
        db.session.commit()
        activity_id, username = activity.id, organizer.username
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    login(page, username)
    pages = {
        "list": "/activities",
        "detail": f"/activities/{activity_id}",
        "edit": f"/activities/{activity_id}/edit",
        "duplicate": f"/activities/{activity_id}/duplicate",
        "checkin": f"/activities/{activity_id}/checkin?q=张",
        "scanner": f"/activities/{activity_id}/scanner",
        "poster": f"/activities/{activity_id}/poster",
        "projector": f"/activities/{activity_id}/projector",
        "accounts": "/accounts",
    }
    for name, path in pages.items():
        sep = "&" if "?" in path else "?"
        response = page.goto(f"{path}{sep}lang={lang}")
        assert response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} scrolls sideways ({width}px)"
        shot(page, f"console-{name}-{lang}")
    context.close()
