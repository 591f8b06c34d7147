"""The manual check-in page offline: the roster it downloads (scoped, phones masked) and the
ticks it queued, uploaded one volunteer per record (idempotent, time checked, refusals)."""

import json
from datetime import timedelta

from sqlalchemy import func, select

from volunteer_app.activities.models import ActivityStatus, Signup
from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins import organizer
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.database import utcnow

from ..conftest import csrf_token

JSON = {"Accept": "application/json"}


def _roster_url(activity) -> str:
    return f"/activities/{activity.id}/checkin/roster.json"


def test_roster_holds_signed_up_checked_in_and_past_volunteers(db, make):
    station = make.unit(name="桂陵社区新时代文明实践站")
    activity = make.activity(station)
    earlier = make.activity(station, starts_at=activity.starts_at - timedelta(days=7))
    elsewhere = make.activity(starts_at=activity.starts_at - timedelta(days=7))
    signed = make.volunteer("欧阳秀英", phone="13812341234")
    cancelled = make.volunteer("取消报名", phone="13812345555")
    here = make.volunteer("张建国", phone="13900005678")
    left = make.volunteer("王芳", phone="13700009999")
    served = make.volunteer("李大爷", phone="13600001111", registered_unit_id=station.id)
    stranger = make.volunteer("别处的人", phone="13500002222")
    attached = make.volunteer("被别人代签", phone="13300004444")  # not ours: not in the roster
    gone = make.volunteer("已注销", phone="13400003333", registered_unit_id=station.id)
    now = activity.starts_at
    db.session.add_all(
        [
            Signup(activity_id=activity.id, volunteer_id=signed.id, created_at=now),
            Signup(
                activity_id=activity.id, volunteer_id=cancelled.id, created_at=now, cancelled_at=now
            ),
        ]
    )
    checkins.check_in(activity, here, now=now)
    checkins.check_in(activity, left, now=now)
    checkins.check_out(activity, left, now=now + timedelta(minutes=30))
    for volunteer in (served, gone, attached):
        db.session.add(
            CheckIn(activity=earlier, volunteer=volunteer, checked_in_at=earlier.starts_at)
        )
    db.session.add(CheckIn(activity=elsewhere, volunteer=stranger, checked_in_at=now))
    gone.deleted_at = now
    db.session.flush()

    entries = {e.name: e for e in organizer.roster(activity, make.user(unit=station))}
    assert set(entries) == {"欧阳秀英", "张建国", "王芳", "李大爷"}
    assert entries["欧阳秀英"].phone == "138****1234" and entries["欧阳秀英"].last4 == "1234"
    assert (entries["张建国"].state, entries["王芳"].state, entries["李大爷"].state) == (
        "in",
        "out",
        "",
    )


def test_roster_keeps_only_the_most_recent_past_volunteers(db, make):
    station = make.unit()
    activity = make.activity(station)
    people = [make.volunteer(f"志愿者{n}", registered_unit_id=station.id) for n in range(4)]
    for days, volunteer in enumerate(people, start=1):
        past = make.activity(station, starts_at=activity.starts_at - timedelta(days=days))
        db.session.add(CheckIn(activity=past, volunteer=volunteer, checked_in_at=past.starts_at))
    db.session.flush()
    names = [e.name for e in organizer.roster(activity, make.user(unit=station), recent=2)]
    assert sorted(names) == ["志愿者0", "志愿者1"]  # served 1 and 2 days ago


def test_roster_endpoint_masks_phones_and_is_scoped(client, make, db, login_as):
    activity = make.activity()
    theirs = make.activity()
    volunteer = make.volunteer("欧阳秀英", phone="13812341234")
    checkins.check_in(activity, volunteer, now=activity.starts_at)
    checkins.check_in(theirs, make.volunteer("别人", phone="13912345678"), now=theirs.starts_at)
    db.session.commit()
    response = client.get(_roster_url(activity))
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(make.user(unit=activity.unit))
    assert client.get(_roster_url(theirs)).status_code == 404
    response = client.get(_roster_url(activity))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert "13812341234" not in body and "13912345678" not in body
    data = json.loads(body)
    assert data["activity_id"] == activity.id and data["search_limit"] == organizer.SEARCH_LIMIT
    entry = {"name": "欧阳秀英", "phone": "138****1234", "last4": "1234", "state": "in"}
    assert data["volunteers"] == [{"id": volunteer.id, **entry}]
    # the page names the roster and the scripts it needs
    html = client.get(f"/activities/{activity.id}/checkin").get_data(as_text=True)
    assert _roster_url(activity) in html
    assert "js/offline-queue.js" in html and "js/manual-checkin.js" in html


def _tick(client, activity, token, volunteer_id, action, ticked_at):
    """Upload one tick as the page does after being offline."""
    return client.post(
        f"/activities/{activity.id}/checkin",
        data={
            "csrf_token": token,
            "volunteer_ids": str(volunteer_id),
            "action": action,
            "ticked_at": ticked_at.isoformat() if ticked_at else "",
        },
        headers=JSON,
    )


