"""Activity lifecycle and recording-deadline rules, called directly."""

from datetime import UTC, date, datetime, timedelta

import pytest

from volunteer_app.activities import rules
from volunteer_app.activities.rules import LifecycleError

END = datetime(2030, 3, 5, 3, 30, tzinfo=UTC)


def code(fn, *args, **kwargs):
    with pytest.raises(LifecycleError) as info:
        fn(*args, **kwargs)
    return info.value.code


def transition(current, target, *, now=END + timedelta(hours=1), checkins=0):
    rules.validate_transition(current, target, now=now, ends_at=END, checkin_count=checkins)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("draft", "published"),
        ("draft", "cancelled"),
        ("published", "finished"),
        ("published", "cancelled"),
        ("published", "draft"),
    ],
)
def test_allowed_transitions(current, target):
    transition(current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("draft", "finished"),
        ("draft", "draft"),
        ("finished", "published"),
        ("finished", "cancelled"),
        ("cancelled", "published"),
        ("cancelled", "draft"),
        ("published", "bogus"),
    ],
)
def test_refused_transitions(current, target):
    assert code(transition, current, target) == "invalid_transition"


def test_finish_only_after_the_end():
    assert code(transition, "published", "finished", now=END - timedelta(minutes=1)) == "not_ended"
    transition("published", "finished", now=END)


def test_cancel_or_unpublish_refused_once_someone_checked_in():
    assert code(transition, "published", "cancelled", checkins=1) == "has_checkins"
    assert code(transition, "published", "draft", checkins=2) == "has_checkins"


def test_finished_and_cancelled_are_locked():
    rules.validate_editable("draft")
    rules.validate_editable("published")
    assert code(rules.validate_editable, "finished") == "locked"
    assert code(rules.validate_editable, "cancelled") == "locked"


def test_allowed_targets_order():
    assert rules.allowed_targets("draft") == ["published", "cancelled"]
    assert rules.allowed_targets("published") == ["finished", "draft", "cancelled"]
    assert rules.allowed_targets("finished") == []


def test_working_days_skip_weekends():
    friday = date(2030, 3, 8)
    assert friday.weekday() == 4
    assert rules.add_working_days(friday, 1) == date(2030, 3, 11)  # Monday
    assert rules.add_working_days(friday, 10) == date(2030, 3, 22)
    saturday = date(2030, 3, 9)
    assert rules.add_working_days(saturday, 1) == date(2030, 3, 11)


def test_recording_overdue():
    ended = date(2030, 3, 5)  # Tuesday → deadline Tuesday 19 March
    assert rules.recording_deadline(ended) == date(2030, 3, 19)
    assert not rules.is_recording_overdue(ended_on=ended, today=date(2030, 3, 19), pending_count=3)
    assert rules.is_recording_overdue(ended_on=ended, today=date(2030, 3, 20), pending_count=3)
    assert not rules.is_recording_overdue(ended_on=ended, today=date(2030, 4, 1), pending_count=0)


def test_duplicate_keeps_the_length():
    start = END - timedelta(hours=3)
    new_start = start + timedelta(days=7)
    assert rules.shift_to_new_start(start, END, new_start) == (new_start, END + timedelta(days=7))
