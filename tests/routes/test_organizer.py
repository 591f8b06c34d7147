"""Organizer pages: sign-in, activity list and creation, scoping."""

import pytest
from sqlalchemy import func, select

from volunteer_app.activities.models import Activity
from volunteer_app.auth.models import Role
from volunteer_app.stations.models import UnitLevel

from ..conftest import csrf_token
from ..factories import Factory


def activity_form(make, unit, **overrides):
    data = {
        "title": "学雷锋义诊",
        "category_id": make.category().id,
        "unit_id": unit.id,
        "place": "万福社区卫生服务中心",
        "starts_at": "2030-03-05T08:30",
        "ends_at": "2030-03-05T11:30",
        "capacity": "10",
        "description": "测血压、测血糖",
    }
    data.update(overrides)
    return data


def test_anonymous_is_sent_to_login(client):
    response = client.get("/activities")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_page_and_wrong_password(client, make, db):
    user = make.user("wanfu")
    db.session.commit()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", data={"username": "wanfu", "password": "nope", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "用户名或密码错误。" in response.get_data(as_text=True)
    response = client.post(
        "/login", data={"username": "nobody", "password": "nope", "csrf_token": token}
    )
    assert "用户名或密码错误。" in response.get_data(as_text=True)  # no user enumeration
    response = client.post(
        "/login",
        data={"username": user.username, "password": Factory.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302


def test_login_does_not_redirect_off_site(client, make, db):
    user = make.user()
    db.session.commit()
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": user.username, "password": Factory.PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/activities"


def test_create_activity_and_see_it(client, make, db, login_as):
    user = login_as(make.user())
    db.session.commit()
    token = csrf_token(client, "/activities/new")
    response = client.post(
        "/activities/new", data={**activity_form(make, user.unit), "csrf_token": token}
    )
    assert response.status_code == 302
    activity = db.session.scalar(select(Activity))
    assert activity.title == "学雷锋义诊"
    # 08:30 Beijing time is stored as 00:30 UTC
    assert activity.starts_at.hour == 0 and activity.starts_at.minute == 30
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "活动已创建。" in page and "2030年3月5日 08:30–11:30" in page
    listing = client.get("/activities").get_data(as_text=True)
    assert "学雷锋义诊" in listing


def test_validation_messages_in_chinese(client, make, db, login_as):
    user = login_as(make.user())
    db.session.commit()
    token = csrf_token(client, "/activities/new")
    data = activity_form(make, user.unit, title="", ends_at="2030-03-05T07:00", capacity="0")
    response = client.post("/activities/new", data={**data, "csrf_token": token})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请填写活动名称。" in html and "请输入 1 到 10000 之间的数字。" in html
    data = activity_form(make, user.unit, ends_at="2030-03-05T07:00")
    response = client.post("/activities/new", data={**data, "csrf_token": token})
    assert "结束时间必须晚于开始时间。" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_cannot_create_for_another_station(client, make, db, login_as):
    login_as(make.user())
    other = make.unit()
    db.session.commit()
    token = csrf_token(client, "/activities/new")
    response = client.post(
        "/activities/new", data={**activity_form(make, other), "csrf_token": token}
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_station_organizers_cannot_see_each_other(client, make, db, login_as):
    mine = make.activity(title="我的活动")
    theirs = make.activity(title="别人的活动")
    login_as(make.user(unit=mine.unit))
    db.session.commit()
    assert client.get(f"/activities/{mine.id}").status_code == 200
    assert client.get(f"/activities/{theirs.id}").status_code == 404
    assert client.get(f"/activities/{theirs.id}/qr.png").status_code == 404
    listing = client.get("/activities").get_data(as_text=True)
    assert "我的活动" in listing and "别人的活动" not in listing


def test_centre_sees_its_stations_and_admin_sees_their_district(app, make, db):
    district = make.unit(level=UnitLevel.DISTRICT)
    centre = make.unit(level=UnitLevel.CENTRE, parent=district)
    inside = make.activity(unit=make.unit(parent=centre), title="所内活动")
    outside = make.activity(
        unit=make.unit(parent=make.unit(level=UnitLevel.CENTRE, parent=district)),
        title="所外活动",
    )
    at_district = make.activity(unit=district, title="区级活动")
    # One instance serving a city: another district's tree is nobody else's.
    other_district = make.unit(level=UnitLevel.DISTRICT)
    elsewhere = make.activity(
        unit=make.unit(parent=make.unit(level=UnitLevel.CENTRE, parent=other_district)),
        title="别区的活动",
    )
    centre_user = make.user(role=Role.CENTRE_ORGANIZER, unit=centre)
    admin = make.user(role=Role.DISTRICT_ADMIN, unit=district)
    other_admin = make.user(role=Role.DISTRICT_ADMIN, unit=other_district)
    db.session.commit()
    for user, visible, hidden in (
        (centre_user, [inside], [outside, at_district, elsewhere]),
        (admin, [inside, outside, at_district], [elsewhere]),
        (other_admin, [elsewhere], [inside, outside, at_district]),
    ):
        client = app.test_client()
        token = csrf_token(client, "/login")
        client.post(
            "/login",
            data={"username": user.username, "password": Factory.PASSWORD, "csrf_token": token},
        )
        for activity in visible:
            assert client.get(f"/activities/{activity.id}").status_code == 200
        for activity in hidden:
            assert client.get(f"/activities/{activity.id}").status_code == 404
        listing = client.get("/activities").get_data(as_text=True)
        assert all(a.title in listing for a in visible)
        assert not any(a.title in listing for a in hidden)


def test_logout_needs_post_with_csrf(client, make, db, login_as):
    login_as(make.user())
    db.session.commit()
    assert client.get("/logout").status_code == 405
    token = csrf_token(client, "/activities")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/activities").status_code == 302


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_security_headers(client):
    headers = client.get("/").headers
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_ids_beyond_the_database_range_are_404_not_500(client, make, db, login_as):
    login_as(make.user())
    db.session.commit()
    assert client.get("/activities/3787392754299116243149389824").status_code == 404
    assert client.get("/activities/2147483648/qr.png").status_code == 404


def test_login_lockout_is_temporary_and_reveals_nothing(app, make, db):
    from volunteer_app import create_app

    user = make.user("wanfu")
    db.session.commit()
    limited = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "RATELIMIT_ENABLED": True,
            "LOGIN_RATE_LIMIT": "1000 per minute",
            "LOGIN_LOCKOUT": "3 per 15 minutes",
        }
    )
    client = limited.test_client()

    def attempt(username, password):
        token = csrf_token(client, "/login")
        return client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )

    for name in ("wanfu", "nobody"):  # a real and an unknown account behave the same
        statuses = [attempt(name, "wrong").status_code for _ in range(3)]
        assert statuses == [401, 401, 401]
        locked = attempt(name, Factory.PASSWORD)
        assert locked.status_code == 429
        assert "请等待 15 分钟" in locked.get_data(as_text=True)
    other = make.user("lvling")
    db.session.commit()
    assert attempt(other.username, Factory.PASSWORD).status_code == 302  # others unaffected
    assert user.id
    with limited.app_context():
        from volunteer_app.extensions import db as limited_db

        limited_db.engine.dispose()


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T08:00"])
def test_implausible_dates_are_refused_not_a_500(client, make, db, login_as, when):
    user = login_as(make.user())
    db.session.commit()
    token = csrf_token(client, "/activities/new")
    response = client.post(
        "/activities/new",
        data={**activity_form(make, user.unit, starts_at=when), "csrf_token": token},
    )
    assert response.status_code == 400
    assert "请填写 2000 年到 2100 年之间的日期。" in response.get_data(as_text=True)