def test_queued_ticks_keep_their_time_and_count_once(client, make, db, login_as):
    activity = make.activity()
    user = login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("赵桂兰", registered_unit_id=activity.unit_id)
    token = csrf_token(client, f"/activities/{activity.id}/checkin")
    arrived = activity.starts_at + timedelta(minutes=2)
    for _ in range(2):  # uploaded twice (the first answer was lost): still one record
        response = _tick(client, activity, token, volunteer.id, "check_in", arrived)
        assert response.json["ok"] or response.json["code"] == "already_checked_in"
    assert response.status_code == 409 and response.json["name"] == "赵桂兰"
    first = _tick(client, activity, token, volunteer.id, "check_in", arrived)
    assert first.json["message"].startswith("赵桂兰：")
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    record = db.session.scalar(select(CheckIn))
    assert record.checked_in_at == arrived
    assert record.origin == HoursOrigin.ORGANIZER and record.recorded_by_id == user.id
    left = activity.starts_at + timedelta(minutes=8)
    response = _tick(client, activity, token, volunteer.id, "check_out", left)
    assert response.status_code == 200 and response.json["action"] == "check_out"
    assert response.json["time_refused"] is False and "签退" in response.json["message"]
    db.session.refresh(record)
    assert record.checked_out_at == left
    again = _tick(client, activity, token, volunteer.id, "check_out", left)
    assert again.status_code == 409 and again.json["code"] == "already_checked_out"
    actions = list(db.session.scalars(select(AuditEntry.action)))
    assert actions.count("manual.queued") == 2 and actions.count("scan.queued") == 0


def test_queued_tick_with_implausible_time_records_the_upload_time(client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("钱建国", registered_unit_id=activity.unit_id)
    token = csrf_token(client, f"/activities/{activity.id}/checkin")
    before = utcnow()
    tomorrow = before + timedelta(days=1)
    response = _tick(client, activity, token, volunteer.id, "check_in", tomorrow)
    assert response.status_code == 200 and response.json["time_refused"] is True
    assert "上传时间" in response.json["message"]
    record = db.session.scalar(select(CheckIn))
    assert before <= record.checked_in_at <= utcnow()
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "manual.queued"))
    assert entry.new_value["device_time_refused"] is True


def test_queued_tick_refusals(client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("孙丽", registered_unit_id=activity.unit_id)
    token = csrf_token(client, f"/activities/{activity.id}/checkin")
    at = activity.starts_at + timedelta(minutes=1)
    response = _tick(client, activity, token, volunteer.id, "check_out", at)
    assert response.status_code == 409 and response.json["code"] == "not_checked_in"
    response = _tick(client, activity, token, 999999, "check_in", at)
    assert response.status_code == 400 and response.json["code"] == "unknown_volunteer"
    url = f"/activities/{activity.id}/checkin"
    for data in (
        {"volunteer_ids": str(volunteer.id), "action": "leave", "ticked_at": ""},
        {"volunteer_ids": [str(volunteer.id), "2"], "action": "check_in", "ticked_at": ""},
        {"volunteer_ids": "abc", "action": "check_in", "ticked_at": ""},
        {"volunteer_ids": str(volunteer.id), "action": "check_in", "ticked_at": "yesterday"},
    ):
        response = client.post(url, data={"csrf_token": token, **data}, headers=JSON)
        assert response.status_code == 400, data
        assert response.json["ok"] is False and response.json["message"], data
    # the activity was closed (finished, or cancelled) before the phone got its network back
    activity.status = ActivityStatus.CANCELLED
    db.session.commit()
    response = _tick(client, activity, token, volunteer.id, "check_in", at)
    assert response.status_code == 409 and response.json["code"] == "cancelled"
    assert response.json["message"].startswith("孙丽：")
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_queued_tick_after_the_window_closed_is_refused(client, make, db, login_as):
    start = (utcnow() - timedelta(hours=8)).replace(microsecond=0)
    activity = make.activity(starts_at=start, minutes=60)
    login_as(make.user(unit=activity.unit))
    volunteer = make.volunteer("周淑珍", registered_unit_id=activity.unit_id)
    token = csrf_token(client, f"/activities/{activity.id}/checkin")
    # ticked at a plausible time, but check-in closed at the end: refused, nothing written
    response = _tick(client, activity, token, volunteer.id, "check_in", start + timedelta(hours=2))
    assert response.status_code == 409 and response.json["code"] == "closed"
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_queued_tick_is_scoped(client, make, db, login_as):
    theirs = make.activity()
    mine = make.activity()
    volunteer = make.volunteer()
    login_as(make.user(unit=mine.unit))
    token = csrf_token(client, f"/activities/{mine.id}/checkin")
    response = _tick(client, theirs, token, volunteer.id, "check_in", theirs.starts_at)
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
