"""axe-core on every page a person reaches: zero WCAG 2.1 A/AA violations, at phone size."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from . import sitemap

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


@pytest.fixture(scope="module")
def world(live):
    """Data behind every page (see sitemap.arrange)."""
    return sitemap.arrange(live)


def check_all(page, pages, suffix: str = "") -> None:
    """Open each page and collect every violation, so one run shows them all."""
    found = {}
    for url, _name in pages:
        page.goto(url + suffix)
        violations = axe_violations(page)
        if violations:
            found[url] = violations
    assert found == {}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_public_pages_have_no_violations(page, world, lang):
    check_all(page, sitemap.public_pages(world), f"?lang={lang}")


def test_volunteer_pages_have_no_violations(page, world):
    sitemap.sign_in_volunteer(page, world["phone"])
    check_all(page, sitemap.volunteer_pages(world))


def test_first_check_in_pages_have_no_violations(page, world):
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


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_organizer_pages_have_no_violations(page, world, lang):
    sitemap.sign_in_organizer(page, world["admin"])
    check_all(page, sitemap.organizer_pages(world), f"?lang={lang}")
