"""Rules of activities run by a team: the form's team settings and "members only"."""

from __future__ import annotations

import pytest

from volunteer_app.activities.rules import ActivityTeamError, validate_team_settings
from volunteer_app.checkins.rules import CheckInError, MembersOnlyError, validate_members_only


def settings(**overrides):
    values = {"team_found": True, "team_active": True, "team_unchanged": False}
    return {**values, "members_only": False, **overrides}


def test_no_team_and_open_to_all_is_fine():
    validate_team_settings(**settings(team_found=None, team_active=False))


def test_members_only_without_a_team_is_refused():
    with pytest.raises(ActivityTeamError) as caught:
        validate_team_settings(**settings(team_found=None, members_only=True))
    assert caught.value.code == "members_only_needs_team"


def test_a_team_of_another_unit_is_refused():
    with pytest.raises(ActivityTeamError) as caught:
        validate_team_settings(**settings(team_found=False, members_only=True))
    assert caught.value.code == "team_not_allowed"


def test_a_disabled_team_takes_no_new_activity_but_keeps_its_own():
    with pytest.raises(ActivityTeamError) as caught:
        validate_team_settings(**settings(team_active=False))
    assert caught.value.code == "team_disabled"
    validate_team_settings(**settings(team_active=False, team_unchanged=True, members_only=True))


def test_an_active_team_of_the_lineage_with_members_only_is_fine():
    validate_team_settings(**settings(members_only=True))


def test_members_only_refuses_a_non_member_and_names_the_team(app):
    with app.test_request_context(), pytest.raises(MembersOnlyError) as caught:
        validate_members_only(members_only=True, team_name="吕陵镇青年志愿服务队", is_member=False)
    error = caught.value
    assert error.code == "members_only" and isinstance(error, CheckInError)
    assert error.status == 403 and error.details == {"team": "吕陵镇青年志愿服务队"}
    with app.test_request_context():
        assert error.message == "本活动仅限「吕陵镇青年志愿服务队」成员报名参加。"


@pytest.mark.parametrize(
    ("members_only", "team_name", "is_member"),
    [(True, "医护志愿服务队", True), (False, "医护志愿服务队", False), (True, None, False)],
)
def test_members_only_lets_members_and_open_activities_through(members_only, team_name, is_member):
    validate_members_only(members_only=members_only, team_name=team_name, is_member=is_member)
