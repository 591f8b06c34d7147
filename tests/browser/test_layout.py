"""Layout at 320, 390 and 1280 px, normal and large text: no sideways scrolling, readable
text, big enough touch targets, date and time inputs that show their whole value; the
check-in page stays within its transfer budget."""

from __future__ import annotations

import pytest

from volunteer_app.checkins.tokens import issue_token
from volunteer_app.extensions import db

from ..factories import Factory
from . import sitemap

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


@pytest.fixture(scope="module")
def world(live):
    """Data behind every page (see sitemap.arrange)."""
    return sitemap.arrange(live)


@pytest.fixture
def site(live):
    """An organizer, their running activity (with a long Chinese title) and its QR link."""
    with live.app.app_context():
        make = Factory(db)
        activity = make.activity(title=sitemap.LONG_TITLE, place=sitemap.LONG_PLACE)
        organizer = make.user(unit=activity.unit)
        db.session.commit()
        return {
            "username": organizer.username,
            "activity": activity.id,
            "scan": "/c/" + issue_token(live.app.config["SECRET_KEY"], activity.checkin_key),
        }


#: Native date and time inputs cannot wrap or scroll their text: one narrower than the width
#: it needs for its whole value (its width when laid out at its natural size) cuts it off,
#: and its scrollWidth does not show it. The copy is measured beside the original.
CLIPPED_JS = """() => {
  const bad = [];
  for (const el of document.querySelectorAll(
      'input[type=datetime-local], input[type=date], input[type=time], input[type=month]')) {
    const shown = el.getBoundingClientRect().width;
    if (shown === 0) continue;
    const copy = el.cloneNode(true);
    copy.removeAttribute('id');
    copy.style.position = 'absolute';
    copy.style.visibility = 'hidden';
    copy.style.width = 'auto';
    el.parentElement.append(copy);
    const needed = copy.getBoundingClientRect().width;
    copy.remove();
    if (needed > shown + 0.5 || el.scrollWidth > el.clientWidth) {
      bad.push(`${el.name}: needs ${Math.round(needed)}px, has ${Math.round(shown)}px`);
    }
  }
  return bad;
}"""


def check_page(page, url: str, name: str, shot) -> list[str]:
    """Open a page, screenshot it and return what is wrong with its layout."""
    page.goto(url)
    problems = []
    width = page.evaluate("window.innerWidth")
    scroll = page.evaluate("document.documentElement.scrollWidth")
    if scroll > width:
        problems.append(f"{url}: scrolls sideways ({scroll} > {width})")
    body = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    if body < 16:
        problems.append(f"{url}: body text {body}px")
    small = page.evaluate(TARGETS_JS)
    if small:
        problems.append(f"{url}: small targets {small}")
    clipped = page.evaluate(CLIPPED_JS)
    if clipped:
        problems.append(f"{url}: date/time text cut off {clipped}")
    shot(page, name)
    return problems


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("text", ["normal", "large"])
def test_pages_fit_every_width(browser, live, world, shot, width, text):
    """Public, volunteer and organizer pages at each width, normal and large text."""
    context = browser.new_context(
        viewport={"width": width, "height": 800},
        base_url=live.url,
        locale="zh-CN",
        is_mobile=width < 800,
        has_touch=width < 800,
    )
    page = context.new_page()
    page.goto(f"/?text={text}")
    problems = []
    for url, name in sitemap.public_pages(world):
        problems += check_page(page, url, f"layout-{text}-{width}-{name}", shot)
    sitemap.sign_in_volunteer(page, world["phone"])
    for url, name in sitemap.volunteer_pages(world):
        problems += check_page(page, url, f"layout-{text}-{width}-{name}", shot)
    sitemap.sign_in_organizer(page, world["admin"])
    for url, name in sitemap.organizer_pages(world):
        problems += check_page(page, url, f"layout-{text}-{width}-{name}", shot)
    assert problems == []
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
