"""Two taps of "加入" at once make one membership and one audit entry (teams/membership.py:
the pair's row locked, a first row inserted in a savepoint), on SQLite and PostgreSQL
(tests/races.py: threads, one actor held just before its first write)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from volunteer_app.audit.models import AuditEntry
from volunteer_app.database import utcnow
from volunteer_app.extensions import db as _db
from volunteer_app.teams import membership
from volunteer_app.teams.models import JoinMode, Team, TeamMember
from volunteer_app.teams.rules import TeamError
from volunteer_app.volunteers.models import Volunteer

from ..conftest import csrf_token
from ..races import Race
from .test_races import phone, remembered


def joining(app, team_id: int, volunteer_id: int):
    """An actor: the volunteer's own request to join, as a writing request runs it (so
    SQLite begins it with BEGIN IMMEDIATE); returns the outcome or the refusal's code."""

    def run(go):
        with app.test_request_context("/t/join", method="POST"):
            go()
            team = _db.session.get(Team, team_id)
            volunteer = _db.session.get(Volunteer, volunteer_id)
            try:
                return membership.join(team, volunteer, now=utcnow()).status.value
            except TeamError as error:
                _db.session.rollback()
                return error.code

    return run


@pytest.mark.parametrize(
    ("mode", "outcome", "refusal"),
    [
        (JoinMode.APPROVAL, "pending", "already_pending"),
        (JoinMode.OPEN, "active", "already_member"),
    ],
)
def test_two_joins_at_once_make_one_membership_and_one_entry(app, db, make, mode, outcome, refusal):
    team = make.team(join_mode=mode)
    volunteer = make.volunteer("赵敏")
    db.session.commit()
    race = Race(app, db)
    race.actor("a", joining(app, team.id, volunteer.id))
    race.actor("b", joining(app, team.id, volunteer.id))
    results = race.run(hold="a")
    assert sorted(results.values()) == sorted([outcome, refusal])
    rows = db.session.scalars(select(TeamMember).where(TeamMember.team_id == team.id)).all()
    assert len(rows) == 1 and rows[0].status.value == outcome
    entries = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action.startswith("team."))
    )
    assert entries == 1


def tapping_join(app, path: str, cookie: str):
    """An actor: the volunteer taps "加入" on the team's join page on a phone of theirs."""

    def run(go):
        client = phone(app, cookie)
        token = csrf_token(client, path)
        go()
        return client.post(path, data={"csrf_token": token}).status_code

    return run


def test_two_taps_on_the_join_page_from_two_phones_make_one_membership(app, db, make):
    team = make.team(join_mode=JoinMode.OPEN)
    volunteer = make.volunteer("赵敏")
    first, second = remembered(app, db, volunteer), remembered(app, db, volunteer)
    db.session.commit()
    path = f"/t/{team.join_key}"
    race = Race(app, db)
    race.actor("a", tapping_join(app, path, first))
    race.actor("b", tapping_join(app, path, second))
    results = race.run(hold="a")
    assert sorted(results.values()) == [302, 409]  # joined; "already a member"
    rows = db.session.scalars(select(TeamMember).where(TeamMember.team_id == team.id)).all()
    assert len(rows) == 1 and rows[0].status.value == "active"
    entries = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.startswith("team."))
    ).all()
    assert entries == ["team.join"]
