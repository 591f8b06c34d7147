"""Invite links: made by the level above, accepted once by the new organizer, scoped, audited."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth import invites
from volunteer_app.auth.models import Invite, Role, User
from volunteer_app.database import utcnow
from volunteer_app.stations.models import UnitLevel

from ..conftest import csrf_token
from ..races import Race
from .test_races import organizer

INVALID = "邀请链接无效或已过期"
PASSWORD = "leifeng-35"


def tree(make):
    """A district with two centres; 万福街道 has two stations, 吕陵镇 one."""
    district = make.unit("菏泽高新区", level=UnitLevel.DISTRICT)
    wanfu = make.unit("万福街道", level=UnitLevel.CENTRE, parent=district)
    lvling = make.unit("吕陵镇", level=UnitLevel.CENTRE, parent=district)
    stations = [make.unit("万福社区", parent=wanfu), make.unit("南城社区", parent=wanfu)]
    other = make.unit("吕陵社区", parent=lvling)
    return district, wanfu, lvling, stations, other


def actions(db, action: str) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
    )


def new_invite_link(html: str) -> str:
    """The path of the link shown once on the page after creating an invite."""
    match = re.search(r'<textarea id="invite-link"[^>]*>([^<]+)</textarea>', html)
    assert match, "no invite link on the page"
    return "/" + match.group(1).strip().split("/", 3)[3]


def create(client, unit, **fields) -> str:
    data = {"unit_id": unit.id, "days": 7, **fields}
    data["csrf_token"] = csrf_token(client, "/accounts/invites")
    response = client.post("/accounts/invites", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-store"
    return new_invite_link(response.get_data(as_text=True))


def accept(client, path, username="wangzz", password=PASSWORD, confirm=None, name="王站长"):
    data = {
        "display_name": name,
        "username": username,
        "password": password,
        "confirm": password if confirm is None else confirm,
        "csrf_token": csrf_token(client, path),
    }
    return client.post(path, data=data)


def made(actor, unit, *, now=None, days=7):
    """An invite made through the service; returns (invite, path)."""
    invite, raw = invites.create_invite(actor, unit_id=unit.id, days=days, now=now or utcnow())
    return invite, f"/invite/{raw}"


# --- create and accept ----------------------------------------------------------------------


def test_a_centre_organizer_invites_a_station_organizer_who_chooses_their_password(
    app, client, make, db, login_as
):
    _, wanfu, _, stations, _ = tree(make)
    inviter = login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu))
    page = client.get("/accounts").get_data(as_text=True)
    assert "/accounts/invites" in page  # linked from the accounts page
    html = client.get("/accounts/invites").get_data(as_text=True)
    assert "万福社区 → 实践站管理员" in html and "吕陵社区" not in html
    path = create(client, stations[0], display_name="王站长", note="微信发给王站长")
    html = client.get("/accounts/invites").get_data(as_text=True)
    assert "微信发给王站长" in html and path.split("/")[-1] not in html  # shown once only
    invite = db.session.scalar(select(Invite))
    assert invite.role == Role.STATION_ORGANIZER and invite.unit_id == stations[0].id
    assert invite.token_hash == invites.hash_token(path.split("/")[-1])
    assert invite.expires_at - invite.created_at == timedelta(days=7)
    assert invite.created_by_id == inviter.id

    newcomer = app.test_client()
    form = newcomer.get(path)
    assert form.status_code == 200 and form.headers["Cache-Control"] == "private, no-store"
    text = form.get_data(as_text=True)
    assert "您受邀成为万福社区的实践站管理员。" in text and 'value="王站长"' in text
    response = accept(newcomer, path)
    assert response.status_code == 302 and response.headers["Location"] == "/activities"
    assert "欢迎，王站长" in newcomer.get("/activities").get_data(as_text=True)  # signed in
    user = db.session.scalar(select(User).where(User.username == "wangzz"))
    assert user.role == Role.STATION_ORGANIZER and user.unit_id == stations[0].id
    assert user.check_password(PASSWORD) and not user.must_change_password
    db.session.refresh(invite)
    assert invite.used_at is not None and invite.used_by_id == user.id
    # used: the link is dead, with the one answer for every bad link
    again = app.test_client().get(path)
    assert again.status_code == 404 and INVALID in again.get_data(as_text=True)
    # the new account signs in with the password it chose
    fresh = app.test_client()
    token = csrf_token(fresh, "/login")
    login = fresh.post(
        "/login", data={"username": "wangzz", "password": PASSWORD, "csrf_token": token}
    )
    assert login.status_code == 302


def test_the_district_admin_invites_for_a_centre_and_the_district(client, make, db, login_as):
    district, wanfu, *_ = tree(make)
    login_as(make.user(role=Role.DISTRICT_ADMIN, unit=district))
    create(client, wanfu)
    create(client, district)
    roles = db.session.scalars(select(Invite.role).order_by(Invite.id)).all()
    assert roles == [Role.CENTRE_ORGANIZER, Role.DISTRICT_ADMIN]


def test_the_new_page_shows_the_link_and_its_qr_code(client, make, db, login_as):
    _, wanfu, _, stations, _ = tree(make)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu))
    token = csrf_token(client, "/accounts/invites")
    response = client.post(
        "/accounts/invites", data={"unit_id": stations[0].id, "days": 3, "csrf_token": token}
    )
    html = response.get_data(as_text=True)
    assert "<svg" in html and "邀请链接二维码" in html and "之后不会再显示" in html
    assert "http://localhost/invite/" in html
    invite = db.session.scalar(select(Invite))
    assert invite.expires_at - invite.created_at == timedelta(days=3)


@pytest.mark.parametrize("days", ["0", "31", "x"])
def test_bad_validity_is_refused_with_a_message(client, make, db, login_as, days):
    _, wanfu, _, stations, _ = tree(make)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu))
    token = csrf_token(client, "/accounts/invites")
    response = client.post(
        "/accounts/invites", data={"unit_id": stations[0].id, "days": days, "csrf_token": token}
    )
    assert response.status_code == 400
    assert "邀请的有效期为 1 到 30 天。" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 0


# --- bad links: used, expired, revoked, forged ---------------------------------------------


def test_expired_revoked_and_forged_links_give_the_same_404(app, client, make, db, login_as):
    _, wanfu, _, stations, _ = tree(make)
    inviter = make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu)
    _, expired = made(inviter, stations[0], now=utcnow() - timedelta(days=2), days=1)
    revoked, revoked_path = made(inviter, stations[1])
    db.session.commit()
    login_as(inviter)
    token = csrf_token(client, "/accounts/invites")
    response = client.post(f"/accounts/invites/{revoked.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    assert "链接已失效" in client.get("/accounts/invites").get_data(as_text=True)
    forged = "/invite/" + invites.new_token()
    stranger = app.test_client()
    csrf = csrf_token(stranger, "/login")
    pages = []
    for path in (expired, revoked_path, forged, "/invite/x", "/invite/" + "é" * 20):
        post = stranger.post(path, data={"username": "x", "csrf_token": csrf})
        for response in (stranger.get(path), post):
            assert response.status_code == 404, path
            pages.append(response.get_data(as_text=True))
    assert all(INVALID in page for page in pages)
    assert len({page.split("<main", 1)[1] for page in pages}) == 1  # one page for all
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_link_revoked_while_the_form_is_open_creates_nothing(app, make, db):
    _, wanfu, _, stations, _ = tree(make)
    inviter = make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu)
    invite, path = made(inviter, stations[0])
    db.session.commit()
    newcomer = app.test_client()
    token = csrf_token(newcomer, path)
    invites.revoke_invite(inviter, invite, now=utcnow())
    db.session.commit()
    data = {"display_name": "王", "username": "wangzz", "password": PASSWORD}
    response = newcomer.post(path, data={**data, "confirm": PASSWORD, "csrf_token": token})
    assert response.status_code == 404 and INVALID in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    assert actions(db, "invite.accept") == []


def test_a_used_invite_cannot_be_revoked(client, make, db, login_as, app):
    _, wanfu, _, stations, _ = tree(make)
    inviter = make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu)
    invite, path = made(inviter, stations[0])
    db.session.commit()
    assert accept(app.test_client(), path).status_code == 302
    login_as(inviter)
    token = csrf_token(client, "/accounts/invites")
    client.post(f"/accounts/invites/{invite.id}/revoke", data={"csrf_token": token})
    assert "该邀请已被使用或已撤销。" in client.get("/accounts/invites").get_data(as_text=True)
    db.session.refresh(invite)
    assert invite.revoked_at is None and invite.used_at is not None
    assert actions(db, "invite.revoke") == []


# --- the invitee's choices -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"password": "short1"}, "密码至少需要 8 个字符。"),
        ({"confirm": "leifeng-36"}, "两次输入的新密码不一致。"),
        ({"username": "leifeng-35"}, "密码不能和用户名相同。"),
        ({"username": "王站长"}, "只能使用字母、数字、点、短横线和下划线。"),
        ({"username": "ab"}, "用户名须为 3 到 64 个字符。"),
        ({"username": "taken"}, "该用户名已被使用。"),
        ({"username": "TAKEN"}, "该用户名已被使用。"),
    ],
)
def test_the_apps_rules_for_username_and_password(app, make, db, fields, message):
    _, wanfu, _, stations, _ = tree(make)
    inviter = make.user("taken", role=Role.CENTRE_ORGANIZER, unit=wanfu)
    invite, path = made(inviter, stations[0])
    db.session.commit()
    response = accept(app.test_client(), path, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.refresh(invite)
    assert invite.used_at is None  # the link still works
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_a_signed_in_organizer_is_asked_to_sign_out_first(client, make, db, login_as):
    _, wanfu, _, stations, _ = tree(make)
    inviter = make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu)
    invite, path = made(inviter, stations[0])
    db.session.commit()
    login_as(inviter)
    page = client.get(path)
    assert page.status_code == 200 and "请先退出登录" in page.get_data(as_text=True)
    response = client.post(
        path, data={"username": "x", "csrf_token": csrf_token(client, "/activities/new")}
    )
    assert response.status_code == 409
    db.session.refresh(invite)
    assert invite.used_at is None


def test_the_invite_page_is_rate_limited_per_address(app, make, db):
    from volunteer_app import create_app
    from volunteer_app.extensions import db as limited_db

    limited = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SECRET_KEY": app.config["SECRET_KEY"],
            "RATELIMIT_ENABLED": True,
            "INVITE_RATE_LIMIT": "3 per minute",
        }
    )
    client = limited.test_client()
    path = "/invite/" + invites.new_token()
    statuses = [client.get(path).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    with limited.app_context():
        limited_db.engine.dispose()


# --- roles and scope -------------------------------------------------------------------------


def test_station_organizers_cannot_invite(client, make, db, login_as):
    _, _, _, stations, _ = tree(make)
    station_user = login_as(make.user(unit=stations[0]))
    token = csrf_token(client, "/activities/new")
    assert client.get("/accounts/invites").status_code == 404
    posts = [
        ("/accounts/invites", {"unit_id": stations[0].id, "days": 7}),
        ("/accounts/invites/stations", {"centre_id": stations[0].parent_id, "days": 7}),
        ("/accounts/invites/links.xlsx", {"token": "x"}),
    ]
    for url, data in posts:
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 404, url
    with pytest.raises(invites.AccountRuleError):
        invites.create_invite(station_user, unit_id=stations[0].id, now=utcnow())
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 0


def test_another_centres_units_and_invites_are_not_found(client, make, db, login_as):
    district, wanfu, lvling, stations, other = tree(make)
    admin = make.user(role=Role.DISTRICT_ADMIN, unit=district)
    theirs, _ = made(admin, other, days=7)
    mine, _ = made(admin, stations[0])
    db.session.commit()
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu))
    token = csrf_token(client, "/accounts/invites")
    for unit in (other, lvling, district):
        data = {"unit_id": unit.id, "days": 7, "csrf_token": token}
        assert client.post("/accounts/invites", data=data).status_code == 404
    data = {"centre_id": lvling.id, "days": 7, "csrf_token": token}
    assert client.post("/accounts/invites/stations", data=data).status_code == 404
    response = client.post(f"/accounts/invites/{theirs.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 404
    html = client.get("/accounts/invites").get_data(as_text=True)
    assert "万福社区" in html and "吕陵社区" not in html  # the list: only my units' invites
    db.session.refresh(theirs)
    assert theirs.revoked_at is None
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 2
    centre_user = db.session.scalar(select(User).where(User.role == Role.CENTRE_ORGANIZER))
    with pytest.raises(invites.AccountRuleError) as error:
        invites.create_invite(centre_user, unit_id=other.id, now=utcnow())
    assert error.value.code == "unit_not_allowed"
    assert mine.revoked_at is None


def test_every_step_is_audited(app, client, make, db, login_as):
    _, wanfu, _, stations, _ = tree(make)
    inviter = login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu))
    path = create(client, stations[0], note="给王站长")
    first = db.session.scalar(select(Invite))
    create(client, stations[1])
    token = csrf_token(client, "/accounts/invites")
    revoked = db.session.scalar(select(Invite).order_by(Invite.id.desc()))
    client.post(f"/accounts/invites/{revoked.id}/revoke", data={"csrf_token": token})
    assert accept(app.test_client(), path).status_code == 302
    created = actions(db, "invite.create")
    assert [e.actor_user_id for e in created] == [inviter.id, inviter.id]
    assert created[0].new_value["unit_id"] == stations[0].id
    assert created[0].new_value["role"] == "station_organizer"
    assert created[0].new_value["invite_id"] == first.id
    (revoke,) = actions(db, "invite.revoke")
    assert revoke.actor_user_id == inviter.id and revoke.old_value["invite_id"] == revoked.id
    (accepted,) = actions(db, "invite.accept")
    user = db.session.scalar(select(User).where(User.username == "wangzz"))
    assert accepted.actor_user_id == user.id
    assert accepted.new_value == {
        "invite_id": first.id,
        "username": "wangzz",
        "role": "station_organizer",
        "unit_id": stations[0].id,
    }
    # no token and no password in the log
    for entry in [*created, revoke, accepted]:
        blob = repr((entry.old_value, entry.new_value, entry.reason))
        assert path.split("/")[-1] not in blob and PASSWORD not in blob


# --- every station of a centre at once ------------------------------------------------------


def test_invites_for_every_station_without_an_organizer_and_their_spreadsheet(
    client, make, db, login_as
):
    _, wanfu, _, stations, other = tree(make)
    empty = make.unit("=HYPERLINK(1)", parent=wanfu)
    left = make.unit("西城社区", parent=wanfu)
    make.user(unit=stations[0])  # 万福社区 has an organizer
    gone = make.user(unit=left)
    gone.is_active = False  # a disabled one does not count
    inviter = make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu)
    made(inviter, stations[1])  # 南城社区 has an open invite
    db.session.commit()
    login_as(inviter)
    token = csrf_token(client, "/accounts/invites")
    data = {"centre_id": wanfu.id, "days": 14, "csrf_token": token}
    response = client.post("/accounts/invites/stations", data=data)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    html = response.get_data(as_text=True)
    assert "2 个新链接" in html
    assert "已有管理员的实践站" in html and "已有未使用邀请的实践站" in html
    raws = re.findall(r'name="token" value="([^"]+)"', html)
    assert len(raws) == 2
    for raw in raws:
        assert f"http://localhost/invite/{raw}" in html
    fresh = db.session.scalars(select(Invite).where(Invite.unit_id.in_([empty.id, left.id])))
    assert all(i.expires_at - i.created_at == timedelta(days=14) for i in fresh)
    assert len(actions(db, "invite.create")) == 3

    # the spreadsheet: unit and link for each, no password; forged or foreign tokens dropped
    _, their_path = made(make.user(role=Role.CENTRE_ORGANIZER, unit=other.parent), other)
    db.session.commit()
    export = {"token": [*raws, invites.new_token(), their_path.split("/")[-1]], "csrf_token": token}
    response = client.post("/accounts/invites/links.xlsx", data=export)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["单位", "角色", "邀请链接", "有效期至"]
    assert sorted(r[0] for r in rows[1:]) == ["'=HYPERLINK(1)", "西城社区"]
    assert {r[2] for r in rows[1:]} == {f"http://localhost/invite/{raw}" for raw in raws}
    assert all(r[1] == "实践站管理员" for r in rows[1:])
    assert "吕陵社区" not in repr(rows)

    # a second batch finds every station invited or staffed
    response = client.post("/accounts/invites/stations", data=data)
    assert "没有新链接" in response.get_data(as_text=True)
    assert len(actions(db, "invite.create")) == 4  # the three above and 吕陵社区's
    # links that can no longer be used export nothing
    response = client.post(
        "/accounts/invites/links.xlsx", data={"token": [invites.new_token()], "csrf_token": token}
    )
    assert response.status_code == 302


def test_a_batch_needs_a_centre(client, make, db, login_as):
    district, *_ = tree(make)
    login_as(make.user(role=Role.DISTRICT_ADMIN, unit=district))
    token = csrf_token(client, "/accounts/invites")
    data = {"centre_id": district.id, "days": 7, "csrf_token": token}
    response = client.post("/accounts/invites/stations", data=data)
    assert response.status_code == 400
    assert "请选择一个实践所" in response.get_data(as_text=True)


# --- races ---------------------------------------------------------------------------------


def test_two_people_opening_one_link_at_once_create_one_account(app, make, db):
    """The claim is one conditional UPDATE: the held acceptance finds the link used."""
    _, wanfu, _, stations, _ = tree(make)
    inviter = make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu)
    invite, path = made(inviter, stations[0])
    race = Race(app, db)

    def accept_as(username):
        def run(go):
            client = app.test_client()
            token = csrf_token(client, path)
            go()
            data = {"display_name": username, "username": username, "password": PASSWORD}
            response = client.post(path, data={**data, "confirm": PASSWORD, "csrf_token": token})
            return response.status_code

        return run

    race.actor("first", accept_as("first"))
    race.actor("second", accept_as("second"))
    results = race.run(hold="first")
    assert results == {"first": 404, "second": 302}
    newcomers = db.session.scalars(select(User).where(User.id != inviter.id)).all()
    assert [u.username for u in newcomers] == ["second"]
    db.session.refresh(invite)
    assert invite.used_by_id == newcomers[0].id
    assert len(actions(db, "invite.accept")) == 1


def test_a_double_submitted_batch_invites_each_station_once(app, make, db):
    """The centre's row is locked (PostgreSQL; SQLite's write lock): the second batch
    sees the first one's invites."""
    _, wanfu, _, stations, _ = tree(make)
    inviter = make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu)
    centre_id = wanfu.id
    race = Race(app, db)

    def batch(go):
        client = organizer(app, inviter)
        token = csrf_token(client, "/accounts/invites")
        go()
        data = {"centre_id": centre_id, "days": 7, "csrf_token": token}
        return client.post("/accounts/invites/stations", data=data).status_code

    race.actor("first", batch)
    race.actor("second", batch)
    assert race.run(hold="first") == {"first": 200, "second": 200}
    units = db.session.scalars(select(Invite.unit_id).order_by(Invite.unit_id)).all()
    assert units == sorted(s.id for s in stations)
    assert len(actions(db, "invite.create")) == 2


