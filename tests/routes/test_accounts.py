"""Account creation in the console by the level above, with scoping."""

from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role, User
from volunteer_app.stations.models import UnitLevel

from ..conftest import csrf_token
from ..factories import Factory


def form(unit, **overrides):
    data = {
        "display_name": "王站长",
        "username": "wangzz",
        "password": "leifeng-35",
        "role": "station_organizer",
        "unit_id": unit.id,
    }
    data.update(overrides)
    return data


def test_centre_organizer_creates_a_station_organizer_who_can_sign_in(
    client, make, db, login_as, app
):
    centre = make.unit("万福街道", level=UnitLevel.CENTRE)
    station = make.unit("万福社区", parent=centre)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    html = client.get("/accounts").get_data(as_text=True)
    assert "万福社区（实践站）" in html and "实践所管理员</option>" not in html
    response = client.post(
        "/accounts", data={**form(station), "csrf_token": csrf_token(client, "/accounts")}
    )
    assert response.status_code == 302
    assert "已为万福社区创建账号 wangzz。" in client.get("/accounts").get_data(as_text=True)
    user = db.session.scalar(select(User).where(User.username == "wangzz"))
    assert user.role == Role.STATION_ORGANIZER and user.unit_id == station.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "account.create"))
    assert entry.new_value["username"] == "wangzz"
    fresh = app.test_client()
    token = csrf_token(fresh, "/login")
    response = fresh.post(
        "/login", data={"username": "wangzz", "password": "leifeng-35", "csrf_token": token}
    )
    assert response.status_code == 302


def test_centre_organizer_cannot_create_outside_or_above(client, make, db, login_as):
    centre = make.unit(level=UnitLevel.CENTRE)
    other_station = make.unit()  # under another centre
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    token = csrf_token(client, "/accounts")
    response = client.post("/accounts", data={**form(other_station), "csrf_token": token})
    assert response.status_code == 400  # not among the choices
    response = client.post(
        "/accounts", data={**form(centre, role="centre_organizer"), "csrf_token": token}
    )
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_district_admin_creates_centre_organizers(client, make, db, login_as):
    district = make.unit("菏泽高新区", level=UnitLevel.DISTRICT)
    centre = make.unit("吕陵镇", level=UnitLevel.CENTRE, parent=district)
    login_as(make.user(role=Role.DISTRICT_ADMIN, unit=district))
    token = csrf_token(client, "/accounts")
    data = form(centre, role="centre_organizer", username="lvling2")
    assert client.post("/accounts", data={**data, "csrf_token": token}).status_code == 302
    # a role that does not match the unit's level: a clear message
    data = form(centre, role="station_organizer", username="lvling3")
    response = client.post("/accounts", data={**data, "csrf_token": token})
    assert response.status_code == 400
    assert "该角色不能管理这一级别的单位。" in response.get_data(as_text=True)


def test_bad_input_messages(client, make, db, login_as):
    centre = make.unit(level=UnitLevel.CENTRE)
    station = make.unit(parent=centre)
    existing = make.user(unit=station)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    token = csrf_token(client, "/accounts")
    for overrides, message in (
        ({"password": "short"}, "密码至少需要 8 个字符。"),
        ({"username": "王 站长"}, "只能使用字母、数字、点、短横线和下划线。"),
        ({"username": existing.username}, "该用户名已被使用。"),
    ):
        response = client.post(
            "/accounts", data={**form(station, **overrides), "csrf_token": token}
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True), overrides


def test_accounts_scoping(client, make, db, login_as):
    response = client.get("/accounts")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    station_user = make.user()
    login_as(station_user)
    assert client.get("/accounts").status_code == 404
    token = csrf_token(client, "/activities")
    response = client.post("/accounts", data={**form(station_user.unit), "csrf_token": token})
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_centre_list_shows_only_its_own_accounts(client, make, db, login_as):
    centre = make.unit(level=UnitLevel.CENTRE)
    mine = make.user("mine-station", unit=make.unit(parent=centre))
    other = make.user("other-station")
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    html = client.get("/accounts").get_data(as_text=True)
    assert mine.username in html and other.username not in html
    assert Factory.PASSWORD not in html


def test_disable_enable_and_reset_password(app, client, make, db, login_as):
    centre = make.unit(level=UnitLevel.CENTRE)
    station_user = make.user("zhan1", unit=make.unit(parent=centre))
    me = login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    token = csrf_token(client, "/accounts")
    response = client.post(
        f"/accounts/{station_user.id}/active", data={"csrf_token": token, "active": "0"}
    )
    assert response.status_code == 302
    assert "已停用" in client.get("/accounts").get_data(as_text=True)
    db.session.refresh(station_user)
    assert station_user.is_active is False
    other = app.test_client()
    login_token = csrf_token(other, "/login")
    response = other.post(
        "/login",
        data={"username": "zhan1", "password": Factory.PASSWORD, "csrf_token": login_token},
    )
    assert response.status_code == 401
    client.post(f"/accounts/{station_user.id}/active", data={"csrf_token": token, "active": "1"})
    url = f"/accounts/{station_user.id}/password"
    response = client.post(url, data={"csrf_token": token, "password": "short"})
    assert response.status_code == 400 and "密码至少需要 8 个字符。" in response.get_data(
        as_text=True
    )
    response = client.post(url, data={"csrf_token": token, "password": "new-password-35"})
    assert response.status_code == 302
    response = other.post(
        "/login",
        data={"username": "zhan1", "password": "new-password-35", "csrf_token": login_token},
    )
    assert response.status_code == 302
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"account.disable", "account.enable", "account.reset_password"} <= actions
    # not oneself
    response = client.post(f"/accounts/{me.id}/active", data={"csrf_token": token, "active": "0"})
    assert "您不能修改此账号。" in client.get(response.headers["Location"]).get_data(as_text=True)
    db.session.refresh(me)
    assert me.is_active


def test_account_management_scoping(client, make, db, login_as):
    centre = make.unit(level=UnitLevel.CENTRE)
    outsider = make.user("outsider")  # a station under another centre
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    token = csrf_token(client, "/accounts")
    url = f"/accounts/{outsider.id}/active"
    assert client.post(url, data={"csrf_token": token, "active": "0"}).status_code == 404
    assert client.get(f"/accounts/{outsider.id}/password").status_code == 404
    assert client.get("/accounts/999999/password").status_code == 404
    db.session.refresh(outsider)
    assert outsider.is_active


def test_station_organizer_and_anonymous_cannot_manage_accounts(client, make, db, login_as):
    station = make.unit()
    peer = make.user(unit=station)
    db.session.commit()
    url = f"/accounts/{peer.id}/password"
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login_as(make.user(unit=station))
    assert client.get(url).status_code == 404
