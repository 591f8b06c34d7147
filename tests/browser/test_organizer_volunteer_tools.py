"""Organizer tools of the volunteer side at phone size: a one-time code given in person, a
correction answered, and the volunteer seeing both on their own page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.extensions import db

from ..factories import Factory
from .test_checkin_journey import _phone, login

pytestmark = pytest.mark.browser


@pytest.fixture
def arranged(live):
    """A seed-style volunteer without PIN who forgot to check out at a station's activity."""
    with live.app.app_context():
        make = Factory(db)
        station = make.unit(name="吕陵镇青年志愿服务队")
        activity = make.activity(
            station,
            title="交通安全宣传单发放",
            starts_at=utcnow().replace(second=0, microsecond=0) - timedelta(days=1),
            minutes=120,
        )
        volunteer = make.volunteer(name="郑海涛", phone="13800001011")
        db.session.add(
            CheckIn(
                activity=activity,
                volunteer=volunteer,
                checked_in_at=activity.starts_at,
                self_made=True,  # their own scan: the station's volunteer (auth/scoping.py)
            )
        )
        organizer = make.user(unit=station)
        db.session.commit()
        yield {"username": organizer.username}


def test_code_in_person_then_correction_answered(browser, live, arranged, shot):
    org = browser.new_context(**_phone(browser, live)).new_page()
    login(org, arranged["username"])
    org.get_by_role("link", name="一次性验证码").tap()
    org.get_by_label("志愿者手机号").fill("13800001011")
    org.get_by_role("button", name="查找志愿者").tap()
    expect(org.get_by_text("138****1011")).to_be_visible()
    org.get_by_role("button", name="发放一次性验证码").tap()
    code = org.locator("#setup-code").inner_text()
    assert re.fullmatch(r"\d{8}", code)
    shot(org, "organizer-one-time-code")

    phone = browser.new_context(**_phone(browser, live)).new_page()
    phone.goto("/me")
    phone.get_by_label("手机号", exact=True).fill("13800001011")
    phone.get_by_label("密码或一次性验证码").fill(code)
    phone.get_by_role("button", name="登录").tap()
    expect(phone.get_by_text("欢迎。请现在设置新密码。")).to_be_visible()
    phone.get_by_label("新密码（4–6 位数字）").fill("8264")
    phone.get_by_label("再次输入新密码").fill("8264")
    phone.get_by_role("button", name="保存密码").tap()
    expect(phone.get_by_text("密码已保存。")).to_be_visible()
    expect(phone.get_by_text("组织者发放了一次性验证码")).to_be_visible()

    phone.get_by_role("link", name="申请更正").tap()
    phone.get_by_label("哪里有误，原因是什么").fill("忘记签退了，一直在路口发到活动结束。")
    shot(phone, "volunteer-correction-request")
    phone.get_by_role("button", name="提交申请").tap()
    expect(phone.get_by_text("等待站点处理")).to_be_visible()

    org.locator("header summary").tap()  # the top bar's menu on a phone
    org.get_by_role("link", name="更正申请").tap()
    org.get_by_role("link", name=re.compile("郑海涛")).tap()
    org.get_by_label("签退时间").fill(
        (utcnow() + timedelta(hours=8) - timedelta(days=1) + timedelta(hours=2))
        .replace(tzinfo=None)
        .strftime("%Y-%m-%dT%H:%M")
    )
    org.get_by_label("给志愿者的答复").fill("已核实，按活动结束时间计算。")
    shot(org, "organizer-correction")
    org.get_by_role("button", name="采纳并更正").tap()
    expect(org.get_by_text("已采纳更正，服务时长已更新。")).to_be_visible()

    phone.reload()
    expect(phone.get_by_text("已采纳：0 小时 → 2 小时")).to_be_visible()
    expect(phone.get_by_text("答复：已核实，按活动结束时间计算。")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "volunteer-my-page-after-correction")