@pytest.mark.parametrize("unit_id", ["99999999999999999999", "-1", "abc", ""])
def test_odd_unit_ids_are_refused_without_500(client, make, db, login_as, unit_id):
    _, wanfu, *_ = tree(make)
    login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu))
    token = csrf_token(client, "/accounts/invites")
    for url, name in (
        ("/accounts/invites", "unit_id"),
        ("/accounts/invites/stations", "centre_id"),
    ):
        response = client.post(url, data={name: unit_id, "days": 7, "csrf_token": token})
        assert response.status_code in (400, 404), (url, response.status_code)
    assert db.session.scalar(select(func.count()).select_from(Invite)) == 0


def test_two_invitees_choosing_one_username_at_once_get_one_account(app, make, db):
    """The unique index decides; the loser gets the "taken" message and keeps their link."""
    _, wanfu, _, stations, _ = tree(make)
    inviter = make.user(role=Role.CENTRE_ORGANIZER, unit=wanfu)
    paths = {name: made(inviter, unit)[1] for name, unit in zip(("a", "b"), stations, strict=True)}
    race = Race(app, db)

    def accept_at(path):
        def run(go):
            client = app.test_client()
            token = csrf_token(client, path)
            go()
            data = {"display_name": "王", "username": "wangzz", "password": PASSWORD}
            response = client.post(path, data={**data, "confirm": PASSWORD, "csrf_token": token})
            return response.status_code, "该用户名已被使用。" in response.get_data(as_text=True)

        return run

    race.actor("a", accept_at(paths["a"]))
    race.actor("b", accept_at(paths["b"]))
    results = race.run(hold="a")
    assert results == {"a": (400, True), "b": (302, False)}
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    used = db.session.scalars(select(Invite.unit_id).where(Invite.used_at.is_not(None))).all()
    assert used == [stations[1].id]


