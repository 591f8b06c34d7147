"""The demo's teams: those of the news report, one leader each, the demo's activities run by
them; the leader with a PIN can sign in and reach /lead; loading again changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from volunteer_app.activities.models import Activity
from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn
from volunteer_app.teams.models import HostType, Team, TeamMember
from volunteer_app.volunteers.models import Household

from ..routes.test_identity import sign_in


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_demo_has_the_report_s_teams_with_leaders_and_their_activities(db, runner, client):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    teams = {t.name: t for t in db.session.scalars(select(Team))}
    assert teams["万福社区卫生服务中心医护志愿服务队"].host_type is HostType.HEALTH
    assert teams["吕陵镇卫生院医护志愿服务队"].host_type is HostType.HEALTH
    assert teams["高新区交警大队志愿服务队"].host_type is HostType.PARTY_GOVERNMENT
    assert teams["吕陵镇青年志愿服务队"].host_type is HostType.MASS_ORGANIZATION
    assert {t.host_type for t in teams.values()} >= {HostType.EDUCATION}
    assert sum(1 for t in teams.values() if t.host_type is HostType.EDUCATION) == 2
    for team in teams.values():
        leaders = db.session.scalars(
            select(TeamMember).where(TeamMember.team_id == team.id, TeamMember.is_leader)
        ).all()
        assert len(leaders) == 1, team.name
        assert team.categories and team.intro and team.host_name, team.name
        assert db.session.scalar(select(Activity.id).where(Activity.team_id == team.id)), team.name
    # loaded through the team services: each team, member and leader audited as the admin's
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.startswith("team."))
    ).all()
    admin = {e.actor_user_id for e in entries}
    assert len(admin) == 1 and None not in admin
    created = sorted(e.new_value["team_id"] for e in entries if e.action == "team.create")
    assert created == sorted(t.id for t in teams.values())
    members = db.session.scalars(select(TeamMember)).all()
    added = {(e.new_value["team_id"], e.volunteer_id) for e in entries if e.action == "team.add"}
    assert added == {(m.team_id, m.volunteer_id) for m in members}
    named = {(e.new_value["team_id"], e.volunteer_id) for e in entries if e.action == "team.leader"}
    assert named == {(m.team_id, m.volunteer_id) for m in members if m.is_leader}
    members_only = db.session.scalars(select(Activity).where(Activity.members_only)).all()
    assert members_only and all(a.team_id is not None for a in members_only)

    # The leader with a PIN signs in and runs the check-in of their team's running activity.
    assert db.session.scalar(select(Household.pin_hash).where(Household.phone == "13800001004"))
    running = db.session.scalar(select(Activity).where(Activity.title == "吕陵镇集市义诊"))
    assert sign_in(client, "13800001004", "2580").status_code == 302
    assert f"/lead/activities/{running.id}" in client.get("/me").get_data(as_text=True)
    assert client.get(f"/lead/activities/{running.id}").status_code == 200

    before = (count(db, Team), count(db, TeamMember), count(db, Activity), count(db, CheckIn))
    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0 and "nothing new" in again.output
    db.session.expire_all()
    assert (count(db, Team), count(db, TeamMember), count(db, Activity), count(db, CheckIn)) == (
        before
    )


def test_the_demo_holds_orders_in_every_status_with_their_logs(db, runner):
    from volunteer_app.needs.models import Need, NeedEvent, NeedRating, NeedStatus

    assert runner.invoke(args=["seed"]).exit_code == 0
    statuses = {n.status for n in db.session.scalars(select(Need))}
    assert statuses == set(NeedStatus)
    for need in db.session.scalars(select(Need)):
        log = db.session.scalars(
            select(NeedEvent).where(NeedEvent.need_id == need.id).order_by(NeedEvent.id)
        ).all()
        assert log[0].action == "submit" and log[-1].to_status == need.status, need.title
    taken = db.session.scalars(select(Need).where(Need.activity_id.is_not(None))).all()
    assert taken and all(n.activity.team_id == n.team_id for n in taken)
    assert count(db, NeedRating) == 1
    before = count(db, Need)
    assert runner.invoke(args=["seed"]).exit_code == 0
    assert count(db, Need) == before


def test_the_demo_has_a_service_menu_with_one_item_fully_booked(db, runner, client):
    from volunteer_app.needs.models import Need, ServiceItem

    assert runner.invoke(args=["seed"]).exit_code == 0
    items = {i.title: i for i in db.session.scalars(select(ServiceItem))}
    assert {"上门测血压", "交通安全课", "慢病随访", "助老陪伴"} <= set(items)
    assert items["上门测血压"].team.name == "万福社区卫生服务中心医护志愿服务队"
    assert items["上门测血压"].audience == "03" and items["交通安全课"].audience == "01"
    assert items["慢病随访"].remaining == 0 and items["助老陪伴"].remaining is None
    ordered = db.session.scalar(select(Need).where(Need.title == "上门为独居老人测血压"))
    assert ordered.menu_item_id == items["上门测血压"].id
    assert items["上门测血压"].remaining == 19  # the demo's order took one
    station = ordered.station_id
    page = client.get(f"/needs/new?station={station}").get_data(as_text=True)
    assert "上门测血压" in page and "交通安全课" in page and "慢病随访" not in page
    assert runner.invoke(args=["seed"]).exit_code == 0
    assert count(db, ServiceItem) == len(items)
