"""Activities run by a team: the form's team picker and "members only" (指定志愿队伍招募),
the team shown where the activity is, and the volunteers' own ways in refused to non-members."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from volunteer_app.activities.models import Activity, Signup
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.stations.models import UnitLevel

from ..conftest import csrf_token
from .test_activity_audit import rendered_form
from .test_identity import PIN, sign_in, with_pin

LONG_NAME = "万福社区卫生服务中心医护志愿服务队"


def network(make):
    """A centre with two stations; a team at each station, one at the centre, one disabled."""
    centre = make.unit(level=UnitLevel.CENTRE, name="万福街道")
    mine = make.unit(name="万福社区卫生服务中心", parent=centre)
    other = make.unit(name="别的站点", parent=centre)
    return {
        "centre": centre,
        "mine": mine,
        "other": other,
        "own": make.team(mine, name=LONG_NAME),
        "above": make.team(centre, name="万福街道青年志愿服务队"),
        "theirs": make.team(other, name="别的站点志愿服务队"),
        "disabled": make.team(mine, name="已停用的队伍", disabled_at=utcnow()),
    }


def new_activity_data(client, unit, category, **fields):
    return {
        "csrf_token": csrf_token(client, "/activities/new"),
        "title": "学雷锋义诊",
        "category_id": category.id,
        "unit_id": unit.id,
        "place": "门前广场",
        "starts_at": "2030-03-05T08:30",
        "ends_at": "2030-03-05T11:30",
        "capacity": "",
        "description": "",
        **fields,
    }


def option_labels(html: str, name: str) -> list[str]:
    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', html, flags=re.S).group(0)
    return re.findall(r"<option[^>]*>([^<]*)</option>", select_html)


def error_beside(html: str, field: str) -> str:
    match = re.search(rf'id="{field}-error">([^<]*)<', html)
    return match.group(1) if match else ""


def test_the_picker_offers_the_active_teams_of_the_unit_and_the_units_above(
    client, make, db, login_as
):
    teams = network(make)
    login_as(make.user(unit=teams["mine"]))
    labels = option_labels(client.get("/activities/new").get_data(as_text=True), "team_id")
    assert labels[0] == "不指定队伍（由站点承办）"
    assert f"{LONG_NAME}（万福社区卫生服务中心）" in labels
    assert "万福街道青年志愿服务队（万福街道）" in labels
    assert not any("别的站点" in label or "已停用" in label for label in labels)


def test_an_activity_is_created_with_its_team_and_members_only(client, make, db, login_as):
    teams = network(make)
    category = make.category()
    login_as(make.user(unit=teams["mine"]))
    data = new_activity_data(
        client, teams["mine"], category, team_id=teams["above"].id, members_only="y"
    )
    assert client.post("/activities/new", data=data).status_code == 302
    activity = db.session.scalar(select(Activity))
    assert activity.team_id == teams["above"].id and activity.members_only is True
    created = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "activity.create"))
    assert created.new_value["team_id"] == teams["above"].id
    assert created.new_value["members_only"] is True
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "承办队伍：万福街道青年志愿服务队" in page and "仅限本队成员" in page


def test_a_forged_team_of_another_station_is_a_form_error(client, make, db, login_as):
    teams = network(make)
    category = make.category()
    login_as(make.user(unit=teams["mine"]))
    for forged in (teams["theirs"].id, teams["disabled"].id, 999_999):
        data = new_activity_data(client, teams["mine"], category, team_id=forged)
        response = client.post("/activities/new", data=data)
        assert response.status_code == 400, forged
        html = response.get_data(as_text=True)
        assert error_beside(html, "team_id") in (
            "请选择本站点或上级单位的志愿队伍。",
            "该队伍已停用，不能承办新活动。",
        ), forged
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_a_district_admin_cannot_give_a_station_the_team_of_another_station(
    client, make, db, login_as
):
    teams = network(make)
    category = make.category()
    district = teams["centre"].parent
    login_as(make.user(role=Role.DISTRICT_ADMIN, unit=district))
    html = client.get("/activities/new").get_data(as_text=True)
    assert "别的站点志愿服务队（别的站点）" in option_labels(html, "team_id")  # offered ...
    data = new_activity_data(client, teams["mine"], category, team_id=teams["theirs"].id)
    response = client.post("/activities/new", data=data)  # ... but not for this station
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "team_id")


def test_members_only_without_a_team_is_an_error_beside_the_checkbox(client, make, db, login_as):
    station = make.unit()
    category = make.category()
    login_as(make.user(unit=station))
    data = new_activity_data(client, station, category, team_id="", members_only="y")
    response = client.post("/activities/new", data=data)
    assert response.status_code == 400
    message = error_beside(response.get_data(as_text=True), "members_only")
    assert message.startswith("请先选择负责队伍")
    assert db.session.scalar(select(func.count()).select_from(Activity)) == 0


def test_editing_the_team_is_logged_by_the_team_s_name(client, make, db, login_as):
    teams = network(make)
    start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    activity = make.activity(teams["mine"], starts_at=start)
    login_as(make.user(unit=teams["mine"]))
    url = f"/activities/{activity.id}/edit"
    data = rendered_form(client, url)
    assert data["team_id"] == ""
    response = client.post(url, data={**data, "team_id": teams["own"].id, "members_only": "y"})
    assert response.status_code == 302
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "activity.update"))
    assert entry.old_value == {"team_id": None, "members_only": False}
    assert entry.new_value == {"team_id": teams["own"].id, "members_only": True}
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert f"负责队伍：— → {LONG_NAME}" in page
    assert "仅限本队成员报名：否 → 是" in page

    # A team disabled since stays on the activity's form and may be kept.
    teams["own"].disabled_at = utcnow()
    db.session.commit()
    data = rendered_form(client, url)
    assert data["team_id"] == str(teams["own"].id)
    assert client.post(url, data={**data, "title": "改个名字"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Activity, activity.id).team_id == teams["own"].id


def test_the_team_is_shown_to_volunteers_on_the_poster_and_the_projector(
    client, make, db, login_as
):
    team = make.team(name=LONG_NAME)
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    activity = make.activity(team.unit, starts_at=start, team_id=team.id, members_only=True)
    db.session.commit()
    for url in ("/discover", f"/discover/{activity.id}"):
        assert f"承办队伍：{LONG_NAME}" in client.get(url).get_data(as_text=True), url
    login_as(make.user(unit=team.unit))
    for url in (f"/activities/{activity.id}/poster", f"/activities/{activity.id}/projector"):
        html = client.get(url).get_data(as_text=True)
        assert 'class="team-line' in html and f"承办队伍：{LONG_NAME}" in html, url


# --- members only: the volunteer's own ways in ---------------------------------------------


def members_only_activity(make, *, starts_at=None):
    team = make.team(name="吕陵镇青年志愿服务队")
    activity = make.activity(team.unit, starts_at=starts_at, team_id=team.id, members_only=True)
    return team, activity


def post(client, url, **data):
    return client.post(url, data={"csrf_token": csrf_token(client, "/me/sign-in"), **data})


def test_a_non_member_cannot_sign_up_a_member_can(app, client, make, db):
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    team, activity = members_only_activity(make, starts_at=start)
    stranger = with_pin(make.volunteer("陌生人", phone="13812340001"))
    member = with_pin(make.volunteer("队员", phone="13812340002"))
    make.member(team, member)
    db.session.commit()
    page = f"/discover/{activity.id}"
    sign_in(client, "13812340001", PIN)
    shown = client.get(page).get_data(as_text=True)  # said before trying, without a button
    assert "本活动仅限「吕陵镇青年志愿服务队」成员报名参加。" in shown
    assert f'action="{page}/sign-up"' not in shown
    refused = post(client, f"{page}/sign-up")
    assert refused.status_code == 302
    html = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "本活动仅限「吕陵镇青年志愿服务队」成员报名参加。" in html
    assert db.session.scalar(select(func.count()).select_from(Signup)) == 0

    theirs = app.test_client()  # the member's own phone
    sign_in(theirs, "13812340002", PIN)
    assert f'action="{page}/sign-up"' in theirs.get(page).get_data(as_text=True)
    assert post(theirs, f"{page}/sign-up").status_code == 302
    (signup,) = db.session.scalars(select(Signup))
    assert signup.volunteer_id == member.id and stranger.id != member.id


def test_a_non_member_s_own_scan_is_refused_with_the_team_named(app, client, make, db):
    _team, activity = members_only_activity(make)
    with_pin(make.volunteer("陌生人", phone="13812340003"))
    db.session.commit()
    sign_in(client, "13812340003", PIN)
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    shown = client.get(path).get_data(as_text=True)
    assert "本活动仅限「吕陵镇青年志愿服务队」成员报名参加。" in shown  # said up front
    data = {"csrf_token": csrf_token(client, path), "action": "check_in"}
    response = client.post(path, data=data)
    assert response.status_code == 403
    assert "本活动仅限「吕陵镇青年志愿服务队」成员报名参加。" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_a_member_s_own_scan_checks_in(app, client, make, db):
    team, activity = members_only_activity(make)
    make.member(team, with_pin(make.volunteer("队员", phone="13812340004")))
    db.session.commit()
    sign_in(client, "13812340004", PIN)
    path = "/c/" + issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    data = {"csrf_token": csrf_token(client, path), "action": "check_in"}
    response = client.post(path, data=data)
    assert response.status_code == 200 and "签到成功" in response.get_data(as_text=True)


def test_the_organizer_s_desk_is_not_refused(client, make, db, login_as):
    team, activity = members_only_activity(make)
    stranger = make.volunteer("陌生人", phone="13812340005", registered_unit_id=team.unit_id)
    login_as(make.user(unit=team.unit))
    url = f"/activities/{activity.id}/checkin"
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "volunteer_ids": [str(stranger.id)],
            "action": "check_in",
        },
    )
    assert response.status_code == 302
    record = db.session.scalar(select(CheckIn).where(CheckIn.volunteer_id == stranger.id))
    assert record is not None and record.self_made is False
