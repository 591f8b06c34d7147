"""The organizer's scanner without network: typed card codes are saved on the phone with
their scan time, the page itself opens offline, and everything is uploaded exactly once
when the network returns (also when an upload is repeated); refusals are listed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from volunteer_app.activities.models import Activity
from volunteer_app.checkins.models import CheckIn
from volunteer_app.extensions import db
from volunteer_app.volunteers.cards import issue_card

from ..factories import Factory
from .test_accessibility import axe_violations
from .test_checkin_journey import _phone, login

pytestmark = pytest.mark.browser

#: Put one scan into the page's IndexedDB queue, as the page does when offline.
PLANT = """async ([url, code, action, scannedAt]) => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open("scanner", 1);
    r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction("scans", "readwrite");
    tx.objectStore("scans").put({id: crypto.randomUUID(), url, code, action, scannedAt,
                                 state: "queued"});
    tx.oncomplete = resolve; tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""


@pytest.fixture
def arranged(live):
    """An organizer, their running activity and three volunteers with cards."""
    with live.app.app_context():
        make = Factory(db)
        activity = make.activity(title="重阳节敬老助老服务")
        organizer = make.user(unit=activity.unit)
        people = [
            make.volunteer(n, registered_unit_id=activity.unit_id)
            for n in ("周淑珍", "吴国强", "郑秀兰")
        ]
        db.session.commit()
        secret = live.app.config["SECRET_KEY"]
        return {
            "activity": activity.id,
            "starts_at": activity.starts_at,
            "username": organizer.username,
            "ids": [v.id for v in people],
            "cards": [issue_card(secret, v.card_key) for v in people],
        }


def records(live, activity_id: int) -> dict[int, CheckIn]:
    with live.app.app_context():
        rows = db.session.scalars(select(CheckIn).where(CheckIn.activity_id == activity_id))
        return {r.volunteer_id: r for r in rows}


def type_code(page, code: str) -> None:
    page.get_by_label("志愿者卡号").fill(code)
    page.get_by_role("button", name="签到 / 签退").tap()


def test_scans_queue_offline_and_sync_once(browser, live, arranged, shot):
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    login(page, arranged["username"])
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    url = f"/activities/{arranged['activity']}/scanner"
    page.goto(url)
    page.wait_for_function(f"caches.open('pages-v1').then(c => c.match('{url}')).then(Boolean)")
    zhou, wu, zheng = arranged["cards"]

    context.set_offline(True)
    try:
        queue = page.locator("#scanner-queue li")
        type_code(page, zhou)
        expect(page.locator("#scanner-result")).to_contain_text("扫码已保存在本机")
        # the second scan of a card this phone saw checking in is a check-out
        for n, code in enumerate([wu, zhou, "c999999.forged"], start=2):
            type_code(page, code)
            expect(queue).to_have_count(n)
        local = (arranged["starts_at"] + timedelta(hours=8)).strftime("%H")
        expect(queue.nth(0)).to_contain_text(" · 签到 · 卡号 2c")
        assert int(queue.nth(0).inner_text()[:2]) in {(int(local) + k) % 24 for k in range(2)}
        expect(queue.nth(2)).to_contain_text("签退")
        # The page itself opens without network, with the queue kept on the phone.
        page.reload()
        expect(page.get_by_role("heading", name="扫描志愿者卡")).to_be_visible()
        expect(page.locator("#scanner-queue li")).to_have_count(4)
        expect(page.locator("#offline-banner")).to_contain_text("扫码会保存在本机")
        shot(page, "scanner-offline-queue")
        assert axe_violations(page) == []
        assert records(live, arranged["activity"]) == {}
    finally:
        context.set_offline(False)

    expect(page.locator("#queue-card")).to_be_hidden(timeout=15000)
    expect(page.locator("#scanner-uploaded li")).to_have_count(3)
    expect(page.locator("#scanner-conflicts li")).to_have_count(1)
    expect(page.locator("#scanner-conflicts li")).to_contain_text("这不是有效的志愿者证二维码")
    shot(page, "scanner-synced")
    assert axe_violations(page) == []
    found = records(live, arranged["activity"])
    ids = arranged["ids"]
    assert set(found) == {ids[0], ids[1]}
    assert found[ids[0]].checked_out_at is not None and found[ids[1]].checked_out_at is None
    first_out = found[ids[0]].checked_out_at

    # Uploaded again (the answer to the first upload was lost): still one record each.
    # A scan with an earlier device time is recorded at that time.
    earlier = arranged["starts_at"] + timedelta(minutes=1)
    stamp = earlier.isoformat().replace("+00:00", "Z")
    for code, action in [(zhou, "check_in"), (zhou, "check_out"), (zheng, "check_in")]:
        page.evaluate(PLANT, [url, code, action, stamp])
    page.reload()  # the page uploads what is queued when it opens
    expect(page.locator("#scanner-uploaded li")).to_have_count(3)
    expect(page.locator("#scanner-uploaded li").filter(has_text="已记录")).to_have_count(2)
    found = records(live, arranged["activity"])
    assert set(found) == {ids[0], ids[1], ids[2]}
    assert found[ids[0]].checked_out_at == first_out
    assert found[ids[2]].checked_in_at == earlier
    with live.app.app_context():
        assert db.session.get(Activity, arranged["activity"]) is not None

    page.get_by_role("button", name="清空此列表").tap()
    expect(page.locator("#conflicts-card")).to_be_hidden()
    context.close()
