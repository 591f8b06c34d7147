"""The organizer's team pages (/teams): creating and editing a team, disabling it, renewing
its join link, its members, adding one's own volunteers, and who manages which team."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.stations.models import UnitLevel
from volunteer_app.teams.models import JoinMode, MemberStatus, Team, TeamMember
from volunteer_app.volunteers.cards import issue_card

from ..conftest import csrf_token


def fields(**overrides) -> dict:
    """A valid team form: a clinic's medical team."""
    return {
        "name": "医护志愿服务队",
        "kind": "1",
        "host_type": "03",
        "host_name": "万福社区卫生服务中心",
        "contact_name": "张医生",
        "contact_phone": "13812345678",
        "intro": "上门测血压",
        "join_mode": "1",
        "join_code": "",
        **overrides,
    }


def post(client, url, data=None, *, page=None):
    """POST ``data`` with a CSRF token taken from ``page`` (``url`` by default)."""
    token = csrf_token(client, page or url)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def actions(db, action=None) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))


def flashes(client, response) -> list[str]:
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    return re.findall(r'<p class="flash[^"]*" role="status">(.*?)</p>', html)


@pytest.fixture
def station(make, db):
    """A station under a centre, with two categories."""
    centre = make.unit("万福街道", level=UnitLevel.CENTRE)
    unit = make.unit("万福一站", parent=centre)
    make.category("health")
    make.category("environment")
    db.session.commit()
    return unit


def test_create_shows_every_problem_at_once_and_writes_nothing(client, make, db, login_as):
    login_as(make.user())
    ids = [make.category(code).id for code in ("a", "b", "c", "d", "e")]
    db.session.commit()
    data = fields(name=" ", contact_phone="12ab", join_mode="4", join_code="", categories=ids)
    response = post(client, "/teams/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in (
        "请选择单位。",  # the form's own check, shown with the rules' problems
        "请填写队伍名称。",
        "请填写 11 位手机号或固定电话。",
        "服务类别最多选 4 个。",
        "请设置 4–12 位字母或数字的入队密码。",
    ):
        assert message in html, message
    assert db.session.scalar(select(func.count()).select_from(Team)) == 0
    assert [e for e in actions(db) if e.action.startswith("team.")] == []


def test_create_a_team_and_its_name_is_unique_within_its_unit(client, make, db, login_as, station):
    user = login_as(make.user(role=Role.CENTRE_ORGANIZER, unit=station.parent))
    health = make.category("health")
    db.session.commit()
    data = fields(unit_id=station.id, categories=[health.id])
    response = post(client, "/teams/new", data)
    assert response.status_code == 302
    team = db.session.scalar(select(Team))
    assert response.headers["Location"] == f"/teams/{team.id}"
    assert (team.unit_id, team.name, team.created_by_id) == (station.id, "医护志愿服务队", user.id)
    assert [c.code for c in team.categories] == ["health"]
    (entry,) = actions(db, "team.create")
    assert entry.new_value["team_id"] == team.id and entry.actor_user_id == user.id
    assert entry.new_value["categories"] == ["health"]
    # the same name again in the same unit: told beside the name field
    again = post(client, "/teams/new", data, page="/teams/new")
    html = again.get_data(as_text=True)
    assert again.status_code == 409
    assert re.search(r'id="name-error">本单位已有同名队伍。', html)
    # in another unit (the centre itself) the name is free
    elsewhere = post(client, "/teams/new", data | {"unit_id": station.parent_id})
    assert elsewhere.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Team)) == 2


def test_edit_is_audited_with_the_changed_fields_only(client, make, db, login_as, station):
    user = login_as(make.user(unit=station))
    team = make.team(station, name="医护志愿服务队", contact_phone="13812345678")
    db.session.commit()
    url = f"/teams/{team.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'value="医护志愿服务队"' in page
    data = fields(name="万福医护队", contact_phone="0530-1234567", join_mode="4")
    data["join_code"] = "LEIFENG"
    response = post(client, url, data)
    assert response.status_code == 302
    db.session.refresh(team)
    assert (team.name, team.join_mode, team.join_code) == ("万福医护队", JoinMode.CODE, "LEIFENG")
    (entry,) = actions(db, "team.update")
    assert entry.actor_user_id == user.id
    assert entry.old_value == {
        "team_id": team.id,
        "name": "医护志愿服务队",
        "contact_name": "",
        "contact_phone": "13812345678",
        "intro": "",
        "join_mode": "1",
    }
    assert entry.new_value == {
        "team_id": team.id,
        "name": "万福医护队",
        "contact_name": "张医生",
        "contact_phone": "0530-1234567",
        "intro": "上门测血压",
        "join_mode": "4",
        "join_code_changed": True,
    }
    assert "LEIFENG" not in str(entry.new_value)  # the join code is never logged
    # saving again unchanged writes no entry
    assert post(client, url, data).status_code == 302
    assert len(actions(db, "team.update")) == 1


