"""Teams over the API: the caller's teams only, one team, its active members and their hours
for the team; and the members-only rule on the volunteer's own check-in by the API."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.teams.models import HostType, MemberStatus

from ..routes.test_identity import PIN, with_pin
from .test_api import error_code


def served(db, activity, volunteer, minutes, *, status=HoursStatus.CONFIRMED, voided=False):
    """A finished record of ``minutes`` at ``activity``."""
    record = checkins.check_in(activity, volunteer, now=activity.starts_at)
    record.checked_out_at = activity.starts_at + timedelta(minutes=minutes)
    record.minutes, record.status = minutes, status
    if voided:
        record.voided_at = utcnow()
    db.session.flush()
    return record


def test_the_list_holds_the_caller_s_teams_only_and_filters_by_unit(client, db, make, api):
    mine = make.team(
        api.activity.unit,
        name="万福社区卫生服务中心医护志愿服务队",
        host_type=HostType.HEALTH,
        contact_phone="13800002001",
    )
    make.member(mine)
    make.member(mine, status=MemberStatus.LEFT)
    make.team(name="别的站点的队伍")
    db.session.commit()
    response = client.get("/api/v1/teams", headers=api.headers)
    assert response.status_code == 200
    body = response.json
    assert body["total"] == 1 and body["page"] == 1
    (team,) = body["items"]
    assert team["id"] == mine.id and team["unit_id"] == api.activity.unit_id
    assert team["host_type"] == "03" and team["members"] == 1 and team["active"] is True
    assert team["contact_phone"] == "138****2001"
    one_unit = client.get(f"/api/v1/teams?unit={api.activity.unit_id}", headers=api.headers)
    assert one_unit.json["total"] == 1
    other_unit = make.unit()
    db.session.commit()
    none = client.get(f"/api/v1/teams?unit={other_unit.id}", headers=api.headers)
    assert none.status_code == 200 and none.json["total"] == 0
    bad = client.get("/api/v1/teams?unit=abc", headers=api.headers)
    assert bad.status_code == 400 and error_code(bad) == "invalid_parameter"


def test_a_team_outside_the_scope_is_404(client, db, make, api):
    theirs = make.team(name="别的站点的队伍")
    db.session.commit()
    for url in (f"/api/v1/teams/{theirs.id}", f"/api/v1/teams/{theirs.id}/members"):
        response = client.get(url, headers=api.headers)
        assert response.status_code == 404 and error_code(response) == "http_404", url
    assert client.get(f"/api/v1/teams/{theirs.id}").status_code == 401


def test_members_with_their_confirmed_hours_for_the_team(client, db, make, api):
    team = make.team(api.activity.unit)
    leader = make.volunteer("队长", phone="13800003001")
    member = make.volunteer("队员", phone="13800003002")
    make.member(team, leader, leader=True)
    make.member(team, member)
    make.member(team, make.volunteer("已退队", phone="13800003003"), status=MemberStatus.LEFT)
    start = utcnow().replace(microsecond=0) - timedelta(days=3)
    ran = make.activity(api.activity.unit, starts_at=start, team_id=team.id)
    ran_too = make.activity(api.activity.unit, starts_at=start + timedelta(days=1), team_id=team.id)
    elsewhere = make.activity(api.activity.unit, starts_at=start + timedelta(hours=5))
    served(db, ran, leader, 120)
    served(db, elsewhere, leader, 90)  # not the team's activity
    served(db, ran_too, leader, 60)
    served(db, ran, member, 60, status=HoursStatus.PENDING)  # not confirmed
    served(db, ran_too, member, 30, voided=True)  # voided
    db.session.commit()

    response = client.get(f"/api/v1/teams/{team.id}/members", headers=api.headers)
    assert response.status_code == 200 and response.json["total"] == 2
    first, second = response.json["items"]
    assert first["volunteer_id"] == leader.id and first["is_leader"] is True
    assert first["confirmed_minutes"] == 180 and first["confirmed_hours"] == 3.0
    assert first["phone"] == "138****3001" and first["joined_at"]
    assert second["volunteer_id"] == member.id and second["confirmed_minutes"] == 0
    one = client.get(f"/api/v1/teams/{team.id}", headers=api.headers)
    assert one.status_code == 200 and one.json["members"] == 2
    paged = client.get(f"/api/v1/teams/{team.id}/members?per_page=1&page=2", headers=api.headers)
    assert [m["volunteer_id"] for m in paged.json["items"]] == [member.id]


def test_self_check_in_by_the_api_refuses_a_non_member_with_members_only(app, client, db, make):
    team = make.team(name="吕陵镇青年志愿服务队")
    activity = make.activity(team.unit, team_id=team.id, members_only=True)
    with_pin(make.volunteer("陌生人", phone="13800003004"))
    make.member(team, with_pin(make.volunteer("队员", phone="13800003005")))
    db.session.commit()
    token = issue_token(app.config["SECRET_KEY"], activity.checkin_key)
    refused = client.post(
        "/api/v1/checkin", json={"token": token, "phone": "13800003004", "pin": PIN}
    )
    assert refused.status_code == 403 and error_code(refused) == "members_only"
    assert refused.json["error"]["team"] == "吕陵镇青年志愿服务队"
    assert "吕陵镇青年志愿服务队" in refused.json["error"]["message"]
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
    member = client.post(
        "/api/v1/checkin", json={"token": token, "phone": "13800003005", "pin": PIN}
    )
    assert member.status_code == 201


def test_the_organizer_s_api_check_in_is_not_refused(client, db, make, api):
    team = make.team(api.activity.unit)
    api.activity.team_id, api.activity.members_only = team.id, True
    stranger = make.volunteer("陌生人", phone="13800003006", registered_unit_id=team.unit_id)
    db.session.commit()
    response = client.post(
        f"/api/v1/activities/{api.activity.id}/checkins",
        json={"phone": "13800003006"},
        headers=api.headers,
    )
    assert response.status_code == 201 and response.json["volunteer_id"] == stranger.id
