"""The organizer's manual check-in page without network: it opens from the phone, searches
the roster it downloaded (a Chinese name, the last 4 digits), queues ticked volunteers with
the time they were ticked and says how many wait; walk-ins wait for the network without
losing what was typed; everything is uploaded exactly once when the network returns."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from volunteer_app.activities.models import Signup
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.volunteers.models import Volunteer

from ..factories import Factory
from .test_accessibility import axe_violations
from .test_checkin_journey import _phone, login

pytestmark = pytest.mark.browser

#: Put one record into the page's IndexedDB queue, as the page does when offline.
PLANT = """async (record) => {
  const db = await new Promise((resolve, reject) => {
    const r = indexedDB.open("scanner", 1);
    r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error);
  });
  await new Promise((resolve, reject) => {
    const tx = db.transaction("scans", "readwrite");
    tx.objectStore("scans").put({...record, id: crypto.randomUUID(), state: "queued"});
    tx.oncomplete = resolve; tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""


@pytest.fixture
def arranged(live):
    """A running activity of a station: one volunteer signed up, one already here, one who
    served at the station last week, and one registered there whom it has never seen (all
    the station's: its organizer may find and record them)."""
    with live.app.app_context():
        make = Factory(db)
        station = make.unit(name="桂陵社区新时代文明实践站")
        activity = make.activity(station, title="重阳节敬老助老服务")
        last_week = make.activity(station, starts_at=activity.starts_at - timedelta(days=7))
        organizer = make.user(unit=station)
        signed = make.volunteer("欧阳秀英", phone="13812346601")
        here = make.volunteer("张建国", phone="13812346602")
        regular = make.volunteer("李桂兰", phone="13812346603", registered_unit_id=station.id)
        stranger = make.volunteer("王陌生", phone="13812346604", registered_unit_id=station.id)
        db.session.add(Signup(activity_id=activity.id, volunteer_id=signed.id))
        checkins.check_in(activity, here, now=activity.starts_at)
        db.session.add(
            CheckIn(activity=last_week, volunteer=regular, checked_in_at=last_week.starts_at)
        )
        db.session.commit()
        return {
            "activity": activity.id,
            "username": organizer.username,
            "signed": signed.id,
            "here": here.id,
            "regular": regular.id,
            "stranger": stranger.id,
        }


def records(live, activity_id: int) -> dict[int, CheckIn]:
    with live.app.app_context():
        rows = db.session.scalars(select(CheckIn).where(CheckIn.activity_id == activity_id))
        return {r.volunteer_id: r for r in rows}


def count(live, activity_id: int) -> int:
    with live.app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(CheckIn).where(CheckIn.activity_id == activity_id)
        )


def search(page, text: str) -> None:
    page.get_by_label("姓名或手机号").fill(text)
    page.get_by_role("button", name="查找").tap()


def test_manual_checkin_offline_then_synced_once(browser, live, arranged, shot):
    context = browser.new_context(**_phone(browser, live))
    page = context.new_page()
    login(page, arranged["username"])
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)")
    url = f"/activities/{arranged['activity']}/checkin"
    roster = f"{url}/roster.json"
    page.goto(url)
    page.wait_for_function(
        f"caches.open('pages-v1').then(c => Promise.all([c.match('{url}'), c.match('{roster}')]))"
        ".then(([p, r]) => Boolean(p && r))"
    )
    expect(page.locator("#roster-status")).to_contain_text("本机保存了 3 名志愿者")
    queue = page.locator("#checkin-queue li")

    context.set_offline(True)
    try:
        # The page itself opens without network, from the phone.
        page.reload()
        expect(page.get_by_role("heading", name="代签到", exact=True)).to_be_visible()
        expect(page.locator("#offline-banner")).to_contain_text("只能查找本机保存的志愿者")

        # A Chinese name: found in the roster, with the masked number only.
        search(page, "秀英")
        expect(page.get_by_role("group", name=re.compile("本机名单"))).to_be_visible()
        expect(page.locator("#local-results")).to_contain_text("138****6601")
        assert "13812346601" not in page.content()
        before_tick = utcnow()
        page.get_by_label(re.compile("欧阳秀英")).check()
        page.wait_for_timeout(1200)  # the tick's time, not the button's, is what is recorded
        page.get_by_role("button", name="为所选签到").tap()
        expect(queue).to_have_count(1)
        expect(page.locator("#queue-count")).to_have_text("1 条待上传")
        expect(page.locator("#checkin-result")).to_contain_text("已保存在本机（1 条）")
        expect(page.locator("#local-results .tag")).to_contain_text("已签到 · 待上传")

        # The last 4 digits find the station's regular; the stranger is only found online.
        search(page, "6603")
        page.get_by_label(re.compile("李桂兰")).check()
        page.get_by_role("button", name="为所选签到").tap()
        search(page, "王陌生")
        expect(page.locator("#local-results")).to_contain_text("本机名单中没有找到")

        # Who was here when the page was kept leaves: "Check out ticked" in "Here now".
        here_now = page.get_by_role("region", name="在场人员")
        here_now.get_by_label(re.compile("张建国")).check()
        here_now.get_by_role("button", name="为所选签退").tap()
        expect(queue).to_have_count(3)
        expect(page.locator("#offline-banner")).to_contain_text("3 条待上传")

        # A walk-in needs the network: held, with what was typed.
        page.get_by_label("姓名", exact=True).fill("赵新来")
        page.get_by_label("手机号", exact=True).fill("13912346699")
        page.get_by_label(re.compile("志愿者本人同意")).check()
        page.get_by_role("button", name="登记").tap()
        expect(page.get_by_text("现场登记需要网络")).to_be_visible()
        expect(page.get_by_label("姓名", exact=True)).to_have_value("赵新来")

        # Opened again offline: the queue and the typed walk-in are still there.
        page.reload()
        expect(queue).to_have_count(3)
        expect(page.locator("#queue-count")).to_have_text("3 条待上传")
        expect(page.get_by_label("姓名", exact=True)).to_have_value("赵新来")
        expect(queue.nth(0)).to_contain_text("签到 · 欧阳秀英 138****6601")
        shot(page, "manual-checkin-offline-queue")
        assert axe_violations(page) == []
        assert count(live, arranged["activity"]) == 1  # only 张建国, from before
        offline_until = utcnow()
    finally:
        context.set_offline(False)

    expect(page.locator("#queue-card")).to_be_hidden(timeout=15000)
    expect(page.locator("#checkin-uploaded li")).to_have_count(3)
    expect(page.locator("#conflicts-card")).to_be_hidden()
    # What the page shows of who is here follows the upload.
    here_now = page.get_by_role("region", name="在场人员")
    expect(here_now.get_by_label(re.compile("张建国"))).to_have_count(0)
    expect(here_now.get_by_label(re.compile("李桂兰"))).to_be_visible()
    shot(page, "manual-checkin-synced")
    assert axe_violations(page) == []
    found = records(live, arranged["activity"])
    ids = arranged
    assert set(found) == {ids["signed"], ids["here"], ids["regular"]}
    ticked_at = found[ids["signed"]].checked_in_at
    assert before_tick <= ticked_at <= offline_until  # the time of the tick, not the upload
    assert found[ids["regular"]].checked_out_at is None
    assert found[ids["here"]].checked_out_at is not None
    assert found[ids["here"]].checked_out_at <= offline_until
    with live.app.app_context():  # the walk-in typed offline was not registered
        walk_in = select(Volunteer).where(Volunteer.phone == "13912346699")
        assert db.session.scalar(walk_in) is None

    # Uploaded again (the answer to the first upload was lost): still one record each;
    # a check-out for someone who never checked in is refused and listed.
    stamp = ticked_at.isoformat().replace("+00:00", "Z")
    for volunteer, action in [
        (ids["signed"], "check_in"),
        (ids["here"], "check_out"),
        (ids["stranger"], "check_out"),
    ]:
        page.evaluate(
            PLANT,
            {
                "url": url,
                "action": action,
                "scannedAt": stamp,
                "volunteerId": volunteer,
                "name": "某某",
                "phone": "138****0000",
            },
        )
    page.reload()  # the page uploads what is queued when it opens
    expect(page.locator("#checkin-uploaded li").filter(has_text="已记录")).to_have_count(2)
    expect(page.locator("#checkin-conflicts li")).to_have_count(1)
    expect(page.locator("#checkin-conflicts li")).to_contain_text("王陌生")
    assert records(live, arranged["activity"]).keys() == found.keys()
    assert count(live, arranged["activity"]) == 3
    page.get_by_role("button", name="清空此列表").tap()
    expect(page.locator("#conflicts-card")).to_be_hidden()
    context.close()
