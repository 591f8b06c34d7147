"""The volunteer's own teams (/me "我的队伍", volunteer_app/teams/mine.py): listed with their
unit, the leader badge, a waiting request, confirmed hours with the team; leaving a team
or withdrawing a request; memberships in the account log, the data export, and ended when
the account is deleted."""

from __future__ import annotations

import json

from sqlalchemy import select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.database import utcnow
from volunteer_app.teams import membership
from volunteer_app.teams.membership import By
from volunteer_app.teams.models import JoinMode, MemberStatus, TeamMember

from ..conftest import csrf_token
from .test_identity import PIN, sign_in, with_pin
from .test_my_page import served


def arrange(make, db):
    """孙丽娟 leads one team, is a member of another, waits for a third, left a fourth."""
    me = with_pin(make.volunteer(name="孙丽娟", phone="13833330001"))
    station = make.unit(name="吕陵镇新时代文明实践所")
    led = make.team(station, name="吕陵医护志愿服务队")
    member_of = make.team(station, name="吕陵环保志愿服务队")
    waiting = make.team(station, name="吕陵文艺志愿服务队")
    left = make.team(station, name="吕陵助老志愿服务队")
    make.member(led, make.volunteer("赵敏"), status=MemberStatus.PENDING)
    rows = {
        "led": make.member(led, me, leader=True),
        "member": make.member(member_of, me),
        "waiting": make.member(waiting, me, status=MemberStatus.PENDING),
        "left": make.member(left, me, status=MemberStatus.LEFT),
    }
    activity = make.activity(station, team_id=member_of.id)
    served(make, me, activity, 150)
    db.session.commit()
    return me, rows


def text(response) -> str:
    return response.get_data(as_text=True)


def test_my_page_lists_my_teams_with_their_state_and_hours(app, db, client, make):
    _me, rows = arrange(make, db)
    sign_in(client, "13833330001", PIN)
    page = text(client.get("/me"))
    section = page[page.index('id="my-teams"') :]
    section = section[: section.index("</section>")]
    for name in ("吕陵医护志愿服务队", "吕陵环保志愿服务队", "吕陵文艺志愿服务队"):
        assert name in section
    assert "吕陵助老志愿服务队" not in section  # left: not a team of mine any more
    assert "吕陵镇新时代文明实践所" in section
    assert section.count("队长") == 1 and section.count("等待审核") == 1
    assert "在本队已确认 2.5 小时" in section
    assert f'href="/lead/teams/{rows["led"].team_id}"' in section
    assert "队员与入队申请 · 1 人待审核" in section  # the request waiting in the team I lead
    assert f'href="/lead/teams/{rows["member"].team_id}"' not in section
    for key in ("led", "member", "waiting"):
        assert f'action="/me/teams/{rows[key].team_id}/leave"' in section


def test_no_section_without_teams(app, db, client, make):
    with_pin(make.volunteer(name="周明", phone="13833330002"))
    db.session.commit()
    sign_in(client, "13833330002", PIN)
    assert 'id="my-teams"' not in text(client.get("/me"))


def test_leaving_a_team_i_lead_ends_my_leadership_and_is_audited(app, db, client, make):
    me, rows = arrange(make, db)
    sign_in(client, "13833330001", PIN)
    token = csrf_token(client, "/me")
    team_id = rows["led"].team_id
    response = client.post(f"/me/teams/{team_id}/leave", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/me#my-teams")
    db.session.expire_all()
    row = db.session.get(TeamMember, rows["led"].id)
    assert row.status == MemberStatus.LEFT and not row.is_leader
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "team.leave"))
    assert entry.actor_volunteer_id == me.id == entry.volunteer_id
    page = text(client.get("/me"))
    assert "你已退出吕陵医护志愿服务队。" in page
    assert client.get(f"/lead/teams/{team_id}").status_code == 404
    # the account log names what happened and the team
    log = page[page.index('id="account-activity"') :]
    assert "退出队伍 · 吕陵医护志愿服务队" in log
    # leaving again: no membership of mine any more, the same answer as any other team
    assert client.post(f"/me/teams/{team_id}/leave", data={"csrf_token": token}).status_code == 404