def test_the_contact_number_is_in_full_on_the_team_page_only(client, make, db, login_as, station):
    login_as(make.user(unit=station))
    team = make.team(station, name="医护志愿服务队", contact_phone="13812345678")
    db.session.commit()
    listing = client.get("/teams").get_data(as_text=True)
    assert "医护志愿服务队" in listing and "138****5678" in listing
    assert "13812345678" not in listing
    detail = client.get(f"/teams/{team.id}")
    assert detail.status_code == 200 and detail.headers["Cache-Control"] == "no-store"
    assert "13812345678" in detail.get_data(as_text=True)


def test_disable_and_enable(app, client, make, db, login_as, station):
    login_as(make.user(unit=station))
    team = make.team(station, join_mode=JoinMode.OPEN)
    db.session.commit()
    url = f"/teams/{team.id}"
    assert flashes(client, post(client, url + "/disable", page=url)) == [f"{team.name} 已停用。"]
    db.session.refresh(team)
    assert team.disabled_at is not None
    assert "已停用" in client.get("/teams").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    assert "该队伍已停用：成员和记录保留" in page and f"{url}/enable" in page
    assert post(client, url + "/disable", page=url).status_code == 302  # twice: no change
    assert post(client, url + "/enable", page=url).status_code == 302
    db.session.refresh(team)
    assert team.disabled_at is None
    assert [e.action for e in actions(db) if e.action.startswith("team.")] == [
        "team.disable",
        "team.enable",
    ]
    assert actions(db, "team.disable")[0].new_value == {"team_id": team.id, "disabled": True}


def test_renewing_the_key_ends_the_old_link_and_card(app, client, make, db, login_as, station):
    login_as(make.user(unit=station))
    team = make.team(station)
    db.session.commit()
    old = team.join_key
    url = f"/teams/{team.id}"
    card = client.get(url + "/card").get_data(as_text=True)
    assert f"/t/{old}" in card and "<svg" in card
    assert client.get(f"/t/{old}").status_code == 200
    # not confirmed: nothing changes
    response = post(client, url + "/renew-key", page=url)
    assert flashes(client, response) == ["请勾选以确认。"]
    db.session.refresh(team)
    assert team.join_key == old
    response = post(client, url + "/renew-key", {"confirm": "y"}, page=url)
    assert response.headers["Location"] == url + "#join"
    db.session.refresh(team)
    assert team.join_key != old
    assert client.get(f"/t/{old}").status_code == 404
    assert client.get(f"/t/{team.join_key}").status_code == 200
    assert f"/t/{team.join_key}" in client.get(url + "/card").get_data(as_text=True)
    (entry,) = actions(db, "team.renew_key")
    assert old not in str(entry.new_value) and team.join_key not in str(entry.new_value)


def test_the_card_never_prints_the_join_code(client, make, db, login_as, station):
    login_as(make.user(unit=station))
    team = make.team(station, join_mode=JoinMode.CODE, join_code="LEIFENG35")
    db.session.commit()
    card = client.get(f"/teams/{team.id}/card")
    html = card.get_data(as_text=True)
    assert card.status_code == 200
    assert team.name in html and station.name in html
    assert "LEIFENG35" not in html
    assert "入队密码" in html  # the join mode in words
    detail = client.get(f"/teams/{team.id}").get_data(as_text=True)
    assert 'id="join-code">LEIFENG35<' in detail  # its organizers see it, to tell it


