"""Team memberships (teams/membership.py): each change writes its status, its actor and one
audit entry; a refusal writes nothing; the member list counts confirmed hours at the team's
activities only."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.database import utcnow
from volunteer_app.teams import membership
from volunteer_app.teams.membership import By
from volunteer_app.teams.models import JoinMode, MemberStatus, TeamMember
from volunteer_app.teams.rules import TeamError


def entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def rows(db) -> int:
    return db.session.scalar(select(func.count()).select_from(TeamMember))


@pytest.mark.parametrize(
    ("mode", "status", "action"),
    [
        (JoinMode.OPEN, MemberStatus.ACTIVE, "team.join"),
        (JoinMode.APPROVAL, MemberStatus.PENDING, "team.request"),
    ],
)
def test_joining_by_the_link_follows_the_mode(app, make, db, mode, status, action):
    team = make.team(join_mode=mode)
    volunteer = make.volunteer("王秀兰")
    member = membership.join(team, volunteer, now=utcnow())
    assert member.status == status
    [entry] = entries(db, action)
    assert entry.actor_volunteer_id == volunteer.id
    assert entry.volunteer_id == volunteer.id
    assert entry.new_value["team_id"] == team.id


def test_a_refused_join_writes_nothing(app, make, db):
    team = make.team(join_mode=JoinMode.CODE, join_code="AB12")
    with pytest.raises(TeamError) as raised:
        membership.join(team, make.volunteer(), code="XX99", now=utcnow())
    assert raised.value.code == "wrong_code"
    assert rows(db) == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_second_join_is_told_and_keeps_one_row(app, make, db):
    team = make.team(join_mode=JoinMode.OPEN)
    volunteer = make.volunteer()
    membership.join(team, volunteer, now=utcnow())
    with pytest.raises(TeamError) as raised:
        membership.join(team, volunteer, now=utcnow())
    assert raised.value.code == "already_member"
    assert rows(db) == 1


def test_a_leader_approves_and_removes_but_only_the_organizer_names_leaders(app, make, db):
    team = make.team(join_mode=JoinMode.APPROVAL)
    leader = make.member(team, leader=True).volunteer
    asking = membership.join(team, make.volunteer("张伟"), now=utcnow())
    approved = membership.answer(
        team, asking.id, By.team_leader(leader), approve=True, now=utcnow()
    )
    assert approved.status == MemberStatus.ACTIVE
    assert approved.changed_by_volunteer_id == leader.id
    with pytest.raises(TeamError) as raised:
        membership.name_leader(team, approved.id, By.team_leader(leader), leader=True, now=utcnow())
    assert raised.value.code == "not_allowed"
    organizer = make.user(unit=team.unit)
    named = membership.name_leader(
        team, approved.id, By.organizer(organizer), leader=True, now=utcnow()
    )
    assert named.is_leader
    with pytest.raises(TeamError) as raised:
        membership.remove(team, named.id, By.team_leader(leader), now=utcnow())
    assert raised.value.code == "leader_protected"
    removed = membership.remove(team, named.id, By.organizer(organizer), now=utcnow())
    assert removed.status == MemberStatus.REMOVED
    assert not removed.is_leader  # a removed leader leads no more
    assert [e.actor_user_id for e in entries(db, "team.remove")] == [organizer.id]


def test_someone_removed_rejoins_only_with_approval(app, make, db):
    team = make.team(join_mode=JoinMode.OPEN)
    member = make.member(team)
    organizer = make.user(unit=team.unit)
    membership.remove(team, member.id, By.organizer(organizer), now=utcnow())
    again = membership.join(team, member.volunteer, now=utcnow())
    assert again.status == MemberStatus.PENDING
    assert rows(db) == 1


def test_adding_in_a_closed_team_and_leaving(app, make, db):
    team = make.team(join_mode=JoinMode.CLOSED)
    organizer = make.user(unit=team.unit)
    volunteer = make.volunteer()
    with pytest.raises(TeamError):
        membership.join(team, volunteer, now=utcnow())
    added = membership.add(team, volunteer, By.organizer(organizer), now=utcnow())
    assert added.status == MemberStatus.ACTIVE
    with pytest.raises(TeamError) as raised:
        membership.add(team, volunteer, By.organizer(organizer), now=utcnow())
    assert raised.value.code == "already_member"
    assert membership.leave(team, volunteer, now=utcnow()).status == MemberStatus.LEFT
    assert [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))] == [
        "team.add",
        "team.leave",
    ]


def test_another_teams_membership_id_is_not_found(app, make, db):
    team, other = make.team(), make.team()
    stranger = make.member(other)
    organizer = make.user(unit=team.unit)
    with pytest.raises(TeamError) as raised:
        membership.remove(team, stranger.id, By.organizer(organizer), now=utcnow())
    assert raised.value.status == 404
    assert db.session.get(TeamMember, stranger.id).status == MemberStatus.ACTIVE


def test_the_member_list_counts_confirmed_hours_at_the_teams_activities_only(app, make, db):
    station = make.unit()
    team = make.team(station)
    volunteer = make.member(team).volunteer
    ours = make.activity(station, team_id=team.id)
    theirs = make.activity(station)
    later = make.activity(station, team_id=team.id)
    for activity, minutes, status in (
        (ours, 120, HoursStatus.CONFIRMED),
        (theirs, 60, HoursStatus.CONFIRMED),
        (later, 30, HoursStatus.PENDING),
    ):
        db.session.add(
            CheckIn(
                activity=activity,
                volunteer=volunteer,
                checked_in_at=activity.starts_at,
                checked_out_at=activity.ends_at,
                minutes=minutes,
                status=status,
            )
        )
    db.session.flush()
    [row] = membership.member_rows(team, (MemberStatus.ACTIVE,))
    assert row.volunteer.id == volunteer.id
    assert row.confirmed_minutes == 120
    assert membership.counts(team) == {"active": 1, "pending": 0}
