"""Honest records: a person's time never overlaps itself, and no record holds future time.

The rules of checkins.rules, called directly; each refusal asserted by its code.
"""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.checkins import rules
from volunteer_app.checkins.review_rules import (
    HoursError,
    compute_passed_minutes,
    compute_stay_minutes,
    validate_adjustment,
)
from volunteer_app.checkins.rules import CheckInError, Stay

START = datetime(2021, 3, 5, 0, 30, tzinfo=UTC)  # 08:30 in Asia/Shanghai
END = START + timedelta(hours=3)
WINDOW = rules.compute_window(
    START, END, opens_before=timedelta(minutes=60), checkout_grace=timedelta(minutes=120)
)


def at(minutes: int) -> datetime:
    """A moment ``minutes`` after the start."""
    return START + timedelta(minutes=minutes)


def stay(begin: int, end: int | None, record_id: int = 1, activity_id: int = 10) -> Stay:
    return Stay(record_id, activity_id, at(begin), None if end is None else at(end))


def code_of(call) -> str:
    with pytest.raises((CheckInError, HoursError)) as info:
        call()
    return info.value.code


# --- overlaps: half-open intervals, None as an open end --------------------------------


@pytest.mark.parametrize(
    ("first", "second", "shared"),
    [
        ((0, 60), (30, 90), True),  # partly
        ((0, 60), (60, 120), False),  # one ends as the next begins
        ((60, 120), (0, 60), False),
        ((0, 180), (30, 60), True),  # one inside the other
        ((30, 60), (0, 180), True),
        ((0, 60), (0, 60), True),  # the same time
        ((0, 60), (90, 120), False),  # apart
        ((0, None), (30, 60), True),  # still in at A, a stay later
        ((0, None), (-60, -10), False),  # still in, a stay before
        ((0, None), (-60, 0), False),  # ended as the open one began
        ((0, None), (60, None), True),  # two open stays always share time
        ((30, 60), (0, None), True),
    ],
)
def test_overlaps(first, second, shared):
    a_begin, a_end = first
    b_begin, b_end = second
    result = rules.overlaps(
        at(a_begin),
        None if a_end is None else at(a_end),
        at(b_begin),
        None if b_end is None else at(b_end),
    )
    assert result is shared


def test_find_overlap_gives_the_earliest_or_none():
    others = [stay(100, 150, 3), stay(20, 40, 2), stay(200, 220, 4)]
    assert rules.find_overlap(at(0), at(120), others) == others[1]
    assert rules.find_overlap(at(40), at(100), others) is None
    assert rules.find_overlap(at(0), at(10), []) is None


def test_overlapping_pairs_lists_each_pair_once_earlier_first():
    """What check-overlaps reports: every pair sharing time, touching ends left out."""
    a, b, c = stay(0, 180, 1, 10), stay(60, 180, 2, 20), stay(180, 240, 3, 30)
    d = stay(200, None, 4, 40)  # still open: overlaps c, not a or b
    assert rules.overlapping_pairs([d, c, b, a]) == [(a, b), (c, d)]
    assert rules.overlapping_pairs([a, c]) == []
    assert rules.overlapping_pairs([]) == []
    assert rules.shared_minutes(a, b, now=at(500)) == 120
    assert rules.shared_minutes(c, d, now=at(500)) == 40
    assert rules.shared_minutes(d, stay(210, None, 5), now=at(230)) == 20  # both open
    assert rules.shared_minutes(a, c, now=at(500)) == 0


@pytest.mark.parametrize(
    ("checked_in", "now", "early"),
    [
        (0, 1, True),  # the second scan a minute after the first
        (0, 29, True),  # 29 minutes earn 0 h
        (0, 30, False),  # the first half hour is earned
        (0, 90, False),
        (-60, 10, True),  # arrived early: only the 10 minutes of the schedule count
        (-60, 30, False),
        (170, 240, True),  # stayed late: only the 10 minutes before the end count
        (150, 240, False),
    ],
)
def test_is_early_check_out_asks_below_the_first_hours_step(checked_in, now, early):
    """Whether the 签退 asks 确定签退吗？: it would credit less than half an hour."""
    assert rules.is_early_check_out(at(checked_in), at(now), START, END) is early


def test_validate_no_overlap_refuses_with_its_code():
    assert code_of(lambda: rules.validate_no_overlap(at(0), at(60), [stay(59, 70)])) == "overlaps"
    rules.validate_no_overlap(at(0), at(60), [stay(60, 70), stay(-10, 0)])


def test_overlaps_is_a_conflict():
    with pytest.raises(CheckInError) as info:
        rules.validate_no_overlap(at(0), None, [stay(10, None)])
    assert info.value.status == 409


# --- a check-in elsewhere: close the open stay, refuse the rest ------------------------


