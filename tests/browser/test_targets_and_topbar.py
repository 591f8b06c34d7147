"""Phone-size checks of issue 20's rough edges: every tap target is at least 44 × 44 px on
every page of the sitemap, the organizer's top bar is one line with its menu, the danger
button is readable, and long unit names in the report charts are shown whole."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit

from ..factories import Factory
from . import sitemap

pytestmark = pytest.mark.browser

#: What a finger taps: links, buttons, form controls, disclosure summaries, and the labels of
#: check boxes and radio buttons (the box itself is small; its label is the target). Links
#: inside running text are exempt (WCAG 2.5.5: "the target is in a sentence or block of
#: text"): an inline link with words beside it. Off-screen and hidden ones are skipped.
SMALL_TARGETS_JS = r"""() => {
  const bad = [];
  const seen = new Set();
  // In running text: an inline link with words right before or after it on its line.
  const words = n => n && n.nodeType === Node.TEXT_NODE && /[^\s·|›]/.test(n.textContent);
  const inRunningText = el => {
    if (el.tagName !== 'A' || getComputedStyle(el).display !== 'inline') return false;
    return words(el.previousSibling) || words(el.nextSibling);
  };
  const targets = [];
  for (const el of document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary')) {
    if (el.type === 'checkbox' || el.type === 'radio') {
      const label = el.labels && el.labels[0];
      targets.push(label || el);
    } else targets.push(el);
  }
  for (const el of targets) {
    if (seen.has(el)) continue;
    seen.add(el);
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || style.visibility === 'hidden') continue;
    if (r.right <= 0 || r.bottom <= 0 || r.left >= window.innerWidth) continue;
    if (el.closest('[aria-hidden=true]')) continue;
    if (inRunningText(el)) continue;
    if (r.width < 43.5 || r.height < 43.5) {
      const text = (el.innerText || el.value || el.name || '').trim().slice(0, 20);
      const size = `${Math.round(r.width)}x${Math.round(r.height)}`;
      bad.push(`${el.tagName.toLowerCase()}.${el.className} "${text}" ${size}`);
    }
  }
  return bad;
}"""


@pytest.fixture(scope="module")
def world(live):
    """The sitemap's data, a station organizer of its station, an activity that can still be
    cancelled, and a station with a very long name that has confirmed hours."""
    w = sitemap.arrange(live)
    with live.app.app_context():
        make = Factory(db)
        station = db.session.get(Unit, w["station"])
        organizer = make.user(unit=station)
        fresh = make.activity(station, title="植树")
        long_station = make.unit(name=LONG_UNIT, parent=station.parent)
        activity = make.activity(long_station, title="交通劝导")
        volunteer = make.volunteer("张桂兰")
        db.session.add(
            CheckIn(
                activity=activity,
                volunteer=volunteer,
                checked_in_at=activity.starts_at,
                checked_out_at=activity.ends_at,
                minutes=180,
                status=HoursStatus.CONFIRMED,
            )
        )
        db.session.commit()
        w.update(organizer=organizer.username, fresh=fresh.id)
    return w


LONG_UNIT = "吕陵镇青年志愿服务队新时代文明实践站（东片区）第二网格党群服务驿站"


def phone(browser, live, width: int = 390, text: str = "normal"):
    """A touch phone context of the given width, with normal or large text chosen."""
    context = browser.new_context(
        viewport={"width": width, "height": 844},
        base_url=live.url,
        locale="zh-CN",
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto(f"/?text={text}")
    return context, page


def test_every_tap_target_is_44_by_44_on_every_page(browser, live, world):
    """All pages of the sitemap at 390 px: no link, button, control or summary below 44 × 44."""
    context, page = phone(browser, live)
    found = {}

    def walk(pages):
        for url, _name in pages:
            page.goto(url)
            small = page.evaluate(SMALL_TARGETS_JS)
            if small:
                found[url] = small

    walk(sitemap.public_pages(world))
    sitemap.sign_in_volunteer(page, world["phone"])
    walk(sitemap.volunteer_pages(world))
    sitemap.sign_in_organizer(page, world["admin"])
    walk(sitemap.organizer_pages(world))
    page.locator("summary", has_text="菜单").click()  # the open menu's links count too
    menu = page.evaluate(SMALL_TARGETS_JS)
    if menu:
        found["menu"] = menu
    context.close()
    assert found == {}, "\n".join(f"{url}: {small}" for url, small in found.items())


def test_the_check_finds_a_small_link(browser, live, world):
    """The check itself: a lone 30 × 24 link is reported, one inside a sentence is not."""
    context, page = phone(browser, live)
    page.goto("/")
    page.evaluate("""() => {
      const main = document.querySelector('main');
      main.insertAdjacentHTML('beforeend',
        '<p><a href="#x" id="lone">调整</a></p>' +
        '<p>请阅读<a href="#y">隐私说明</a>后再继续填写。</p>');
      const lone = document.getElementById('lone');
      Object.assign(lone.style, {display: 'inline-block', width: '30px', height: '24px'});
    }""")
    small = page.evaluate(SMALL_TARGETS_JS)
    context.close()
    assert any("调整" in s and "30x24" in s for s in small)
    assert not any("隐私说明" in s for s in small)


@pytest.mark.parametrize("width", [320, 390])
@pytest.mark.parametrize("text", ["normal", "large"])
def test_organizer_top_bar_is_one_line_with_a_keyboard_menu(browser, live, world, width, text):
    """At phone widths the bar is one 44–64 px line; Enter opens the menu, Escape closes it."""
    context, page = phone(browser, live, width, text)
    sitemap.sign_in_organizer(page, world["admin"])
    bar = page.locator("header.topbar")
    height = bar.bounding_box()["height"]
    assert 44 <= height <= 64, f"top bar is {height}px high"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    reports = page.get_by_role("link", name="数据统计")
    expect(reports).to_be_hidden()
    summary = page.locator("header summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(reports).to_be_visible()
    assert page.locator("header details").get_attribute("open") is not None
    page.keyboard.press("Escape")
    expect(reports).to_be_hidden()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    summary.tap()
    reports.tap()
    expect(page).to_have_url(re.compile(r"/reports/"))
    context.close()


def test_wide_screen_shows_the_links_without_a_menu_button(browser, live, world):
    """At 1280 px the links sit in the bar, one line, no menu button."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, base_url=live.url, locale="zh-CN"
    )
    page = context.new_page()
    sitemap.sign_in_organizer(page, world["admin"])
    expect(page.get_by_role("link", name="数据统计")).to_be_visible()
    expect(page.locator("header summary")).to_be_hidden()
    assert page.locator("header.topbar").bounding_box()["height"] <= 64
    context.close()


