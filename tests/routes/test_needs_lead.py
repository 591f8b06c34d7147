"""A team leader's orders (/lead/needs): the orders dispatched to a team they lead, taken,
declined or completed by them; anyone else's orders are not found."""

from __future__ import annotations

from datetime import timedelta

import pytest

from volunteer_app.database import utcnow
from volunteer_app.needs.models import NeedStatus
from volunteer_app.teams.models import MemberStatus

from ..conftest import csrf_token
from .test_races import phone, remembered


def dispatched(make, team, **fields):
    return make.need(
        team.unit,
        status=NeedStatus.DISPATCHED,
        team_id=team.id,
        take_by=utcnow() + timedelta(hours=48),
        contact_phone="13700005678",
        **fields,
    )


def leader_phone(app, db, volunteer):
    cookie = remembered(app, db, volunteer)
    db.session.commit()
    return phone(app, cookie)


def test_the_leader_takes_the_order_and_gets_its_activity(app, make, db):
    team = make.team()
    leader = make.member(team, leader=True).volunteer
    need = dispatched(make, team, title="上门测血压")
    client = leader_phone(app, db, leader)
    listed = client.get("/lead/needs").get_data(as_text=True)
    assert "上门测血压" in listed
    page = client.get(f"/lead/needs/{need.id}").get_data(as_text=True)
    assert "137****5678" in page and "13700005678" not in page and "幸福小区" in page
    token = csrf_token(client, f"/lead/needs/{need.id}")
    taken = client.post(f"/lead/needs/{need.id}/steps/take", data={"csrf_token": token})
    assert taken.status_code == 302
    db.session.expire_all()
    assert need.status == NeedStatus.TAKEN and need.activity.team_id == team.id
    assert f"/lead/activities/{need.activity_id}" in client.get(f"/lead/needs/{need.id}").get_data(
        as_text=True
    )
    done = client.post(
        f"/lead/needs/{need.id}/steps/complete", data={"csrf_token": token, "note": "已测量"}
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert need.status == NeedStatus.COMPLETED and need.completion_note == "已测量"


def test_declining_needs_a_reason_and_hands_the_order_back(app, make, db):
    team = make.team()
    leader = make.member(team, leader=True).volunteer
    need = dispatched(make, team)
    client = leader_phone(app, db, leader)
    token = csrf_token(client, f"/lead/needs/{need.id}")
    url = f"/lead/needs/{need.id}/steps/decline"
    assert client.post(url, data={"csrf_token": token}).status_code == 400
    assert client.post(url, data={"csrf_token": token, "note": "本周无人"}).status_code == 302
    db.session.expire_all()
    assert need.status == NeedStatus.ACCEPTED and need.team_id is None
    assert client.get(f"/lead/needs/{need.id}").status_code == 404  # no longer the team's


@pytest.mark.parametrize("who", ["leader of another team", "plain member", "member who left"])
def test_anyone_but_a_leader_of_the_team_gets_404(app, make, db, who):
    team, other = make.team(), make.team()
    need = dispatched(make, team)
    if who == "leader of another team":
        them = make.member(other, leader=True).volunteer
    elif who == "plain member":
        them = make.member(team).volunteer
    else:
        them = make.member(team, leader=True, status=MemberStatus.LEFT).volunteer
    client = leader_phone(app, db, them)
    assert client.get(f"/lead/needs/{need.id}").status_code == 404
    token = csrf_token(client, "/me")
    assert (
        client.post(f"/lead/needs/{need.id}/steps/take", data={"csrf_token": token}).status_code
        == 404
    )
    db.session.expire_all()
    assert need.status == NeedStatus.DISPATCHED
