"""A large volunteer import on a phone: the organizer checks the file, confirms it, watches
the progress bar and the counts fill without reloading, and reads what was added (a real
huey consumer, in threads)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from volunteer_app.extensions import db
from volunteer_app.jobs import queue

from ..factories import Factory
from ..routes.test_volunteer_import import HEADER, xlsx
from .sitemap import sign_in_organizer

pytestmark = pytest.mark.browser

PEOPLE = 12


@pytest.fixture
def slow_queue(live, tmp_path):
    """The live app with a low import threshold, small slowed chunks, and a consumer."""
    keys = (
        "JOBS_IMMEDIATE",
        "JOBS_QUEUE_FILE",
        "JOB_RESULT_DIR",
        "IMPORT_PENDING_DIR",
        "IMPORT_JOB_THRESHOLD",
        "JOB_CHUNK_ROWS",
        "JOB_CHUNK_DELAY_SECONDS",
    )
    saved = {key: live.app.config.get(key) for key in keys}
    live.app.config.update(
        {
            "JOBS_IMMEDIATE": False,
            "JOBS_QUEUE_FILE": str(tmp_path / "queue.db"),
            "JOB_RESULT_DIR": str(tmp_path / "results"),
            "IMPORT_PENDING_DIR": str(tmp_path / "imports"),
            "IMPORT_JOB_THRESHOLD": 5,
            "JOB_CHUNK_ROWS": 2,
            "JOB_CHUNK_DELAY_SECONDS": 0.6,  # the test hook: progress slow enough to watch
        }
    )
    queue.init_app(live.app)
    consumer = queue.huey.create_consumer(workers=1, worker_type="thread", periodic=False)
    consumer.start()
    yield
    consumer.stop(graceful=True)
    live.app.config.update(saved)
    queue.init_app(live.app)


def test_watch_a_large_import_fill_its_bar_and_its_counts(browser, live, slow_queue, shot):
    with live.app.app_context():
        make = Factory(db)
        station = make.unit("长跑社区站")
        username = make.user(unit=station).username
        db.session.commit()
    rows = [[f"跑者{i:02d}", f"1371234{i:04d}", "长跑社区站"] for i in range(PEOPLE)]
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live.url,
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in_organizer(page, username)
    page.goto("/volunteers/import")
    page.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "people.xlsx",
                "mimeType": "application/octet-stream",
                "buffer": xlsx([HEADER, *rows]),
            }
        ]
    )
    page.get_by_role("button", name="检查文件").tap()
    page.locator("input[type=checkbox]").check()
    page.get_by_role("button", name="确认导入").tap()
    bar = page.get_by_role("progressbar", name="进度")
    expect(bar).to_be_visible()
    first_url = page.url
    seen, people = [], []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen.append(int(bar.get_attribute("value") or 0))
        people.append(int(page.locator("#job-summary-new_people").inner_text()))
        if seen[-1] == 100 and page.locator("#job-status").inner_text() == "已导入":
            break
        time.sleep(0.3)
    assert page.url == first_url  # no reload: the page polled its JSON
    assert [v for v in seen if 0 < v < 100], seen
    assert [n for n in people if 0 < n < PEOPLE], people  # the counts grew as it went
    assert seen == sorted(seen) and people == sorted(people)
    expect(page.locator("#job-summary-new_people")).to_have_text(str(PEOPLE))
    shot(page, "import-job-done")
    again = page.get_by_role("link", name="导入其他文件")
    expect(again).to_be_visible()
    assert again.bounding_box()["height"] >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.get_by_role("button", name="取消此次导入")).to_be_hidden()
    assert not errors
    context.close()
