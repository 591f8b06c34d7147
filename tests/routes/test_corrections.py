"""Corrections (Art. 13): the volunteer asks, an organizer of that station answers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import CheckIn, Correction, CorrectionStatus, HoursOrigin
from volunteer_app.database import utcnow
from volunteer_app.localtime import utc_to_local

from ..conftest import csrf_token
from .test_identity import PIN, sign_in, with_pin


def local(moment) -> str:
    """A datetime-local form value for an aware UTC datetime."""
    return utc_to_local(moment).strftime("%Y-%m-%dT%H:%M")


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def forgot_to_check_out(make):
    """A volunteer (with PIN) who checked in at a 3-hour activity two days ago, never out."""
    volunteer = with_pin(make.volunteer(name="张桂兰", phone="13812341234"))
    activity = make.activity(
        title="交通劝导", starts_at=utcnow().replace(second=0, microsecond=0) - timedelta(days=2)
    )
    record = CheckIn(activity=activity, volunteer=volunteer, checked_in_at=activity.starts_at)
    make.db.session.add(record)
    make.db.session.flush()
    return volunteer, activity, record


def test_volunteer_asks_and_the_stations_organizer_accepts(app, db, client, make, login_as):
    _, activity, record = forgot_to_check_out(make)
    organizer = make.user(unit=activity.unit)
    db.session.commit()
    phone = app.test_client()
    sign_in(phone, "13812341234", PIN)
    assert "申请更正" in phone.get("/me").get_data(as_text=True)
    url = f"/me/records/{record.id}/correction"
    response = post(
        phone,
        url,
        proposed_in=local(activity.starts_at),
        proposed_out=local(activity.ends_at),
        reason="忘记签退，一直服务到活动结束。",
    )
    assert response.status_code == 302
    assert "等待站点处理" in phone.get("/me").get_data(as_text=True)

    login_as(organizer)
    listing = client.get("/manage/corrections").get_data(as_text=True)
    assert "张桂兰" in listing and "忘记签退" in listing
    correction = db.session.scalar(select(Correction))
    page = client.get(f"/manage/corrections/{correction.id}").get_data(as_text=True)
    assert "138****1234" in page and "13812341234" not in page
    response = post(
        client,
        f"/manage/corrections/{correction.id}",
        decision="accept",
        checked_in_at=local(activity.starts_at),
        checked_out_at=local(activity.ends_at + timedelta(minutes=40)),
        reason="已核实",
    )
    assert response.status_code == 302
    record = db.session.get(CheckIn, record.id)
    assert record.minutes == 180 and record.origin == HoursOrigin.ORGANIZER
    assert record.recorded_by_id == organizer.id
    correction = db.session.get(Correction, correction.id)
    assert correction.status == CorrectionStatus.ACCEPTED and correction.new_minutes == 180
    actions = [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["correction.request", "correction.accept"]
    accepted = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "correction.accept"))
    assert accepted.actor_user_id == organizer.id and accepted.old_value["minutes"] == 0
    mine = phone.get("/me").get_data(as_text=True)
    assert "已采纳：0 小时 → 3 小时" in mine and "已核实" in mine and "组织者录入" in mine
    # Answered once: a second answer is refused.
    again = post(client, f"/manage/corrections/{correction.id}", decision="decline", reason="x")
    assert again.status_code == 409 and db.session.get(Correction, correction.id).status == (
        CorrectionStatus.ACCEPTED
    )


def test_decline_needs_a_reason_the_volunteer_then_reads(app, db, client, make, login_as):
    _, activity, record = forgot_to_check_out(make)
    organizer = make.user(unit=activity.unit)
    db.session.commit()
    phone = app.test_client()
    sign_in(phone, "13812341234", PIN)
    post(phone, f"/me/records/{record.id}/correction", reason="我待到了最后")
    correction_id = db.session.scalar(select(Correction.id))
    login_as(organizer)
    url = f"/manage/corrections/{correction_id}"
    response = post(client, url, decision="decline", reason="")
    assert response.status_code == 400 and "请填写原因" in response.get_data(as_text=True)
    assert (
        post(client, url, decision="decline", reason="签到表显示您 9 点离开。").status_code == 302
    )
    assert db.session.get(CheckIn, record.id).minutes == 0
    mine = phone.get("/me").get_data(as_text=True)
    assert "未采纳" in mine and "签到表显示您 9 点离开。" in mine
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "correction.decline"))
    assert (
        entry.actor_user_id == organizer.id
        and entry.personal_value("reason") == "签到表显示您 9 点离开。"
    )


def test_organizers_of_other_stations_neither_see_nor_answer(app, db, client, make, login_as):
    _, _, record = forgot_to_check_out(make)
    stranger = make.user()
    db.session.commit()
    phone = app.test_client()
    sign_in(phone, "13812341234", PIN)
    post(phone, f"/me/records/{record.id}/correction", reason="忘记签退")
    correction_id = db.session.scalar(select(Correction.id))
    login_as(stranger)
    assert "张桂兰" not in client.get("/manage/corrections").get_data(as_text=True)
    assert client.get(f"/manage/corrections/{correction_id}").status_code == 404
    token = csrf_token(client, "/manage/corrections")
    response = client.post(
        f"/manage/corrections/{correction_id}",
        data={"csrf_token": token, "decision": "decline", "reason": "no"},
    )
    assert response.status_code == 404
    assert db.session.get(Correction, correction_id).status == CorrectionStatus.OPEN


def test_volunteer_requests_are_checked(app, db, client, make):
    _, activity, record = forgot_to_check_out(make)
    other = make.volunteer(phone="13912341234")
    others_record = CheckIn(activity=activity, volunteer=other, checked_in_at=activity.starts_at)
    db.session.add(others_record)
    db.session.commit()
    sign_in(client, "13812341234", PIN)
    assert client.get(f"/me/records/{others_record.id}/correction").status_code == 404
    url = f"/me/records/{record.id}/correction"
    assert post(client, url, reason="").status_code == 400
    backwards = post(
        client,
        url,
        proposed_in=local(activity.ends_at),
        proposed_out=local(activity.starts_at),
        reason="时间",
    )
    assert backwards.status_code == 400 and "签退时间必须晚于签到时间" in backwards.get_data(
        as_text=True
    )
    assert post(client, url, reason="忘记签退").status_code == 302
    twice = post(client, url, reason="再次申请")
    assert twice.status_code == 409 and "已申请更正" in twice.get_data(as_text=True)


def test_apply_correction_uses_the_hours_rule(app, db, make):
    _, activity, record = forgot_to_check_out(make)
    organizer = make.user(unit=activity.unit)
    checkins.apply_correction(
        record,
        checked_in_at=activity.starts_at - timedelta(minutes=30),  # early: not counted
        checked_out_at=activity.starts_at + timedelta(minutes=100),  # rounds down to 90
        organizer_id=organizer.id,
        now=utcnow(),
        reason="test",
    )
    assert record.minutes == 90 and record.origin == HoursOrigin.ORGANIZER


def test_accepted_correction_clears_the_review_flag(db, make):
    from datetime import timedelta

    from volunteer_app.checkins import services as checkins
    from volunteer_app.database import utcnow

    activity = make.activity(starts_at=(utcnow() - timedelta(hours=4)).replace(microsecond=0))
    organizer = make.user(unit=activity.unit)
    record = checkins.check_in(activity, make.volunteer(), now=activity.starts_at)
    record.needs_review = True
    db.session.flush()
    checkins.apply_correction(
        record,
        checked_in_at=activity.starts_at,
        checked_out_at=activity.starts_at + timedelta(hours=2),
        organizer_id=organizer.id,
        now=utcnow(),
        reason="忘记签退",
    )
    assert record.needs_review is False and record.minutes == 120