def test_members_approve_reject_remove_and_leaders(client, make, db, login_as, station):
    user = login_as(make.user(unit=station))
    team = make.team(station)
    asking = make.member(team, make.volunteer("王秀兰"), status=MemberStatus.PENDING)
    refused = make.member(team, make.volunteer("赵大妈"), status=MemberStatus.PENDING)
    member = make.member(team, make.volunteer("李秀英", phone="13812345678"))
    activity = make.activity(station, team_id=team.id, title="义诊")
    db.session.add(
        CheckIn(
            activity=activity,
            volunteer=member.volunteer,
            checked_in_at=activity.starts_at,
            checked_out_at=activity.starts_at + timedelta(minutes=90),
            minutes=90,
            status=HoursStatus.CONFIRMED,
        )
    )
    other_team = make.team(station)
    elsewhere = make.member(other_team)
    db.session.commit()
    url = f"/teams/{team.id}"
    page = client.get(url).get_data(as_text=True)
    assert "王秀兰" in page and "138****5678" in page and "13812345678" not in page
    assert "在本队已确认 1.5 小时" in page
    assert f'href="/activities/{activity.id}"' in page
    members = f"{url}/members"
    response = post(client, f"{members}/{asking.id}/approve", page=url)
    assert flashes(client, response) == ["王秀兰 已成为队伍成员。"]
    response = post(client, f"{members}/{refused.id}/reject", page=url)
    assert flashes(client, response) == ["已拒绝 赵大妈 的入队申请。"]
    response = post(client, f"{members}/{refused.id}/approve", page=url)  # answered already
    assert flashes(client, response) == ["该申请已处理。"]
    response = post(client, f"{members}/{member.id}/leader", page=url)
    assert flashes(client, response) == ["李秀英 已被设为队长。"]
    page = client.get(url).get_data(as_text=True)
    assert 'class="badge badge-published">队长' in page
    assert "李秀英" in client.get("/teams").get_data(as_text=True)  # the leader's name listed
    response = post(client, f"{members}/{member.id}/unleader", page=url)
    assert flashes(client, response) == ["李秀英 不再是队长。"]
    post(client, f"{members}/{member.id}/leader", page=url)
    response = post(client, f"{members}/{member.id}/remove", page=url)  # an organizer may
    assert flashes(client, response) == ["已将 李秀英 移出队伍。"]
    # another team's membership through this team's URL: not found, nothing changed
    for verb in ("approve", "reject", "remove", "leader", "unleader"):
        assert post(client, f"{members}/{elsewhere.id}/{verb}", page=url).status_code == 404
    db.session.expire_all()
    assert [asking.status, refused.status, member.status, member.is_leader] == [
        MemberStatus.ACTIVE,
        MemberStatus.REJECTED,
        MemberStatus.REMOVED,
        False,
    ]
    assert elsewhere.status == MemberStatus.ACTIVE
    assert [e.action for e in actions(db) if e.action.startswith("team.")] == [
        "team.approve",
        "team.reject",
        "team.leader",
        "team.unleader",
        "team.leader",
        "team.remove",
    ]
    assert all(e.actor_user_id == user.id for e in actions(db, "team.approve"))


def _search(client, team, query):
    url = f"/teams/{team.id}"
    return post(client, url + "/members", {"q": query}, page=url)


def test_add_one_of_ones_own_volunteers_by_search_or_card(app, client, make, db, login_as, station):
    login_as(make.user(unit=station))
    team = make.team(station, join_mode=JoinMode.CLOSED)
    ours = make.volunteer("李秀英", phone="13812345678", registered_unit_id=station.id)
    card_holder = make.volunteer("王建国", phone="13712345679", registered_unit_id=station.id)
    db.session.commit()
    for query in ("秀英", "13812345678", "5678"):
        found = _search(client, team, query)
        html = found.get_data(as_text=True)
        assert found.status_code == 200, query
        assert f'id="pick-{ours.id}"' in html and "138****5678" in html, query
        if query != "13812345678":  # the search box shows what was typed, nothing more
            assert "13812345678" not in html, query
    refused = _search(client, team, "345678")  # 5 to 10 digits would unmask a number
    assert refused.status_code == 400
    assert "后 4 位" in refused.get_data(as_text=True)
    url = f"/teams/{team.id}"
    response = post(client, url + "/members", {"volunteer_id": ours.id}, page=url)
    assert flashes(client, response) == ["李秀英 已成为队伍成员。"]
    code = issue_card(app.config["SECRET_KEY"], card_holder.card_key)
    response = post(client, url + "/members", {"card": code}, page=url)
    assert flashes(client, response) == ["王建国 已成为队伍成员。"]
    response = post(client, url + "/members", {"volunteer_id": ours.id}, page=url)
    assert flashes(client, response) == ["您已经是该队伍的成员。"]
    statuses = db.session.execute(select(TeamMember.volunteer_id, TeamMember.status)).all()
    assert sorted(statuses) == sorted(
        [(ours.id, MemberStatus.ACTIVE), (card_holder.id, MemberStatus.ACTIVE)]
    )
    assert len(actions(db, "team.add")) == 2
    assert f'id="pick-{ours.id}"' in _search(client, team, "秀英").get_data(as_text=True)