def test_a_disabled_makers_links_open_nothing_until_they_are_enabled_again(
    client, make, db, login_as
):
    """Disabling an organizer pauses the invite links they gave out: a link passed on
    before a centre organizer left must not create an account; enabling them restores it."""
    district, wanfu, _, stations, _ = tree(make)
    admin = make.user("admin", role=Role.DISTRICT_ADMIN, unit=district)
    maker = make.user("wanfu", role=Role.CENTRE_ORGANIZER, unit=wanfu)
    _, path = made(maker, stations[0])
    db.session.commit()
    login_as(admin)
    data = {"active": "0", "csrf_token": csrf_token(client, "/accounts")}
    assert client.post(f"/accounts/{maker.id}/active", data=data).status_code == 302
    page = client.get("/accounts/invites").get_data(as_text=True)
    assert "已暂停：创建它的账号已停用" in page
    client.post("/logout", data={"csrf_token": csrf_token(client, "/accounts")})

    assert INVALID in client.get(path).get_data(as_text=True)
    data = {"display_name": "王站长", "username": "wangzz", "password": PASSWORD}
    data.update(confirm=PASSWORD, csrf_token=csrf_token(client, "/login"))
    assert client.post(path, data=data).status_code == 404
    assert db.session.scalar(select(func.count()).select_from(User)) == 2

    db.session.execute(User.__table__.update().values(is_active=True))
    db.session.commit()
    response = accept(client, path)
    assert response.status_code == 302
    assert (
        db.session.scalar(select(User).where(User.username == "wangzz")).unit_id == stations[0].id
    )
