"""Layout at 320, 390 and 1280 px, normal and large text: no sideways scrolling, readable
text, big enough touch targets; the check-in page stays within its transfer budget."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from volunteer_app.checkins.tokens import issue_token
from volunteer_app.extensions import db

from ..factories import Factory

pytestmark = pytest.mark.browser
WIDTHS = [320, 390, 1280]

#: Elements a finger must hit: buttons, form controls, and links outside running text.
TARGETS_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll(
      'button, input:not([type=hidden]), select, textarea, .button, nav a, .list-item')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const min = (el.type === 'checkbox' || el.type === 'radio') ? 24 : 44;
    if (r.height < min) bad.push(`${el.tagName}.${el.className}:${Math.round(r.height)}`);
  }
  return bad;
}"""


@pytest.fixture
def site(live):
    """An organizer, their running activity (with a long Chinese title) and its QR link."""
    with live.app.app_context():
        make = Factory(db)
        activity = make.activity(
            title="“学雷锋精神，树校园新风”主题教育活动暨校外志愿大扫除及交通安全宣传",
            place="吕陵镇吕陵小学校园广场及周边主要街道、桂陵路与中华路交叉口",
        )
        organizer = make.user(unit=activity.unit)
        db.session.commit()
        return {
            "username": organizer.username,
            "activity": activity.id,
            "scan": "/c/" + issue_token(live.app.config["SECRET_KEY"], activity.id),
        }


def check_page(page, url: str, name: str, shot) -> None:
    page.goto(url)
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{url}: scrolls sideways ({scroll} > {width})"
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert body >= 16, f"{url}: body text {body}px"
    assert page.evaluate(TARGETS_JS) == [], url
    shot(page, name)


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("text", ["normal", "large"])
def test_pages_fit_every_width(browser, live, site, shot, width, text):
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        base_url=live.url,
        locale="zh-CN",
        is_mobile=width < 800,
        has_touch=width < 800,
    )
    page = context.new_page()
    page.goto(f"/?text={text}")
    check_page(page, site["scan"], f"layout-{text}-{width}-checkin", shot)
    check_page(page, "/login", f"layout-{text}-{width}-login", shot)
    page.get_by_label("用户名").fill(site["username"])
    page.get_by_label("密码").fill(Factory.PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="活动")).to_be_visible()
    for url, name in [
        ("/activities", "activities"),
        ("/activities/new", "new-activity"),
        (f"/activities/{site['activity']}", "activity"),
        ("/account/api-tokens", "tokens"),
    ]:
        check_page(page, url, f"layout-{text}-{width}-{name}", shot)
    context.close()


def test_checkin_page_transfer_budget(browser, live, site):
    """First load ≤ 30 KB in all; a repeat visit fetches only the HTML."""
    context = browser.new_context(base_url=live.url, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(site["scan"])
    page.wait_for_load_state("load")
    first = page.evaluate("""() => performance.getEntriesByType('navigation')
        .concat(performance.getEntriesByType('resource'))
        .reduce((sum, e) => sum + (e.transferSize || e.encodedBodySize || 0), 0)""")
    assert 0 < first <= 30 * 1024, f"first load transferred {first} bytes"
    fetched = []
    page.on(
        "requestfinished",
        lambda request: fetched.append(
            (request.url, request.response().from_service_worker if request.response() else False)
        ),
    )
    page.goto(site["scan"])
    page.wait_for_load_state("load")
    network = page.evaluate("""() => performance.getEntriesByType('resource')
        .filter(e => e.transferSize > 0).map(e => e.name)""")
    assert network == [], f"repeat visit fetched {network}"
    context.close()