def test_check_in_closes_the_open_stay_elsewhere():
    open_a = stay(0, None, 1)
    assert rules.plan_check_in(at(90), [open_a]) == [open_a]


def test_check_in_with_nothing_elsewhere_closes_nothing():
    assert rules.plan_check_in(at(90), []) == []
    assert rules.plan_check_in(at(90), [stay(0, 60), stay(0, 90)]) == []


def test_check_in_inside_a_closed_stay_is_refused():
    # a queued scan from 10:00 arriving when the person was recorded elsewhere 09:30-11:00
    assert code_of(lambda: rules.plan_check_in(at(60), [stay(30, 120)])) == "overlaps"


def test_check_in_before_an_open_stay_began_is_refused():
    assert code_of(lambda: rules.plan_check_in(at(0), [stay(30, None)])) == "overlaps"
    assert code_of(lambda: rules.plan_check_in(at(30), [stay(30, None)])) == "overlaps"


def test_check_in_closes_several_open_stays_earliest_first():
    legacy = [stay(20, None, 2), stay(0, None, 1)]
    assert [s.record_id for s in rules.plan_check_in(at(90), legacy)] == [1, 2]


def test_check_in_refuses_when_any_stay_is_not_closable():
    assert code_of(lambda: rules.plan_check_in(at(90), [stay(0, None), stay(80, 100)])) == (
        "overlaps"
    )


# --- no time from the future, outside the activity, or before the check-in ------------


def test_a_correction_ending_after_now_is_refused():
    # the reported bug: 05:30 accepted at 04:13 (here: out 40 minutes ahead of now)
    now = at(100)
    assert code_of(lambda: rules.validate_record_times(at(0), at(140), window=WINDOW, now=now)) == (
        "future"
    )


def test_a_correction_beginning_after_now_is_refused():
    assert code_of(
        lambda: rules.validate_record_times(at(50), at(60), window=WINDOW, now=at(40))
    ) == ("future")


def test_a_correction_ending_now_is_accepted():
    rules.validate_record_times(at(0), at(100), window=WINDOW, now=at(100))


def test_correction_times_in_order():
    assert code_of(
        lambda: rules.validate_record_times(at(60), at(60), window=WINDOW, now=at(500))
    ) == ("correction_times")
    assert code_of(
        lambda: rules.validate_record_times(at(60), at(30), window=WINDOW, now=at(500))
    ) == ("correction_times")


@pytest.mark.parametrize(
    ("begin", "end", "ok"),
    [
        (-60, 180, True),  # from check-in opening
        (-61, 180, False),  # before it opened
        (0, 300, True),  # to the end of the check-out grace
        (0, 301, False),
        (-600, -500, False),  # another day
    ],
)
def test_correction_within_the_activity(begin, end, ok):
    def call():
        rules.validate_record_times(at(begin), at(end), window=WINDOW, now=at(10_000))

    if ok:
        call()
    else:
        assert code_of(call) == "outside_activity"


def test_future_and_window_refusals_are_bad_input():
    with pytest.raises(CheckInError) as info:
        rules.validate_record_times(at(0), at(60), window=WINDOW, now=at(10))
    assert info.value.status == 400


def test_check_out_before_the_check_in_is_refused():
    assert code_of(lambda: rules.validate_check_out_time(at(30), at(29))) == "before_check_in"
    rules.validate_check_out_time(at(30), at(30))
    rules.validate_check_out_time(at(30), at(31))


# --- adjusting hours: never more than the part already passed ---------------------------


@pytest.mark.parametrize(("now", "passed"), [(-10, 0), (0, 0), (45, 45), (180, 180), (400, 180)])
def test_passed_minutes(now, passed):
    assert compute_passed_minutes(START, END, at(now)) == passed


def test_stay_minutes_are_clipped_not_rounded():
    assert compute_stay_minutes(at(-30), at(50), START, END) == 50
    assert compute_stay_minutes(at(10), at(400), START, END) == 170
    assert compute_stay_minutes(at(200), at(210), START, END) == 0


def test_adjusting_beyond_the_passed_part_is_refused():
    def adjust(minutes, passed):
        return validate_adjustment(
            minutes=minutes,
            duration_minutes=180,
            reason="补记",
            checked_out=True,
            passed_minutes=passed,
        )

    assert code_of(lambda: adjust(120, 90)) == "future_hours"
    assert code_of(lambda: adjust(30, 0)) == "future_hours"
    assert adjust(90, 90) == "补记"
    assert adjust(0, 0) == "补记"
    assert adjust(180, None) == "补记"  # without a now, only the duration limits


def test_an_open_record_is_still_open_before_it_is_future():
    with pytest.raises(HoursError) as info:
        validate_adjustment(
            minutes=120, duration_minutes=180, reason="x", checked_out=False, passed_minutes=0
        )
    assert info.value.code == "still_open"
