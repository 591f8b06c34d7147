"""Manual and group check-in by an organizer; walk-in registration; scoping."""

from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins import organizer
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.volunteers.models import Volunteer

from ..conftest import csrf_token


def test_search_by_name_full_phone_and_last_digits(db, make):
    a = make.volunteer("李秀英", phone="13812341234")
    b = make.volunteer("李建国", phone="13900005678")
    make.volunteer("王芳", phone="13700009999")
    assert organizer.search_volunteers("李") == [b, a]  # by name (建 < 秀)
    assert organizer.search_volunteers("138 1234 1234") == [a]
    assert organizer.search_volunteers("５６７８") == [b]  # full-width digits
    assert organizer.search_volunteers("123") == []  # too few digits to search
    assert organizer.search_volunteers("%") == []
    assert organizer.search_volunteers("  ") == []


def test_search_page_masks_phones(client, make, db, login_as):
    activity = make.activity()
    login_as(make.user(unit=activity.unit))
    make.volunteer("李秀英", phone="13812341234")
    html = client.get(f"/activities/{activity.id}/checkin?q=李").get_data(as_text=True)
    assert "李秀英" in html and "138****1234" in html and "13812341234" not in html


def test_group_check_in_and_out(client, make, db, login_as):
    activity = make.activity(capacity=2)
    user = login_as(make.user(unit=activity.unit))
    family = [make.volunteer(n) for n in ("张爷爷", "张奶奶", "张小明")]
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
    # the same number again: no second person
    response = client.post(url, data={**data, "consent": "y", "name": "别名"})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "该手机号已登记，姓名为欧阳 建国。" in html
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
