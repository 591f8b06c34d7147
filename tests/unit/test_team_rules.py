"""The rules of teams and memberships (teams/rules.py): join modes, who manages whom, and
the team's fields, each answer by its code."""

from __future__ import annotations

import pytest

from volunteer_app.teams import rules
from volunteer_app.teams.models import JoinMode, MemberStatus
from volunteer_app.teams.rules import Outcome, TeamError

A, P, L, R, X = (
    MemberStatus.ACTIVE.value,
    MemberStatus.PENDING.value,
    MemberStatus.LEFT.value,
    MemberStatus.REJECTED.value,
    MemberStatus.REMOVED.value,
)


def join(mode: JoinMode, current=None, *, code="", team_code="", disabled=False) -> str:
    return rules.compute_join(
        join_mode=mode.value,
        team_disabled=disabled,
        current_status=current,
        code_given=code,
        team_code=team_code,
    )


def code_of(call) -> str:
    with pytest.raises(TeamError) as raised:
        call()
    return raised.value.code


@pytest.mark.parametrize("current", [None, L, R])
def test_an_open_team_takes_a_newcomer_or_a_returning_one_at_once(current):
    assert join(JoinMode.OPEN, current) == Outcome.ACTIVE


@pytest.mark.parametrize("current", [None, L, R, X])
def test_an_approval_team_makes_every_request_wait(current):
    assert join(JoinMode.APPROVAL, current) == Outcome.PENDING


def test_a_closed_team_refuses_every_request():
    for current in (None, L, R, X):
        assert code_of(lambda c=current: join(JoinMode.CLOSED, c)) == "closed"


def test_a_join_code_team_takes_the_right_code_whatever_its_letters_case():
    assert join(JoinMode.CODE, code=" ab12 ", team_code="AB12") == Outcome.ACTIVE
    assert code_of(lambda: join(JoinMode.CODE, code="AB13", team_code="AB12")) == "wrong_code"
    assert code_of(lambda: join(JoinMode.CODE, code="", team_code="AB12")) == "wrong_code"
    # a team in code mode that lost its code admits no one by an empty one
    assert code_of(lambda: join(JoinMode.CODE, code="", team_code="")) == "wrong_code"


@pytest.mark.parametrize("mode", [JoinMode.OPEN, JoinMode.CODE])
def test_someone_removed_waits_for_approval_even_in_open_modes(mode):
    assert join(mode, X, code="AB12", team_code="AB12") == Outcome.PENDING


def test_members_and_waiting_requests_are_told_so():
    assert code_of(lambda: join(JoinMode.OPEN, A)) == "already_member"
    assert code_of(lambda: join(JoinMode.APPROVAL, P)) == "already_pending"


def test_a_disabled_team_takes_no_one():
    assert code_of(lambda: join(JoinMode.OPEN, disabled=True)) == "team_disabled"
    assert (
        code_of(lambda: rules.validate_add(team_disabled=True, current_status=None))
        == "team_disabled"
    )


@pytest.mark.parametrize("current", [None, P, L, R, X])
def test_an_organizer_or_leader_adds_anyone_not_a_member(current):
    rules.validate_add(team_disabled=False, current_status=current)


def test_adding_a_member_again_is_refused():
    assert (
        code_of(lambda: rules.validate_add(team_disabled=False, current_status=A))
        == "already_member"
    )


def test_only_waiting_requests_are_answered():
    rules.validate_answer(current_status=P)
    for current in (A, L, R, X):
        assert code_of(lambda c=current: rules.validate_answer(current_status=c)) == "not_pending"


def test_a_leader_removes_members_but_not_leaders():
    rules.validate_remove(current_status=A, is_leader=False, by_organizer=False)
    rules.validate_remove(current_status=A, is_leader=True, by_organizer=True)
    assert (
        code_of(lambda: rules.validate_remove(current_status=A, is_leader=True, by_organizer=False))
        == "leader_protected"
    )
    assert (
        code_of(lambda: rules.validate_remove(current_status=L, is_leader=False, by_organizer=True))
        == "not_member"
    )


def test_members_leave_and_waiting_requests_are_withdrawn():
    rules.validate_leave(current_status=A)
    rules.validate_leave(current_status=P)
    for current in (L, R, X):
        assert code_of(lambda c=current: rules.validate_leave(current_status=c)) == "not_member"


def test_only_an_organizer_names_leaders_among_active_members():
    rules.validate_name_leader(current_status=A, team_disabled=False, by_organizer=True)
    cases = {
        "not_allowed": dict(current_status=A, team_disabled=False, by_organizer=False),
        "team_disabled": dict(current_status=A, team_disabled=True, by_organizer=True),
        "not_member": dict(current_status=P, team_disabled=False, by_organizer=True),
    }
    for code, arguments in cases.items():
        assert code_of(lambda a=arguments: rules.validate_name_leader(**a)) == code


def fields(**changes):
    values = dict(
        name="万福社区卫生服务中心医护志愿服务队",
        host_name="万福社区卫生服务中心",
        contact_name="刘医生",
        contact_phone="13800001234",
        intro="",
        join_mode=JoinMode.APPROVAL.value,
        join_code="",
        category_count=2,
    )
    values.update(changes)
    return values


def test_team_fields_are_trimmed_and_a_code_kept_only_in_code_mode():
    kept = rules.validate_team_fields(**fields(name="  交警大队志愿服务队 ", join_code="AB12"))
    assert kept.name == "交警大队志愿服务队"
    assert kept.join_code == ""
    coded = rules.validate_team_fields(**fields(join_mode=JoinMode.CODE.value, join_code="AB12"))
    assert coded.join_code == "AB12"
    assert rules.validate_team_fields(**fields(contact_phone="0530-1234567")).contact_phone


def test_every_problem_of_the_team_form_is_found_at_once():
    problems = rules.compute_team_problems(
        **fields(
            name=" ",
            host_name="院" * 101,
            contact_phone="12345",
            intro="字" * 501,
            join_mode=JoinMode.CODE.value,
            join_code="",
            category_count=5,
        )
    )
    assert {field: error.code for field, error in problems.items()} == {
        "name": "name_required",
        "host_name": "host_name_too_long",
        "contact_phone": "contact_phone_invalid",
        "intro": "intro_too_long",
        "categories": "too_many_categories",
        "join_code": "join_code_required",
    }
    with pytest.raises(TeamError) as raised:
        rules.validate_team_fields(**fields(name="队" * 101, join_mode="4", join_code="ab"))
    assert set(raised.value.problems) == {"name", "join_code"}
    assert raised.value.problems["join_code"].code == "join_code_invalid"
