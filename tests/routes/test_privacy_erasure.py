"""A PIPL deletion really deletes: after it, no table holds the person's name, number or the
free texts typed about them, while the append-only audit log keeps every entry."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from volunteer_app.activities import signups
from volunteer_app.audit.models import AuditEntry, AuditPersonal
from volunteer_app.auth import lockout
from volunteer_app.checkins import corrections, review, voids
from volunteer_app.checkins.models import CheckIn, Correction
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.localtime import utc_to_local
from volunteer_app.volunteers import certificates, identity, privacy
from volunteer_app.volunteers.models import Device, Volunteer

from ..conftest import csrf_token
from .test_identity import PIN, scan_new_device, sign_in, with_pin
from .test_my_page import served

SHARED_PHONE = "13812341234"  # 孙丽娟 and 周建国's phone: it stays with him
OWN_PHONE = "13912345678"  # 钱秀英's alone: it goes with her
OWN_PIN = "8264"
TYPED = {
    "her correction": "那天一直在帮忙搬桌子到十一点",
    "organizer's acceptance": "签到表上有记录，同意更正",
    "her other correction": "我下午三点才离开，请核对",
    "organizer's refusal": "监控显示两点离开，不予更正",
    "add-hours reason": "腿脚不便没有手机，由队长登记",
    "adjustment reason": "帮忙收拾场地，晚走半小时",
    "void reason": "扫错了活动的码，本人并未到场",
}


def every_value(db) -> list[tuple[str, str]]:
    """(table, value as text) of every value of every row of every table; JSON spelled out."""
    db.session.commit()
    found = []
    for table in db.metadata.sorted_tables:
        for row in db.session.execute(select(table)).all():
            for value in row:
                if value is None:
                    continue
                if isinstance(value, dict | list):
                    text = json.dumps(value, ensure_ascii=False, default=str)
                else:
                    text = str(value)
                found.append((table.name, text))
    return found


def tables_holding(values: list[tuple[str, str]], needle: str) -> set[str]:
    return {table for table, text in values if needle in text}


def test_after_a_deletion_no_table_holds_the_person(app, db, client, make, login_as):
    now = utcnow().replace(microsecond=0)
    station = make.unit(name="万福社区新时代文明实践站")
    organizer = make.user(unit=station)
    running = make.activity(station, title="义诊")
    ended = make.activity(station, title="交通劝导", starts_at=now - timedelta(hours=4))
    past = make.activity(station, title="植树", starts_at=now - timedelta(days=3))
    coming = make.activity(station, title="重阳敬老", starts_at=now + timedelta(days=5))
    db.session.commit()

    # 孙丽娟: registered at the desk as a walk-in; her husband later shares her phone.
    login_as(organizer)
    desk = f"/activities/{running.id}/checkin"
    token = csrf_token(client, desk)
    data = {"csrf_token": token, "name": "孙丽娟", "phone": SHARED_PHONE, "consent": "y"}
    walk_in = client.post(f"/activities/{running.id}/walk-in", data=data)
    assert walk_in.status_code == 302
    sun = db.session.scalar(select(Volunteer).where(Volunteer.name == "孙丽娟"))
    zhou = with_pin(make.volunteer("周建国", phone=SHARED_PHONE))
    # Her own check-in on her phone (the API's self-scan), remembering the device.
    body = {
        "token": issue_token(app.config["SECRET_KEY"], running.checkin_key),
        "phone": SHARED_PHONE,
        "pin": PIN,
        "volunteer_id": sun.id,
        "remember": True,
    }
    assert app.test_client().post("/api/v1/checkin", json=body).status_code == 201
    # A correction of her confirmed record, accepted with the organizer's words.
    record = served(make, sun, past, 60)
    asked = corrections.request_correction(
        sun, record, proposed_in_at=None, proposed_out_at=past.ends_at,
        reason=TYPED["her correction"], now=now,
    )  # fmt: skip
    corrections.accept(
        asked, organizer, checked_in_at=past.starts_at, checked_out_at=past.ends_at,
        reason=TYPED["organizer's acceptance"], now=now,
    )  # fmt: skip
    review.confirm_hours(past, organizer, now=now)  # the corrected hours, confirmed again
    today = utc_to_local(now).date()
    certificates.issue(sun, start=today - timedelta(days=30), end=today, now=now)
    signups.sign_up(coming, sun, now=now)
    db.session.commit()
    # The organizer's adjustment of her record at the ended activity, with a reason.
    mine = CheckIn(activity=ended, volunteer=sun, checked_in_at=ended.starts_at)
    db.session.add(mine)
    db.session.commit()
    page = f"/activities/{ended.id}"
    token = csrf_token(client, page)
    assert client.post(f"{page}/close-checkins", data={"csrf_token": token}).status_code == 302
    adjust = f"{page}/checkins/{mine.id}/adjust"
    data = {"csrf_token": token, "hours": "2.5", "reason": TYPED["adjustment reason"]}
    assert client.post(adjust, data=data).status_code == 302

    # 钱秀英: registered herself on the scan page, alone on her own phone.
    hers = app.test_client()
    response = scan_new_device(
        hers, app, running, name="钱秀英", phone=OWN_PHONE, consent="y", pin=OWN_PIN
    )
    assert response.status_code == 200
    qian = db.session.scalar(select(Volunteer).where(Volunteer.name == "钱秀英"))
    assert sign_in(app.test_client(), OWN_PHONE, "0000").status_code == 401  # a throttle row
    stranger = app.test_client()
    login_page = csrf_token(stranger, "/login")
    stranger.post("/login", data={"csrf_token": login_page, "username": OWN_PHONE, "password": "x"})
    url = f"{page}/volunteers/{qian.id}/add-hours"
    data = {"csrf_token": token, "hours": "2", "reason": TYPED["add-hours reason"]}
    assert client.post(url, data=data).status_code == 302
    record = served(make, qian, past, 120)
    asked = corrections.request_correction(
        qian, record, proposed_in_at=None, proposed_out_at=past.ends_at,
        reason=TYPED["her other correction"], now=now,
    )  # fmt: skip
    corrections.decline(asked, organizer, reason=TYPED["organizer's refusal"], now=now)
    certificates.issue(qian, start=today - timedelta(days=30), end=today, now=now)
    signups.sign_up(coming, qian, now=now)
    # Her scan at the running activity was a mistake: voided, with a reason about her.
    scanned = db.session.scalar(
        select(CheckIn).where(CheckIn.volunteer_id == qian.id, CheckIn.activity_id == running.id)
    )
    voids.void_record(scanned, organizer, reason=TYPED["void reason"], now=now)
    db.session.commit()

    # Before: everything is there to find, so the search below can fail.
    secrets = {"孙丽娟", "钱秀英", OWN_PHONE, *TYPED.values()}
    keys = {identity._throttle_key(OWN_PHONE), lockout.throttle_key(OWN_PHONE)}
    before = every_value(db)
    for needle in secrets | keys:
        assert tables_holding(before, needle), needle
    assert tables_holding(before, "孙丽娟") >= {"volunteers", "certificates", "audit_personal"}
    assert tables_holding(before, TYPED["her correction"]) == {"corrections", "audit_personal"}
    entries = db.session.scalar(select(func.count()).select_from(AuditEntry))

    # Both delete their accounts: 孙丽娟 through the service, 钱秀英 on her own phone.
    privacy.delete_account(db.session.get(Volunteer, sun.id), confirmed=True, pin=PIN, now=now)
    db.session.commit()
    token = csrf_token(hers, "/me/delete")
    response = hers.post("/me/delete", data={"csrf_token": token, "pin": OWN_PIN, "confirm": "y"})
    assert response.status_code == 302

    after = every_value(db)
    for needle in secrets | keys:
        assert not tables_holding(after, needle), (needle, tables_holding(after, needle))
    # The shared phone stays with the person still using it, and so do its devices.
    assert tables_holding(after, SHARED_PHONE) == {"households"}
    assert tables_holding(after, "周建国") == {"volunteers"}
    devices = db.session.scalars(select(Device)).all()
    assert [d.volunteer_id for d in devices] == [zhou.id]
    # The audit log kept every entry; only the personal values are gone, and say when.
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == entries + 2
    erased = db.session.scalars(select(AuditPersonal)).all()
    assert erased and all(p.data is None and p.erased_at is not None for p in erased)
    assert {p.volunteer_id for p in erased} == {sun.id, qian.id}
    answers = {(c.reason, c.decision_reason) for c in db.session.scalars(select(Correction))}
    assert answers == {("", "")}
    # The hours stay with the stations.
    every_record = select(func.count()).select_from(CheckIn).execution_options(include_voided=True)
    assert db.session.scalar(every_record) == 6

    # Pages that show the log say the text is gone.
    html = client.get(page).get_data(as_text=True)
    assert "原因：已注销" in html and TYPED["adjustment reason"] not in html
    assert "已注销志愿者" in html
    listing = client.get("/manage/corrections").get_data(as_text=True)
    assert "已注销志愿者" in listing and not any(text in listing for text in TYPED.values())


def test_an_erased_walk_in_entry_reads_as_erased(db, make):
    """The accessor the pages use: the text while it is kept, None once erased."""
    from volunteer_app.audit import services as audit

    volunteer = make.volunteer("赵秀兰")
    entry = audit.record(
        "volunteer.walk_in", now=utcnow(), volunteer_id=volunteer.id, personal={"name": "赵秀兰"}
    )
    other = audit.record("hours.confirm", now=utcnow(), volunteer_id=volunteer.id)
    db.session.commit()
    assert entry.personal_value("name") == "赵秀兰" and other.personal_value("name") == ""
    assert audit.erase_personal(volunteer.id, now=utcnow()) == 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(AuditEntry, entry.id).personal_value("name") is None