def test_withdrawing_a_waiting_request(app, db, client, make):
    _me, rows = arrange(make, db)
    sign_in(client, "13833330001", PIN)
    token = csrf_token(client, "/me")
    team_id = rows["waiting"].team_id
    response = client.post(
        f"/me/teams/{team_id}/leave", data={"csrf_token": token}, follow_redirects=True
    )
    assert "已撤回加入吕陵文艺志愿服务队的申请。" in text(response)
    db.session.expire_all()
    assert db.session.get(TeamMember, rows["waiting"].id).status == MemberStatus.LEFT


def test_leave_refuses_teams_not_mine_and_forms_without_a_token(app, db, client, make):
    _me, rows = arrange(make, db)
    stranger_team = make.team(name="别人的队伍")
    make.member(stranger_team)
    db.session.commit()
    sign_in(client, "13833330001", PIN)
    token = csrf_token(client, "/me")
    for team_id in (stranger_team.id, rows["left"].team_id, 999999):
        response = client.post(f"/me/teams/{team_id}/leave", data={"csrf_token": token})
        assert response.status_code == 404, team_id
    response = client.post(f"/me/teams/{rows['member'].team_id}/leave", data={})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(TeamMember, rows["member"].id).status == MemberStatus.ACTIVE
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.leave")) is None


def test_the_account_log_names_team_changes_and_who_made_them(app, db, client, make):
    me = with_pin(make.volunteer(name="孙丽娟", phone="13833330003"))
    team = make.team(name="万福医护志愿服务队", join_mode=JoinMode.APPROVAL)
    leader = make.volunteer("王队长")
    make.member(team, leader, leader=True)
    db.session.flush()
    asked = membership.join(team, me, now=utcnow())
    membership.answer(team, asked.id, By.team_leader(leader), approve=True, now=utcnow())
    db.session.commit()
    sign_in(client, "13833330003", PIN)
    page = text(client.get("/me"))
    log = page[page.index('id="account-activity"') :]
    assert "申请加入队伍 · 万福医护志愿服务队" in log
    assert "入队申请已通过 · 万福医护志愿服务队 · 由队长操作" in log
    assert "team.approve" not in log and "team.request" not in log


def test_my_data_export_holds_my_memberships(app, db, client, make):
    arrange(make, db)
    sign_in(client, "13833330001", PIN)
    data = json.loads(text(client.get("/me/export.json")))
    teams = {t["team"]: t for t in data["teams"]}
    assert set(teams) == {
        "吕陵医护志愿服务队",
        "吕陵环保志愿服务队",
        "吕陵文艺志愿服务队",
        "吕陵助老志愿服务队",
    }
    assert teams["吕陵医护志愿服务队"]["leader"] is True
    assert teams["吕陵文艺志愿服务队"]["status"] == "pending"
    assert teams["吕陵助老志愿服务队"]["status"] == "left"
    assert teams["吕陵环保志愿服务队"]["station"] == "吕陵镇新时代文明实践所"


def test_deleting_my_account_ends_my_memberships(app, db, client, make):
    _me, rows = arrange(make, db)
    sign_in(client, "13833330001", PIN)
    token = csrf_token(client, "/me/delete")
    response = client.post("/me/delete", data={"csrf_token": token, "pin": PIN, "confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    statuses = {
        key: (
            db.session.get(TeamMember, row.id).status,
            db.session.get(TeamMember, row.id).is_leader,
        )
        for key, row in rows.items()
    }
    assert statuses == {
        "led": (MemberStatus.LEFT, False),
        "member": (MemberStatus.LEFT, False),
        "waiting": (MemberStatus.LEFT, False),
        "left": (MemberStatus.LEFT, False),
    }
