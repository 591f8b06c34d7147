"""Honest records over HTTP: the volunteer and the organizer are told when a check-in closed
a stay elsewhere, overlapping and future times are refused with a message, and a change to
confirmed hours is announced and listed for re-confirmation."""

from __future__ import annotations

from datetime import timedelta

from volunteer_app.api.services import create_token
from volunteer_app.checkins import services
from volunteer_app.checkins.models import CheckIn, Correction, HoursStatus
from volunteer_app.database import utcnow
from volunteer_app.volunteers.cards import issue_card

from ..conftest import csrf_token
from .test_corrections import local
from .test_races import phone, remembered, scan_path


def running(make, title: str, station=None):
    start = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    return make.activity(station, title=title, starts_at=start, minutes=240)


def ended(make, station=None, *, hours_ago: int = 5, title: str = "义诊"):
    start = (utcnow() - timedelta(hours=hours_ago)).replace(microsecond=0)
    return make.activity(station, title=title, starts_at=start, minutes=180)


def test_the_volunteer_checked_in_at_a_scans_b_and_is_told_a_was_closed(app, db, make):
    a, b = running(make, "测血压"), running(make, "清扫街道")
    volunteer = make.volunteer()
    services.check_in(a, volunteer, now=a.starts_at)
    cookie = remembered(app, db, volunteer)
    db.session.commit()
    client = phone(app, cookie)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh"
    path = scan_path(app, b)
    token = csrf_token(client, path)
    response = client.post(path, data={"csrf_token": token, "action": "check_in"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已自动签退 测血压" in html
    db.session.expire_all()
    closed = services.find_record(a.id, volunteer.id)
    assert closed.checked_out_at == services.find_record(b.id, volunteer.id).checked_in_at


def test_the_desk_says_which_stay_elsewhere_it_closed(app, db, client, make, login_as):
    station = make.unit()
    a, b = running(make, "测血压"), running(make, "清扫街道", station)
    volunteer = make.volunteer("李秀英", registered_unit_id=station.id)
    services.check_in(a, volunteer, now=a.starts_at)
    user = make.user(unit=station)
    db.session.commit()
    login_as(user)
    desk = f"/activities/{b.id}/checkin"
    data = {"csrf_token": csrf_token(client, desk), "action": "check_in"}
    data["volunteer_ids"] = [volunteer.id]
    response = client.post(desk, data=data, follow_redirects=True)
    assert "李秀英：已自动签退 测血压" in response.get_data(as_text=True)


def test_the_card_scanner_says_which_stay_elsewhere_it_closed(app, db, client, make, login_as):
    station = make.unit()
    a, b = running(make, "测血压"), running(make, "清扫街道", station)
    volunteer = make.volunteer("李秀英", registered_unit_id=station.id)
    services.check_in(a, volunteer, now=a.starts_at)
    db.session.commit()
    login_as(make.user(unit=station))
    scanner = f"/activities/{b.id}/scanner"
    code = issue_card(app.config["SECRET_KEY"], volunteer.card_key)
    data = {"csrf_token": csrf_token(client, scanner), "code": code}
    body = client.post(scanner, data=data, headers={"Accept": "application/json"}).json
    assert body["ok"] and "已自动签退 测血压" in body["message"]


def test_the_api_check_in_lists_what_it_closed(db, client, make):
    station = make.unit()
    a, b = running(make, "测血压"), running(make, "清扫街道", station)
    volunteer = make.volunteer(registered_unit_id=station.id)
    services.check_in(a, volunteer, now=a.starts_at)
    user = make.user(unit=station)
    _, raw = create_token(user, "kiosk", now=utcnow())
    db.session.commit()
    response = client.post(
        f"/api/v1/activities/{b.id}/checkins",
        json={"phone": volunteer.phone},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 201
    (closed,) = response.json["closed_elsewhere"]
    assert closed["activity_id"] == a.id and closed["activity"] == "测血压"


def test_add_hours_overlapping_is_refused_with_a_message(app, db, client, make, login_as):
    station = make.unit()
    a, b = ended(make), ended(make, station)
    volunteer = make.volunteer("李秀英", registered_unit_id=station.id)
    services.check_in(a, volunteer, now=a.starts_at)
    services.check_out(a, volunteer, now=a.ends_at)
    db.session.commit()
    login_as(make.user(unit=station))
    url = f"/activities/{b.id}/volunteers/{volunteer.id}/add-hours"
    data = {"csrf_token": csrf_token(client, url), "hours": "2", "reason": "纸质签到表"}
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "同一人的服务时间不能重叠" in response.get_data(as_text=True)
    assert services.find_record(b.id, volunteer.id) is None


def test_a_correction_accepted_with_a_future_check_out_is_refused(app, db, client, make, login_as):
    # the report: a check-out at 05:30 accepted at 04:13 credited 1.5 h
    activity = running(make, "测血压")
    volunteer = make.volunteer()
    record = services.check_in(activity, volunteer, now=activity.starts_at)
    correction = Correction(
        checkin_id=record.id, volunteer_id=volunteer.id, reason="忘记签退", created_at=utcnow()
    )
    db.session.add(correction)
    user = make.user(unit=activity.unit)
    db.session.commit()
    login_as(user)
    url = f"/manage/corrections/{correction.id}"
    data = {"csrf_token": csrf_token(client, url), "decision": "accept", "reason": "已核实"}
    data |= {
        "checked_in_at": local(activity.starts_at),
        "checked_out_at": local(utcnow() + timedelta(minutes=77)),
    }
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert "记录不能包含尚未到来的时间" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CheckIn, record.id).checked_out_at is None


def test_the_api_adjust_refuses_hours_not_yet_served(db, client, make):
    activity = running(make, "测血压")  # started an hour ago
    volunteer = make.volunteer()
    services.check_in(activity, volunteer, now=activity.starts_at)
    record = services.check_out(activity, volunteer, now=activity.starts_at + timedelta(minutes=5))
    user = make.user(unit=activity.unit)
    _, raw = create_token(user, "kiosk", now=utcnow())
    db.session.commit()
    response = client.post(
        f"/api/v1/activities/{activity.id}/hours/{record.id}",
        json={"hours": 3, "reason": "提前记"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 409 and response.json["error"]["code"] == "future_hours"


def test_a_queued_tick_before_the_check_in_is_refused(app, db, client, make, login_as):
    station = make.unit()
    activity = running(make, "测血压", station)
    volunteer = make.volunteer("李秀英", registered_unit_id=station.id)
    services.check_in(activity, volunteer, now=activity.starts_at + timedelta(minutes=30))
    db.session.commit()
    login_as(make.user(unit=station))
    desk = f"/activities/{activity.id}/checkin"
    data = {"csrf_token": csrf_token(client, desk), "volunteer_ids": str(volunteer.id)}
    data |= {"action": "check_out", "ticked_at": activity.starts_at.isoformat()}
    response = client.post(desk, data=data, headers={"Accept": "application/json"})
    assert response.status_code == 409 and response.json["code"] == "before_check_in"


def test_a_change_to_confirmed_hours_is_announced_and_listed(app, db, client, make, login_as):
    activity = ended(make, title="植树")
    volunteer = make.volunteer("王芳")
    services.check_in(activity, volunteer, now=activity.starts_at)
    record = services.check_out(activity, volunteer, now=activity.ends_at)
    user = make.user(unit=activity.unit)
    db.session.commit()
    login_as(user)
    page = f"/activities/{activity.id}"
    assert (
        client.post(f"{page}/confirm", data={"csrf_token": csrf_token(client, page)}).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(CheckIn, record.id).status == HoursStatus.CONFIRMED
    url = f"{page}/checkins/{record.id}/adjust"
    form = client.get(url).get_data(as_text=True)
    assert "此记录已确认，修改后需重新确认" in form
    data = {"csrf_token": csrf_token(client, url), "hours": "2", "reason": "提前离开"}
    assert client.post(url, data=data).status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "待重新确认" in html and "确认后已修改，需重新确认" in html
    assert html.count("王芳") >= 2
    assert "此记录已确认" not in client.get(url).get_data(as_text=True)


def test_the_correction_decision_warns_before_changing_a_confirmed_record(
    app, db, client, make, login_as
):
    """Accepting a correction of confirmed hours sends them back to pending: said first."""
    activity = ended(make, title="植树")
    confirmed, pending = make.volunteer("王芳"), make.volunteer("李秀英")
    requests = {}
    for volunteer in (confirmed, pending):
        services.check_in(activity, volunteer, now=activity.starts_at)
        record = services.check_out(activity, volunteer, now=activity.ends_at)
        correction = Correction(
            checkin_id=record.id, volunteer_id=volunteer.id, reason="晚到", created_at=utcnow()
        )
        db.session.add(correction)
        requests[volunteer.name] = (record, correction)
    requests["王芳"][0].status = HoursStatus.CONFIRMED
    db.session.commit()
    login_as(make.user(unit=activity.unit))
    for name, warned in (("王芳", True), ("李秀英", False)):
        response = client.get(f"/manage/corrections/{requests[name][1].id}")
        assert response.status_code == 200
        assert ("此记录已确认，修改后需重新确认" in response.get_data(as_text=True)) is warned


def test_an_organizer_voids_a_junk_record_and_restores_it(app, db, client, make, login_as):
    activity = ended(make, title="义诊")
    junk, real = make.volunteer("测试账号"), make.volunteer("王芳")
    for v in (junk, real):
        services.check_in(activity, v, now=activity.starts_at)
        services.check_out(activity, v, now=activity.ends_at)
    record = services.find_record(activity.id, junk.id)
    db.session.commit()
    login_as(make.user(unit=activity.unit))
    page = f"/activities/{activity.id}"
    url = f"{page}/checkins/{record.id}/void"
    form = client.get(url).get_data(as_text=True)
    assert "作废此记录" in form
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token, "reason": " "})
    assert response.status_code == 400 and "请填写作废原因" in response.get_data(as_text=True)
    response = client.post(url, data={"csrf_token": token, "reason": "布置现场时的测试签到"})
    assert response.status_code == 302
    html = client.get(page).get_data(as_text=True)
    assert "已作废的记录" in html and "<del>测试账号" in html and "布置现场时的测试签到" in html
    # out of the attendance table (each live row has its void link), in the struck list
    assert 'aria-label="作废 王芳 的记录"' in html
    assert 'aria-label="作废 测试账号 的记录"' not in html
    export = client.get(f"/reports/activities/{activity.id}/attendance.csv").get_data(as_text=True)
    assert "王芳" in export and "测试账号" not in export
    # voiding it again: not found among live records
    assert client.get(url).status_code == 404
    restore = f"{page}/checkins/{record.id}/restore"
    assert client.post(restore, data={"csrf_token": token}).status_code == 302
    assert "已作废的记录" not in client.get(page).get_data(as_text=True)
    assert client.post(restore, data={"csrf_token": token}).status_code == 404
