"""Manual and group check-in by an organizer; walk-in registration; scoping."""

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins import organizer
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.checkins.organizer import SearchError
from volunteer_app.volunteers.models import Volunteer

from ..conftest import csrf_token


def search(client, activity, query: str):
    """Post the desk page's search form (a post: the query stays out of the URL)."""
    url = f"/activities/{activity.id}/checkin"
    return client.post(url, data={"csrf_token": csrf_token(client, url), "q": query})


def test_search_by_name_full_phone_and_exactly_the_last_4_digits(db, make):
    station = make.unit()
    user = make.user(unit=station)
    a = make.volunteer("李秀英", phone="13812341234", registered_unit_id=station.id)
    b = make.volunteer("李建国", phone="13900005678", registered_unit_id=station.id)
    make.volunteer("王芳", phone="13700009999", registered_unit_id=station.id)
    assert organizer.search_volunteers(user, "李") == [b, a]  # by name (建 < 秀)
    assert organizer.search_volunteers(user, "138 1234 1234") == [a]
    assert organizer.search_volunteers(user, "５６７８") == [b]  # full-width digits
    for partial in ("123", "05678", "0005678", "9000056780"):  # nothing to extend digit by digit
        with pytest.raises(SearchError) as refused:
            organizer.search_volunteers(user, partial)
        assert refused.value.code == "number_search"
    assert organizer.search_volunteers(user, "%") == []
    assert organizer.search_volunteers(user, "  ") == []


