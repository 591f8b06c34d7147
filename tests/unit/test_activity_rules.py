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


# --- queued scans: the device's scan time is kept only when plausible -------------------

OPENS = datetime(2030, 3, 5, 0, 30, tzinfo=UTC)
CLOSES = datetime(2030, 3, 5, 4, 0, tzinfo=UTC)


def scan_time(scanned_at, now):
    return rules.compute_scan_time(scanned_at, now=now, opens_at=OPENS, closes_at=CLOSES)


def test_plausible_device_time_is_kept():
    scanned = datetime(2030, 3, 5, 1, 5, tzinfo=UTC)
    assert scan_time(scanned, now=scanned + timedelta(hours=5)) == (scanned, False)
    assert scan_time(OPENS, now=CLOSES) == (OPENS, False)
    assert scan_time(CLOSES, now=CLOSES) == (CLOSES, False)


@pytest.mark.parametrize(
    "scanned",
    [
        OPENS - timedelta(seconds=1),  # before the window opened
        CLOSES + timedelta(seconds=1),  # after check-out closed
        datetime(2030, 3, 5, 2, 1, tzinfo=UTC),  # in the future of the server's clock
        datetime(2001, 1, 1, tzinfo=UTC),  # a phone whose clock was reset
    ],
)
def test_implausible_device_time_uses_server_time(scanned):
    now = datetime(2030, 3, 5, 2, 0, tzinfo=UTC)
    assert scan_time(scanned, now=now) == (now, True)


def test_no_device_time_is_server_time_without_note():
    now = datetime(2030, 3, 5, 2, 0, tzinfo=UTC)
    assert scan_time(None, now=now) == (now, False)


def test_parse_scan_time():
    assert rules.parse_scan_time("") is None
    assert rules.parse_scan_time(None) is None
    assert rules.parse_scan_time("2030-03-05T01:05:00.123Z") == datetime(
        2030, 3, 5, 1, 5, 0, 123000, tzinfo=UTC
    )
    assert rules.parse_scan_time("2030-03-05T09:05:00+08:00") == datetime(
        2030, 3, 5, 1, 5, tzinfo=UTC
    )
    for bad in ("yesterday", "2030-03-05T09:05:00", "2030-13-05T00:00:00Z"):
        with pytest.raises(rules.ScanTimeError) as info:
            rules.parse_scan_time(bad)
        assert info.value.code == "scan_time_invalid"
