"""Organizer sessions: every sign-in is its own revocable session; sign-out, a new password
and disabling end them all; a password set by the level above must be changed first; the
lockout is shared by every process."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from volunteer_app import create_app
from volunteer_app.api.services import create_token
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import LoginThrottle, Role, User, UserSession
from volunteer_app.database import utcnow
from volunteer_app.extensions import db as _db
from volunteer_app.stations.models import UnitLevel

from ..conftest import _test_config, csrf_token
from ..factories import Factory

REMEMBER = "remember_token"


def sign_in(client, username, password=Factory.PASSWORD, *, remember=False):
    """Post the login form; the response."""
    data = {"username": username, "password": password, "csrf_token": csrf_token(client, "/login")}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found is not None else None


def signed_in_with(app, *, session=None, remember=None) -> bool:
    """Whether a browser holding only these cookies reaches an organizer page."""
    browser = app.test_client()
    if session:
        browser.set_cookie("session", session)
    if remember:
        browser.set_cookie(REMEMBER, remember)
    return browser.get("/activities").status_code == 200


def change_password(client, current, new, confirm=None):
    token = csrf_token(client, "/account/password")
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": token,
        },
    )


def test_the_remember_cookie_differs_at_every_sign_in_and_names_no_account(app, db, make):
    user = make.user("wanfu")
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    assert sign_in(first, "wanfu", remember=True).status_code == 302
    assert sign_in(second, "wanfu", remember=True).status_code == 302
    values = cookie(first, REMEMBER), cookie(second, REMEMBER)
    assert None not in values and values[0] != values[1]
    assert all(value.split("|")[0] != str(user.id) for value in values)
    expires = first.get_cookie(REMEMBER).expires
    assert abs(expires - (utcnow() + timedelta(days=14))) < timedelta(minutes=5)
    # a plain sign-in sets no remember cookie
    plain = app.test_client()
    sign_in(plain, "wanfu")
    assert cookie(plain, REMEMBER) is None and cookie(plain, "session")


def test_signing_out_on_one_device_ends_every_session_and_remember_cookie(app, db, make):
    make.user("wanfu")
    db.session.commit()
    device_a, device_b = app.test_client(), app.test_client()
    sign_in(device_a, "wanfu", remember=True)
    sign_in(device_b, "wanfu", remember=True)
    b_session, b_remember = cookie(device_b, "session"), cookie(device_b, REMEMBER)
    assert signed_in_with(app, session=b_session)
    assert signed_in_with(app, remember=b_remember)

    token = csrf_token(device_a, "/activities")
    response = device_a.post("/logout", data={"csrf_token": token}, follow_redirects=True)
    assert "您已在所有设备上退出登录。" in response.get_data(as_text=True)

    assert not signed_in_with(app, session=b_session)
    assert not signed_in_with(app, remember=b_remember)
    assert not signed_in_with(app, session=b_session, remember=b_remember)
    assert device_b.get("/activities").status_code == 302
    assert device_a.get("/activities").status_code == 302
    assert db.session.scalar(select(UserSession).where(UserSession.revoked_at.is_(None))) is None


def test_a_session_ends_on_the_server_when_it_expires(app, db, make):
    make.user("wanfu")
    db.session.commit()
    browser = app.test_client()
    sign_in(browser, "wanfu")
    assert browser.get("/activities").status_code == 200
    db.session.execute(update(UserSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert browser.get("/activities").status_code == 302


def test_a_reset_by_the_level_above_ends_the_sessions_and_forces_a_new_password(
    app, client, db, make, login_as
):
    centre = make.unit(level=UnitLevel.CENTRE)
    target = make.user("zhan1", unit=make.unit(parent=centre))
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    phone = app.test_client()
    sign_in(phone, "zhan1", remember=True)
    old_session, old_remember = cookie(phone, "session"), cookie(phone, REMEMBER)
    assert phone.get("/activities").status_code == 200

    url = f"/accounts/{target.id}/password"
    token = csrf_token(client, url)
    assert client.post(
        url, data={"csrf_token": token, "password": "given-pass-35"}
    ).status_code == (302)
    assert phone.get("/activities").status_code == 302
    assert not signed_in_with(app, session=old_session)
    assert not signed_in_with(app, remember=old_remember)

    fresh = app.test_client()
    response = sign_in(fresh, "zhan1", "given-pass-35")
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    for path in ("/activities", "/reports/", "/account/api-tokens", "/manage/corrections"):
        response = fresh.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/password", path
    page = fresh.get("/account/password").get_data(as_text=True)
    assert "您的密码是由上级设置的" in page
    assert fresh.get("/healthz").status_code == 200
    assert fresh.get("/static/css/app.css").status_code == 200

    response = change_password(fresh, "given-pass-35", "my-own-pass-1")
    assert response.status_code == 302 and response.headers["Location"] == "/activities"
    assert fresh.get("/activities").status_code == 200
    db.session.refresh(target)
    assert target.must_change_password is False


def test_a_forced_organizer_can_still_sign_out(app, db, make):
    user = make.user("zhan1")
    user.must_change_password = True
    db.session.commit()
    browser = app.test_client()
    sign_in(browser, "zhan1")
    token = csrf_token(browser, "/account/password")
    response = browser.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert browser.get("/account/password").status_code == 302  # to the login page


def test_accounts_made_by_the_level_above_must_choose_a_password_and_cli_ones_not(
    app, client, db, make, login_as, runner
):
    centre = make.unit(level=UnitLevel.CENTRE)
    station = make.unit("万福社区", parent=centre)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    data = {
        "display_name": "王站长",
        "username": "wangzz",
        "password": "leifeng-35",
        "role": "station_organizer",
        "unit_id": station.id,
        "csrf_token": csrf_token(client, "/accounts"),
    }
    assert client.post("/accounts", data=data).status_code == 302
    response = sign_in(app.test_client(), "wangzz", "leifeng-35")
    assert response.headers["Location"] == "/account/password"

    result = runner.invoke(
        args=[
            *("create-user", "lvxiao", "--role", "station_organizer"),
            *("--unit", "万福社区", "--password", "a-long-password"),
        ]
    )
    assert result.exit_code == 0, result.output
    assert not db.session.scalar(select(User.must_change_password).where(User.username == "lvxiao"))
    response = sign_in(app.test_client(), "lvxiao", "a-long-password")
    assert response.headers["Location"] == "/activities"


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(app, db, make):
    user = make.user("wanfu")
    db.session.commit()
    here, elsewhere = app.test_client(), app.test_client()
    sign_in(here, "wanfu")
    sign_in(elsewhere, "wanfu", remember=True)
    elsewhere_remember = cookie(elsewhere, REMEMBER)
    assert "修改登录密码" in here.get("/activities").get_data(as_text=True)  # the link

    for current, new, confirm, message in (
        ("not-my-password", "leifeng-2026", None, "当前密码不正确。"),
        (Factory.PASSWORD, "Wanfu", None, "密码至少需要 8 个字符。"),
        (Factory.PASSWORD, "wanfu-station", None, None),
        (Factory.PASSWORD, "leifeng-2026", "leifeng-2027", "两次输入的新密码不一致。"),
        (Factory.PASSWORD, Factory.PASSWORD, None, "新密码不能和当前密码相同。"),
    ):
        if message is None:  # a username long enough to be a password
            user.username = "wanfu-station"
            db.session.commit()
            message = "密码不能和用户名相同。"
        response = change_password(here, current, new, confirm)
        assert response.status_code == 400 and message in response.get_data(as_text=True), new
    user.username = "wanfu"
    db.session.commit()
    assert elsewhere.get("/activities").status_code == 200  # nothing changed yet

    response = change_password(here, Factory.PASSWORD, "leifeng-2026")
    assert response.status_code == 302
    assert "密码已修改，其他设备已退出登录。" in here.get("/activities").get_data(as_text=True)
    assert elsewhere.get("/activities").status_code == 302
    assert not signed_in_with(app, remember=elsewhere_remember)
    assert sign_in(app.test_client(), "wanfu").status_code == 401
    assert sign_in(app.test_client(), "wanfu", "leifeng-2026").status_code == 302
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "account.change_password")
    )
    assert entry.actor_user_id == user.id and entry.new_value == {"username": "wanfu"}
    assert "leifeng-2026" not in str(entry.old_value) + str(entry.new_value) + entry.reason


def test_wrong_current_passwords_count_toward_the_sign_in_lockout(app, db, make):
    make.user("wanfu")
    db.session.commit()
    app.config["LOGIN_LOCKOUT"] = "2 per 15 minutes"
    here = app.test_client()
    sign_in(here, "wanfu")
    assert change_password(here, "guess-one-1", "leifeng-2026").status_code == 400
    assert db.session.scalar(select(LoginThrottle.failures)) == 1
    assert change_password(here, "guess-two-2", "leifeng-2026").status_code == 400
    response = change_password(here, Factory.PASSWORD, "leifeng-2026")
    assert response.status_code == 429 and "请等待 15 分钟" in response.get_data(as_text=True)
    assert sign_in(app.test_client(), "wanfu").status_code == 429


def test_disabling_an_account_ends_its_sessions_and_refuses_its_api_tokens(
    app, client, db, make, login_as
):
    centre = make.unit(level=UnitLevel.CENTRE)
    target = make.user("zhan1", unit=make.unit(parent=centre))
    _, raw = create_token(target, "kiosk", now=utcnow())
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=centre))
    phone = app.test_client()
    sign_in(phone, "zhan1", remember=True)
    old_session, old_remember = cookie(phone, "session"), cookie(phone, REMEMBER)
    api = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    assert api.get("/api/v1/activities", headers=headers).status_code == 200
    assert phone.get("/activities").status_code == 200

    url = f"/accounts/{target.id}/active"
    token = csrf_token(client, "/accounts")
    assert client.post(url, data={"csrf_token": token, "active": "0"}).status_code == 302
    assert phone.get("/activities").status_code == 302
    assert not signed_in_with(app, session=old_session)
    assert not signed_in_with(app, remember=old_remember)
    assert api.get("/api/v1/activities", headers=headers).status_code == 401
    assert sign_in(app.test_client(), "zhan1").status_code == 401

    # enabled again: the token works, the old sessions stay ended
    assert client.post(url, data={"csrf_token": token, "active": "1"}).status_code == 302
    assert api.get("/api/v1/activities", headers=headers).status_code == 200
    assert not signed_in_with(app, session=old_session, remember=old_remember)


def test_lockout_holds_across_two_app_instances_sharing_one_database(app, db, make):
    """Two processes (two app instances on one database) count into the same lockout."""
    make.user("wanfu")
    db.session.commit()
    config = {
        **_test_config(app.config["SQLALCHEMY_DATABASE_URI"]),
        "LOGIN_LOCKOUT": "3 per 15 minutes",
    }
    first, second = create_app(config), create_app(config)
    try:
        clients = [first.test_client(), second.test_client()]
        for username in ("wanfu", "nobody"):  # a real and an unknown account alike
            statuses = [
                sign_in(clients[n % 2], username, "wrong-password").status_code for n in range(3)
            ]
            assert statuses == [401, 401, 401]
            for browser in clients:
                response = sign_in(browser, username)
                assert response.status_code == 429
                assert "请等待 15 分钟" in response.get_data(as_text=True)
    finally:
        for instance in (first, second):
            with instance.app_context():
                _db.engine.dispose()


def test_the_session_costs_one_query_per_request_and_last_seen_a_write_every_few_minutes(
    app, db, make
):
    from ..statements import counting

    make.user("wanfu")
    db.session.commit()
    browser = app.test_client()
    sign_in(browser, "wanfu", remember=True)
    browser.get("/account/password")
    db.session.commit()
    with counting(db.engine) as log:
        assert browser.get("/account/password").status_code == 200
    assert len(log.statements) == 1 and log.statements[0].startswith("SELECT users."), str(log)

    long_ago = utcnow() - timedelta(minutes=6)
    db.session.execute(update(UserSession).values(last_seen_at=long_ago))
    db.session.commit()
    with counting(db.engine) as log:
        assert browser.get("/account/password").status_code == 200
    assert [s.split()[0] for s in log.statements] == ["SELECT", "UPDATE"], str(log)
    assert db.session.scalar(select(UserSession.last_seen_at)) > long_ago


def test_a_due_last_seen_write_fits_writing_and_reads_first_views(app, db, make):
    """On SQLite a writing view holds the write lock already (the touch joins its
    transaction); a reads-first view writes it aside. Neither waits for itself."""
    make.user("wanfu")
    db.session.commit()
    browser = app.test_client()
    sign_in(browser, "wanfu")

    def make_due():
        db.session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(hours=1)))
        db.session.commit()

    make_due()
    response = change_password(browser, Factory.PASSWORD, "leifeng-2026")  # reads first
    assert response.status_code == 302
    make_due()
    token = csrf_token(browser, "/account/api-tokens")
    make_due()
    response = browser.post("/account/api-tokens", data={"csrf_token": token, "name": "kiosk"})
    assert response.status_code == 200  # a writing view
    assert db.session.scalar(select(UserSession.last_seen_at)) > utcnow() - timedelta(minutes=1)