def _luminance(rgb: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", rgb)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_cancel_button_text_is_readable_at_rest_and_pressed(browser, live, world):
    """取消活动 passes axe's colour-contrast, and keeps 4.5:1 when hovered or pressed."""
    from .test_accessibility import axe_violations

    context, page = phone(browser, live)
    sitemap.sign_in_organizer(page, world["organizer"])
    page.goto(f"/activities/{world['fresh']}")
    button = page.get_by_role("button", name="取消活动")
    expect(button).to_be_visible()
    assert axe_violations(page) == []
    colours = "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
    assert _contrast(*button.evaluate(colours)) >= 4.5
    button.hover()
    assert _contrast(*button.evaluate(colours)) >= 4.5
    context.close()


@pytest.mark.parametrize("width", [320, 390])
def test_report_chart_shows_a_long_unit_name_whole(browser, live, world, width):
    """The station ranking's label is the full name, wrapped inside the chart, never '…'."""
    context, page = phone(browser, live, width)
    sitemap.sign_in_organizer(page, world["admin"])
    page.goto("/reports/")
    chart = page.locator("svg.chart").last
    label = chart.locator("text", has_text="吕陵镇青年志愿服务队")
    assert label.text_content() == LONG_UNIT
    assert "…" not in chart.text_content()
    box, svg = label.bounding_box(), chart.bounding_box()
    assert box["x"] >= svg["x"] - 0.5 and box["x"] + box["width"] <= svg["x"] + svg["width"] + 0.5
    size = chart.evaluate(
        "(s, t) => s.getBoundingClientRect().width / s.viewBox.baseVal.width"
        " * parseFloat(s.querySelector('text').getAttribute('font-size'))",
        None,
    )
    assert size >= 12, f"label text is {size}px on the screen"
    context.close()
