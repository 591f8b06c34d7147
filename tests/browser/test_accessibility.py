"""axe-core on every page a person reaches: zero WCAG 2.1 A/AA violations, at phone size."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from volunteer_app.checkins.tokens import issue_token
from volunteer_app.extensions import db

from ..factories import Factory

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(page) -> list[tuple[str, str, int, list[str]]]:
    """Run axe-core in the page (evaluated, since the CSP forbids injected script tags)."""
    page.evaluate(AXE)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", TAGS
    )
    return [
        (v["id"], v["impact"], len(v["nodes"]), [n["target"][0] for n in v["nodes"]][:3])
        for v in result["violations"]
    ]


@pytest.fixture
def world(live):
    """An organizer with an activity that one volunteer has checked in to."""
    from volunteer_app.checkins import services as checkins

    with live.app.app_context():
        make = Factory(db)
        activity = make.activity(title="无障碍检查活动", description="请穿运动鞋。")
        organizer = make.user(unit=activity.unit)
        checkins.check_in(activity, make.volunteer("无障碍测试员"), now=activity.starts_at)
        db.session.commit()
        return {
            "username": organizer.username,
            "activity_id": activity.id,
            "scan": "/c/" + issue_token(live.app.config["SECRET_KEY"], activity.id),
        }


def organizer_pages(world) -> list[str]:
    """Pages an organizer sees (extended as areas are added)."""
    a = world["activity_id"]
    return ["/activities", "/activities/new", f"/activities/{a}", "/account/api-tokens"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_pages_have_no_violations(page, world, lang):
    for url in ["/", "/login", world["scan"], "/no-such-page"]:
        page.goto(f"{url}?lang={lang}")
        assert axe_violations(page) == [], url


def test_volunteer_pages_after_check_in_have_no_violations(page, world):
    page.goto(world["scan"])
    page.get_by_label("姓名", exact=True).fill("李秀英")
    page.get_by_label("手机号", exact=True).fill("13812341239")
    page.get_by_label("密码（4–6 位数字）").fill("2580")
    page.get_by_label("我同意").check()
    page.get_by_role("button", name="签到").tap()
    expect(page.get_by_text("签到成功")).to_be_visible()
    assert axe_violations(page) == [], "after check-in"
    page.goto(world["scan"])
    assert axe_violations(page) == [], "check-out offer"


def test_organizer_pages_have_no_violations(page, world):
    page.goto("/login")
    page.get_by_label("用户名").fill(world["username"])
    page.get_by_label("密码").fill(Factory.PASSWORD)
    page.get_by_role("button", name="登录").tap()
    expect(page.get_by_role("heading", name="活动")).to_be_visible()
    for url in organizer_pages(world):
        page.goto(url)
        assert axe_violations(page) == [], url
