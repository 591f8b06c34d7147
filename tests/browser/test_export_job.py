"""A large export on a phone: the organizer starts it, watches its progress bar fill without
reloading, and downloads the file when it is ready (a real huey consumer, in threads)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from volunteer_app.extensions import db
from volunteer_app.jobs import queue

from ..factories import Factory
from ..jobs.helpers import ROWS, build
from .sitemap import sign_in_organizer

pytestmark = pytest.mark.browser


@pytest.fixture
def slow_queue(live, tmp_path):
    """The live app with a low threshold, small slowed chunks, and a consumer running."""
    saved = {k: live.app.config.get(k) for k in ("JOBS_IMMEDIATE", "JOBS_QUEUE_FILE")}
    live.app.config.update(
        {
            "JOBS_IMMEDIATE": False,
            "JOBS_QUEUE_FILE": str(tmp_path / "queue.db"),
            "JOB_RESULT_DIR": str(tmp_path / "results"),
            "EXPORT_JOB_THRESHOLD": 5,
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
    live.app.config.update({"EXPORT_JOB_THRESHOLD": 20_000, "JOB_CHUNK_DELAY_SECONDS": 0.0})
    queue.init_app(live.app)


def test_watch_a_large_export_fill_its_bar_and_download_it(browser, live, slow_queue, shot):
    with live.app.app_context():
        world = build(Factory(db), db)
        username, url = world.user.username, world.attendance
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live.url,
        accept_downloads=True,
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in_organizer(page, username)
    page.goto(url)
    expect(page.get_by_text(f"此导出共 {ROWS} 行")).to_be_visible()
    page.get_by_role("button", name="准备文件").tap()
    bar = page.get_by_role("progressbar", name="进度")
    expect(bar).to_be_visible()
    first_url = page.url
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        seen.append(int(bar.get_attribute("value") or 0))
        if seen[-1] == 100:
            break
        time.sleep(0.3)
    assert page.url == first_url  # no reload: the page polled its JSON
    partial = [v for v in seen if 0 < v < 100]
    assert partial, seen
    assert seen == sorted(seen)
    shot(page, "export-job-progress")
    link = page.get_by_role("link", name="下载文件")
    expect(link).to_be_visible()
    expect(page.locator("#job-status")).to_have_text("可以下载")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = link.bounding_box()
    assert box["height"] >= 44
    with page.expect_download() as info:
        link.tap()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(rows) == ROWS + 1 and rows[0][0] == "姓名"
    page.goto("/jobs")
    expect(page.get_by_text("可以下载")).to_be_visible()
    assert not errors
    context.close()
