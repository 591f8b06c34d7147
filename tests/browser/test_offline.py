"""The app shell loads offline with a clear notice; check-in itself stays online-only."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_offline_shell_after_first_visit(context, page, live, shot):
    page.goto("/")
    page.wait_for_function(
        "navigator.serviceWorker && navigator.serviceWorker.controller !== null"
        " || new Promise(r => navigator.serviceWorker.ready.then(() => r(true)))"
    )
    page.reload()  # now controlled by the service worker
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    context.set_offline(True)
    try:
        page.goto("/login")
        expect(page.get_by_role("heading", name="没有网络")).to_be_visible()
        expect(page.locator("#offline-banner")).to_be_visible()
        shot(page, "offline-shell")
    finally:
        context.set_offline(False)