def test_a_strangers_number_card_or_id_is_not_found_and_nothing_is_written(
    app, client, make, db, login_as, station
):
    login_as(make.user(unit=station))
    team = make.team(station)
    lvling = make.unit("吕陵镇", level=UnitLevel.CENTRE)
    stranger = make.volunteer("吕陵的志愿者", phone="13912345678", registered_unit_id=lvling.id)
    db.session.commit()
    url = f"/teams/{team.id}"
    secret = app.config["SECRET_KEY"]
    before = (len(actions(db)), db.session.scalar(select(func.count()).select_from(TeamMember)))
    for theirs, nobody in (
        ({"volunteer_id": stranger.id}, {"volunteer_id": 2_000_000_000}),
        ({"volunteer_id": stranger.id}, {"volunteer_id": "x"}),
        ({"card": issue_card(secret, stranger.card_key)}, {"card": issue_card(secret, "n" * 16)}),
    ):
        a = post(client, url + "/members", theirs, page=url)
        told_a = (a.status_code, flashes(client, a))
        b = post(client, url + "/members", nobody, page=url)
        assert told_a == (b.status_code, flashes(client, b))
        assert told_a[0] == 302 and len(told_a[1]) == 1
    for query in ("13912345678", "5678", "吕陵的志愿者"):
        html = _search(client, team, query).get_data(as_text=True)
        assert f'id="pick-{stranger.id}"' not in html and "139****5678" not in html
        assert "在您的志愿者中没有找到" in html
    assert (
        len(actions(db)),
        db.session.scalar(select(func.count()).select_from(TeamMember)),
    ) == before


def test_a_centre_organizer_manages_its_stations_teams_and_a_station_not_a_siblings(
    client, make, db, login_as, station
):
    sibling = make.unit("万福二站", parent=station.parent)
    ours = make.team(station, name="一站的队伍")
    theirs = make.team(sibling, name="二站的队伍")
    member = make.member(theirs)
    centre_user = make.user(role=Role.CENTRE_ORGANIZER, unit=station.parent)
    station_user = make.user(unit=station)
    db.session.commit()
    login_as(centre_user)
    listing = client.get("/teams").get_data(as_text=True)
    assert "一站的队伍" in listing and "二站的队伍" in listing
    only_sibling = client.get(f"/teams?unit={sibling.id}").get_data(as_text=True)
    assert "二站的队伍" in only_sibling and "一站的队伍" not in only_sibling
    assert client.get(f"/teams/{theirs.id}").status_code == 200
    assert post(client, f"/teams/{theirs.id}/disable", page="/teams").status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/teams")})
    login_as(station_user)
    listing = client.get("/teams").get_data(as_text=True)
    assert "一站的队伍" in listing and "二站的队伍" not in listing
    assert client.get(f"/teams?unit={sibling.id}").status_code == 404
    token = csrf_token(client, f"/teams/{ours.id}")
    for path in (
        "",
        "/edit",
        "/card",
        "/disable",
        "/enable",
        "/renew-key",
        "/members",
        f"/members/{member.id}/approve",
        f"/members/{member.id}/remove",
        f"/members/{member.id}/leader",
    ):
        url = f"/teams/{theirs.id}{path}"
        get = client.get(url).status_code
        posted = client.post(url, data={"csrf_token": token, "confirm": "y"}).status_code
        assert 404 in (get, posted) and posted in (404, 405), (url, get, posted)
    # a station organizer may not create a team for the sibling either
    data = fields(unit_id=sibling.id)
    assert post(client, "/teams/new", data).status_code == 400  # not among the choices
    assert db.session.scalar(select(func.count()).select_from(Team)) == 2
