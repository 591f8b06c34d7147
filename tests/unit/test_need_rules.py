"""The status machine of a resident's order (needs/rules.py): a test per step, who may take
it, from where, with what; the deadlines; the figures' rates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from volunteer_app.needs import rules
from volunteer_app.needs.models import NeedStatus as S
from volunteer_app.needs.rules import Figures, NeedError, Role, Step

NOW = datetime(2027, 3, 5, 1, 0, tzinfo=UTC)


def step(status, what, role=Role.ORGANIZER, **extra):
    return rules.compute_step(status, what, role, now=NOW, **extra)


def code_of(call) -> str:
    with pytest.raises(NeedError) as raised:
        call()
    return raised.value.code


@pytest.mark.parametrize("start", [S.SUBMITTED, S.ESCALATED])
def test_accept(start):
    assert step(start, Step.ACCEPT) == (S.ACCEPTED, "")


@pytest.mark.parametrize("start", [S.SUBMITTED, S.ESCALATED])
def test_reject_needs_a_reason(start):
    assert code_of(lambda: step(start, Step.REJECT, note="  ")) == "reason_required"
    assert step(start, Step.REJECT, note=" 不在服务范围 ") == (S.REJECTED, "不在服务范围")
    assert code_of(lambda: step(start, Step.REJECT, note="长" * 201)) == "reason_too_long"


@pytest.mark.parametrize("start", [S.SUBMITTED, S.ESCALATED, S.ACCEPTED])
def test_escalate_repeats_up_the_tree_until_the_top(start):
    assert step(start, Step.ESCALATE, note="站点无医护人员")[0] == S.ESCALATED
    assert code_of(lambda: step(start, Step.ESCALATE, has_unit_above=False)) == "no_unit_above"


@pytest.mark.parametrize("start", [S.ACCEPTED, S.ESCALATED])
def test_dispatch_needs_a_team_and_a_deadline_ahead(start):
    ahead = NOW + timedelta(hours=48)
    assert step(start, Step.DISPATCH, team_id=7, take_by=ahead)[0] == S.DISPATCHED
    assert code_of(lambda: step(start, Step.DISPATCH, take_by=ahead)) == "team_required"
    assert code_of(lambda: step(start, Step.DISPATCH, team_id=7, take_by=NOW)) == "deadline_past"
    assert code_of(lambda: step(start, Step.DISPATCH, team_id=7)) == "deadline_past"


@pytest.mark.parametrize("role", [Role.LEADER, Role.ORGANIZER])
def test_take_by_the_teams_leader_or_an_organizer(role):
    assert step(S.DISPATCHED, Step.TAKE, role) == (S.TAKEN, "")


@pytest.mark.parametrize("role", [Role.LEADER, Role.ORGANIZER])
def test_decline_needs_a_reason_and_sends_it_back_to_be_dispatched(role):
    assert code_of(lambda: step(S.DISPATCHED, Step.DECLINE, role)) == "reason_required"
    assert step(S.DISPATCHED, Step.DECLINE, role, note="本周无人手") == (S.ACCEPTED, "本周无人手")


@pytest.mark.parametrize("role", [Role.SYSTEM, Role.LEADER, Role.ORGANIZER])
def test_start_when_its_activity_runs(role):
    assert step(S.TAKEN, Step.START, role)[0] == S.IN_SERVICE


@pytest.mark.parametrize("start", [S.TAKEN, S.IN_SERVICE])
def test_complete_needs_a_note(start):
    assert code_of(lambda: step(start, Step.COMPLETE, Role.LEADER)) == "note_required"
    assert step(start, Step.COMPLETE, Role.LEADER, note="已上门测量")[0] == S.COMPLETED


def test_rate_only_by_the_resident_once_completed():
    assert step(S.COMPLETED, Step.RATE, Role.RESIDENT)[0] == S.RATED
    assert code_of(lambda: step(S.RATED, Step.RATE, Role.RESIDENT)) == "wrong_status"
    assert code_of(lambda: step(S.COMPLETED, Step.RATE, Role.ORGANIZER)) == "not_allowed"


@pytest.mark.parametrize("start", sorted(rules.WAITING))
def test_withdraw_before_it_is_taken(start):
    assert step(start, Step.WITHDRAW, Role.RESIDENT)[0] == S.WITHDRAWN


@pytest.mark.parametrize("start", [S.TAKEN, S.IN_SERVICE, S.COMPLETED, S.RATED, S.REJECTED])
def test_no_withdrawal_once_taken_or_ended(start):
    assert code_of(lambda: step(start, Step.WITHDRAW, Role.RESIDENT)) == "wrong_status"


def test_final_statuses_lead_nowhere_and_every_step_checks_its_role():
    for status in rules.FINAL - {S.RATED}:
        for role in Role:
            assert rules.steps_from(status, role) == []
    assert rules.steps_from(S.RATED, Role.RESIDENT) == []
    assert code_of(lambda: step(S.SUBMITTED, Step.ACCEPT, Role.LEADER)) == "not_allowed"
    assert code_of(lambda: step(S.SUBMITTED, Step.ACCEPT, Role.RESIDENT)) == "not_allowed"
    assert code_of(lambda: step(S.DISPATCHED, Step.DISPATCH, team_id=1)) == "wrong_status"


def test_the_buttons_each_role_gets():
    assert rules.steps_from(S.SUBMITTED, Role.ORGANIZER) == [
        Step.ACCEPT,
        Step.REJECT,
        Step.ESCALATE,
    ]
    assert rules.steps_from(S.DISPATCHED, Role.LEADER) == [Step.TAKE, Step.DECLINE]
    assert rules.steps_from(S.DISPATCHED, Role.RESIDENT) == [Step.WITHDRAW]


def test_rating_stars_and_comment():
    assert rules.validate_rating(5, 4, " 很好 ") == rules.Rating(5, 4, "很好")
    for quality, attitude in ((0, 5), (5, 6), (None, 3)):
        assert code_of(lambda q=quality, a=attitude: rules.validate_rating(q, a)) == "stars_invalid"
    assert code_of(lambda: rules.validate_rating(5, 5, "字" * 201)) == "comment_too_long"


def test_urging_once_a_calendar_day_while_it_waits():
    today = date(2027, 3, 5)
    rules.validate_urge(S.SUBMITTED, last_urged_on=None, today=today)
    rules.validate_urge(S.DISPATCHED, last_urged_on=date(2027, 3, 4), today=today)
    assert (
        code_of(lambda: rules.validate_urge(S.ACCEPTED, last_urged_on=today, today=today))
        == "urged_today"
    )
    assert (
        code_of(lambda: rules.validate_urge(S.TAKEN, last_urged_on=None, today=today))
        == "wrong_status"
    )


def test_deadlines_by_status():
    arrived = NOW - timedelta(hours=30)
    take_by = NOW + timedelta(hours=2)
    due = {
        status: rules.compute_due(
            status, changed_at=arrived, take_by=take_by, respond_hours=24, dispatch_hours=48
        )
        for status in S
    }
    assert due[S.SUBMITTED] == due[S.ESCALATED] == arrived + timedelta(hours=24)
    assert due[S.ACCEPTED] == arrived + timedelta(hours=48)
    assert due[S.DISPATCHED] == take_by
    assert due[S.COMPLETED] is None
    assert rules.is_overdue(due[S.SUBMITTED], now=NOW)
    assert not rules.is_overdue(due[S.ACCEPTED], now=NOW)
    assert not rules.is_overdue(None, now=NOW)


def test_the_rates_the_districts_report():
    figures = Figures(
        received=12,
        rejected=2,
        accepted=10,
        withdrawn=2,
        dispatched=8,
        taken=6,
        completed=4,
        rated=4,
        satisfied=3,
        hours_to_accept=None,
        hours_to_dispatch=None,
        hours_to_complete=None,
    )
    assert figures.take_rate == 0.75
    assert figures.completion_rate == 0.5
    assert figures.satisfaction_rate == 0.75
    empty = Figures(0, 0, 0, 0, 0, 0, 0, 0, 0, None, None, None)
    assert empty.take_rate is empty.completion_rate is empty.satisfaction_rate is None
    assert rules.is_satisfied(4, 5) and not rules.is_satisfied(5, 3)
    assert rules.median_hours([timedelta(hours=1), timedelta(hours=3), timedelta(hours=9)]) == 3
    assert rules.median_hours([]) is None


def order(**changes):
    fields = dict(
        contact_name=" 张桂芝 ",
        contact_phone="138 0000 1234",
        title="上门测血压",
        description="老人行动不便，希望医生上门。",
        address="万福街道幸福小区3号楼2单元",
        notes="",
        wanted_date=date(2027, 3, 6),
        expected_minutes=60,
        today=date(2027, 3, 5),
    )
    return fields | changes


def test_an_order_is_cleaned():
    kept = rules.validate_order(**order())
    assert kept.contact_name == "张桂芝" and kept.contact_phone == "13800001234"


def test_an_order_by_proxy_says_who_placed_it_for_whom():
    assert rules.validate_order(**order()).proxy_note == ""  # the resident's own
    kept = rules.validate_order(**order(proxy_note=" 网格员王芳，为邻居代点单 "))
    assert kept.proxy_note == "网格员王芳，为邻居代点单"
    blank = rules.compute_order_problems(**order(proxy_note="  ", contact_name=""))
    assert {f: e.code for f, e in blank.items()} == {
        "proxy_note": "proxy_note_required",
        "contact_name": "contact_required",
    }
    long = rules.compute_order_problems(**order(proxy_note="字" * 51))
    assert {f: e.code for f, e in long.items()} == {"proxy_note": "proxy_note_too_long"}


def test_every_problem_of_an_order_at_once():
    problems = rules.compute_order_problems(
        **order(
            contact_name="",
            contact_phone="1380000",
            title="字" * 31,
            description="字" * 201,
            notes="字" * 201,
            wanted_date=date(2027, 3, 4),
            expected_minutes=0,
        )
    )
    assert {field: error.code for field, error in problems.items()} == {
        "contact_name": "contact_required",
        "contact_phone": "phone_invalid",
        "title": "title_too_long",
        "description": "description_too_long",
        "notes": "notes_too_long",
        "wanted_date": "date_past",
        "expected_minutes": "minutes_invalid",
    }
    far = rules.compute_order_problems(**order(contact_phone="", wanted_date=date(2027, 7, 1)))
    assert {f: e.code for f, e in far.items()} == {
        "contact_phone": "phone_required",
        "wanted_date": "date_too_far",
    }
    with pytest.raises(rules.OrderError) as raised:
        rules.validate_order(**order(title=" "))
    assert raised.value.code == "title_required" and set(raised.value.problems) == {"title"}


def test_the_service_time_of_a_taken_order():
    taken = date(2027, 3, 5)
    assert rules.compute_service_time(date(2027, 3, 8), "afternoon", 90, taken_on=taken) == (
        date(2027, 3, 8),
        time(14, 30),
        90,
    )
    # no day, or a day already past: the day after it was taken, in the morning, an hour
    assert rules.compute_service_time(None, None, None, taken_on=taken) == (
        date(2027, 3, 6),
        time(9, 0),
        60,
    )
    assert rules.compute_service_time(taken, "evening", None, taken_on=taken)[:2] == (
        date(2027, 3, 6),
        time(19, 0),
    )