def test_search_page_masks_phones_and_refuses_partial_numbers(client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    make.volunteer("李秀英", phone="13812341234", registered_unit_id=activity.unit_id)
    response = search(client, activity, "李")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "李秀英" in html and "138****1234" in html and "13812341234" not in html
    response = search(client, activity, "81234")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "李秀英" not in html
    assert "请按完整手机号（11 位）或恰好后 4 位搜索。" in html
    # a query in the URL searches nothing (numbers stay out of the access log)
    html = client.get(f"/activities/{activity.id}/checkin?q=李").get_data(as_text=True)
    assert "李秀英" not in html


def test_group_check_in_and_out(client, make, db, login_as):
    activity = make.activity(capacity=2)
    user = login_as(make.user(unit=activity.unit))
    family = [
        make.volunteer(n, registered_unit_id=activity.unit_id)
        for n in ("张爷爷", "张奶奶", "张小明")
    ]
    url = f"/activities/{activity.id}/checkin"
    token = csrf_token(client, url)
    ids = [str(v.id) for v in family]
    response = client.post(
        url, data={"csrf_token": token, "action": "check_in", "volunteer_ids": ids}
    )
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已代签到 3 人：张爷爷、张奶奶、张小明" in html
    assert "超过所需人数（2）" in html
    records = db.session.scalars(select(CheckIn)).all()
    assert {r.origin for r in records} == {HoursOrigin.ORGANIZER}
    assert {r.recorded_by_id for r in records} == {user.id}
    # again: each one is refused with a reason, nothing duplicated
    response = client.post(
        url, data={"csrf_token": token, "action": "check_in", "volunteer_ids": ids[:1]}
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "张爷爷：已签到过" in html
    response = client.post(
        url, data={"csrf_token": token, "action": "check_out", "volunteer_ids": ids[:2]}
    )
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已代签退 2 人" in html
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("checkin.by_organizer") == 3
    assert actions.count("checkout.by_organizer") == 2


def test_group_check_with_nothing_or_garbage_is_a_clear_message(client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    url = f"/activities/{activity.id}/checkin"
    token = csrf_token(client, url)
    for data in (
        {"action": "check_in"},
        {"action": "check_in", "volunteer_ids": "abc"},
        {"action": "delete", "volunteer_ids": "1"},
    ):
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 302
        assert "请至少勾选一名志愿者。" in client.get(response.headers["Location"]).get_data(
            as_text=True
        )
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_walk_in_registers_and_checks_in(client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    url = f"/activities/{activity.id}/walk-in"
    page = f"/activities/{activity.id}/checkin"
    token = csrf_token(client, page)
    data = {
        "csrf_token": token,
        "name": " 欧阳 建国 ",
        "phone": "138-1234-0001",
        "check_in_now": "y",
    }
    response = client.post(url, data=data)
    assert response.status_code == 400 and "请确认志愿者已同意" in response.get_data(as_text=True)
    response = client.post(url, data={**data, "consent": "y"})
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已登记欧阳 建国。" in html and "已代签到 1 人" in html
    volunteer = db.session.scalar(select(Volunteer))
    assert volunteer.phone == "13812340001" and volunteer.consent_version.startswith("org-")
    assert (
        db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "volunteer.walk_in"))
        == "volunteer.walk_in"
    )
    # the same number under another name: refused, and whose number it is stays unsaid
    response = client.post(url, data={**data, "consent": "y", "name": "别名"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "此号码已登记。请本人用自己的手机扫码签到" in html
    assert 'name="pin"' in html  # (the name shows only in this activity's attendance)
    assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 1
    response = client.post(url, data={**data, "consent": "y", "phone": "12345"})
    assert response.status_code == 400 and "请填写 11 位手机号" in response.get_data(as_text=True)


def test_scoping_of_manual_checkin_routes(client, make, db, login_as):
    theirs = make.activity()
    mine = make.activity()
    volunteer = make.volunteer()
    db.session.commit()
    url = f"/activities/{theirs.id}/checkin"
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(make.user(unit=mine.unit))
    token = csrf_token(client, f"/activities/{mine.id}/checkin")
    assert client.get(url).status_code == 404
    response = client.post(
        url, data={"csrf_token": token, "action": "check_in", "volunteer_ids": [volunteer.id]}
    )
    assert response.status_code == 404
    response = client.post(
        f"/activities/{theirs.id}/walk-in",
        data={"csrf_token": token, "name": "某某", "phone": "13812349999", "consent": "y"},
    )
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
    assert db.session.scalar(select(func.count()).select_from(Volunteer)) == 1


def test_add_hours_after_the_end_for_someone_without_a_record(client, make, db, login_as):
    from datetime import timedelta

    from volunteer_app.checkins import services
    from volunteer_app.database import utcnow

    start = (utcnow() - timedelta(hours=5)).replace(microsecond=0)
    activity = make.activity(starts_at=start, minutes=180)
    user = login_as(make.user(unit=activity.unit))
    elder = make.volunteer("刘大爷", phone="13612340000", registered_unit_id=activity.unit_id)
    scanned = make.volunteer("王芳")
    services.check_in(activity, scanned, now=start)
    html = search(client, activity, "刘").get_data(as_text=True)
    url = f"/activities/{activity.id}/volunteers/{elder.id}/add-hours"
    assert url in html and "补录时长" in html
    token = csrf_token(client, url)
    response = client.post(url, data={"csrf_token": token, "hours": "2", "reason": ""})
    assert response.status_code == 400 and "请填写修改原因。" in response.get_data(as_text=True)
    response = client.post(
        url, data={"csrf_token": token, "hours": "2", "reason": "无智能手机，队长确认"}
    )
    assert response.status_code == 302
    record = services.find_record(activity.id, elder.id)
    assert record.minutes == 120 and record.origin == HoursOrigin.ORGANIZER
    assert record.recorded_by_id == user.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "hours.add"))
    assert (
        entry.personal_value("reason") == "无智能手机，队长确认"
        and entry.new_value["minutes"] == 120
    )
    # twice, or for someone who has a record: refused with a clear message
    response = client.post(url, data={"csrf_token": token, "hours": "2", "reason": "再补一次"})
    assert response.status_code == 400 and "已有记录" in response.get_data(as_text=True)
    other = f"/activities/{activity.id}/volunteers/{scanned.id}/add-hours"
    response = client.post(other, data={"csrf_token": token, "hours": "1", "reason": "补录"})
    assert response.status_code == 400
    missing = f"/activities/{activity.id}/volunteers/999999/add-hours"
    assert client.get(missing).status_code == 404


def test_add_hours_before_the_end_and_scoping(client, make, db, login_as):
    activity = make.activity()  # running now
    theirs = make.activity()
    volunteer = make.volunteer(registered_unit_id=activity.unit_id)
    db.session.commit()
    url = f"/activities/{theirs.id}/volunteers/{volunteer.id}/add-hours"
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(make.user(unit=activity.unit))
    token = csrf_token(client, f"/activities/{activity.id}/checkin")
    assert client.get(url).status_code == 404
    data = {"csrf_token": token, "hours": "1", "reason": "补录"}
    assert client.post(url, data=data).status_code == 404
    mine = f"/activities/{activity.id}/volunteers/{volunteer.id}/add-hours"
    response = client.post(mine, data=data)
    assert response.status_code == 400
    assert "活动结束后才能进行此操作。" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
