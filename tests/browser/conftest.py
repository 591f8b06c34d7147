"""Browser tests: Playwright driving Debian's Chromium at phone size against a live server.

They skip cleanly where Chromium is absent, unless REQUIRE_BROWSER=1 (CI), where a
missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from volunteer_app import create_app
from volunteer_app.extensions import db

from ..factories import Factory

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def needs_tool(command: str, package: str):
    """Skip where a helper program is missing; in CI (REQUIRE_BROWSER=1) it must be there,
    so the test runs and fails loudly instead of skipping."""
    missing = not shutil.which(command) and not os.environ.get("REQUIRE_BROWSER")
    return pytest.mark.skipif(missing, reason=f"{package} not installed")


def pytest_collection_modifyitems(config, items):
    """Skip browser tests where Debian's Chromium is not installed (a newcomer's machine);
    with REQUIRE_BROWSER=1 (CI) stop the run with an error instead."""
    if shutil.which("chromium"):
        return
    here = Path(__file__).resolve().parent
    browser_items = [i for i in items if here in Path(str(i.fspath)).resolve().parents]
    if not browser_items:
        return
    if os.environ.get("REQUIRE_BROWSER"):
        raise pytest.UsageError("REQUIRE_BROWSER=1 but Debian's chromium is not installed")
    for item in browser_items:
        item.add_marker(pytest.mark.skip(reason="Debian chromium not installed"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Launch Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, playwright):
    """A phone by default (Pixel 7: 412×915, touch), Chinese UI."""
    return {**browser_context_args, **playwright.devices["Pixel 7"], "locale": "zh-CN"}


@dataclass
class Live:
    """A running server and its app, for arranging data directly."""

    app: object
    url: str

    def make(self) -> Factory:
        """Factories bound to the live database (call inside ``with live.app.app_context()``)."""
        return Factory(db)


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Iterator[Live]:
    """The app on a free port, in a thread, with a fresh migrated SQLite database."""
    path = tmp_path_factory.mktemp("live") / "live.sqlite3"
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
            "SECRET_KEY": "browser-test-secret-key-0123456789",
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Live(app=app, url=f"http://127.0.0.1:{server.server_port}")
    server.shutdown()


@pytest.fixture(scope="session")
def base_url(live) -> str:
    """pytest-playwright resolves relative URLs against the live server."""
    return live.url


@pytest.fixture
def shot():
    """Save a screenshot under tests/browser/artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)

    def _shot(page, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
