"""Temporary: screenshots for issue 20's edges (not committed)."""
import pytest
from playwright.sync_api import expect

from volunteer_app.checkins.tokens import current_step, issue_rotating_token
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.activities.models import Activity

from . import sitemap
from .test_targets_and_topbar import world, phone  # noqa: F401

pytestmark = pytest.mark.browser
OUT = "/tmp/shots-edges"


@pytest.mark.parametrize("width", [320, 390])
@pytest.mark.parametrize("text", ["normal", "large"])
def test_shots(browser, live, world, width, text):
    context, page = phone(browser, live, width, text)
    p = f"{OUT}/{text}-{width}"
    def shot(name, full=True):
        page.screenshot(path=f"{p}-{name}.png", full_page=full)
    # empty first-time form
    page.goto(world["scan"])
    page.get_by_role("button", name="签到").click()
    shot("scan-empty-errors")
    # expired code
    with live.app.app_context():
        a = db.session.get(Activity, world["running"])
        a.rotate_seconds = 30
        db.session.commit()
        stale = issue_rotating_token(live.app.config["SECRET_KEY"], a.checkin_key, current_step(utcnow(), 30) - 5)
    page.goto(f"/c/{stale}")
    shot("expired-code")
    # sign-in wrong pin
    page.goto("/me/sign-in")
    page.get_by_label("手机号", exact=True).fill("13900009999")
    page.get_by_label("密码或一次性验证码").fill("9999")
    page.get_by_role("button", name="登录").click()
    shot("sign-in-wrong-pin")
    page.goto("/me/register")
    page.get_by_role("button", name="注册").click()
    shot("register-empty")
    sitemap.sign_in_volunteer(page, world["phone"])
    page.goto("/me")
    shot("me")
    page.goto("/me/delete")
    page.get_by_role("button", name="确认永久注销").click()
    shot("delete-empty")
    sitemap.sign_in_organizer(page, world["organizer"])
    page.goto(f"/activities/{world['fresh']}")
    shot("activity-cancel")
    page.goto(f"/activities/{world['past']}")
    shot("activity-past")
    page.locator("header summary").click()
    shot("menu-open", full=False)
    context.close()
    context, page = phone(browser, live, width, text)
    sitemap.sign_in_organizer(page, world["admin"])
    page.goto("/reports/")
    shot("reports")
    page.goto("/volunteers")
    shot("roster")
    context.close()
