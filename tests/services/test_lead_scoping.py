"""The leaders' scoping helpers (auth/scoping.py, "team leaders") agree with the rules of
teams/lead_rules.py, case by case, on both databases."""

from __future__ import annotations

import itertools

import pytest
from werkzeug.exceptions import NotFound

from volunteer_app.activities.models import ActivityStatus
from volunteer_app.auth import scoping
from volunteer_app.database import utcnow
from volunteer_app.extensions import db as _db
from volunteer_app.teams.lead_rules import leader_may_run
from volunteer_app.teams.models import MemberStatus
from volunteer_app.volunteers.models import Volunteer

CASES = list(
    itertools.product(
        [True, False],  # named leader
        [MemberStatus.ACTIVE, MemberStatus.LEFT, MemberStatus.REMOVED],
        [False, True],  # team disabled
        ["own team", "other team", "no team"],
        [ActivityStatus.PUBLISHED, ActivityStatus.FINISHED, ActivityStatus.CANCELLED],
    )
)


def test_led_activity_or_404_follows_leader_may_run(app, make, db):
    station = make.unit()
    other = make.team(station)
    seen = 0
    for is_leader, status, disabled, which, activity_status in CASES:
        team = make.team(station, disabled_at=utcnow() if disabled else None)
        volunteer = make.member(team, leader=is_leader, status=status).volunteer
        team_id = {"own team": team.id, "other team": other.id, "no team": None}[which]
        activity = make.activity(station, team_id=team_id, status=activity_status)
        expected = leader_may_run(
            is_leader=is_leader,
            member_status=status.value,
            team_disabled=disabled,
            team_id=team.id,
            activity_team_id=team_id,
            activity_status=activity_status.value,
        )
        try:
            found = scoping.led_activity_or_404(volunteer, activity.id) is not None
        except NotFound:
            found = False
        assert found is expected, (is_leader, status, disabled, which, activity_status)
        seen += expected
    assert seen == 2  # published and finished, of their own team, leading now


@pytest.mark.parametrize("status", list(MemberStatus))
def test_a_leader_records_only_active_members_with_live_accounts(app, make, db, status):
    team = make.team()
    member = make.member(team, status=status).volunteer
    gone = make.member(team).volunteer
    gone.deleted_at = utcnow()
    elsewhere = make.member(make.team()).volunteer
    db.session.flush()
    found = set(_db.session.scalars(scoping.team_members(team.id).with_only_columns(Volunteer.id)))
    assert found == ({member.id} if status == MemberStatus.ACTIVE else set())
    assert gone.id not in found and elsewhere.id not in found
