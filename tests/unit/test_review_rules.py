"""Hours review rules: closing, adjustments, confirmation, minimum presence."""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.checkins import review_rules as r
from volunteer_app.checkins.review_rules import HoursError

START = datetime(2030, 3, 5, 0, 30, tzinfo=UTC)
END = START + timedelta(hours=3)


def code(fn, *args, **kwargs):
    with pytest.raises(HoursError) as info:
        fn(*args, **kwargs)
    return info.value.code


def test_close_needs_the_end_and_a_held_activity():
    assert code(r.validate_close, status="published", now=END - timedelta(1), ends_at=END) == (
        "not_ended"
    )
    assert code(r.validate_close, status="draft", now=END, ends_at=END) == "not_held"
    assert code(r.validate_close, status="cancelled", now=END, ends_at=END) == "not_held"
    r.validate_close(status="published", now=END, ends_at=END)
    r.validate_close(status="finished", now=END, ends_at=END)


def adjust(**overrides):
    args = {"minutes": 90, "duration_minutes": 180, "reason": "忘记签退", "checked_out": True}
    args.update(overrides)
    return r.validate_adjustment(**args)


def test_adjustment_rules():
    assert adjust(reason="  忘记签退，\n 11点离开 ") == "忘记签退， 11点离开"
    assert code(adjust, reason="   ") == "reason_required"
    assert code(adjust, reason="x" * 501) == "reason_too_long"
    assert code(adjust, minutes=45) == "hours_invalid"
    assert code(adjust, minutes=-30) == "hours_invalid"
    assert code(adjust, minutes=210) == "hours_exceed_duration"
    assert code(adjust, checked_out=False) == "still_open"
    assert adjust(minutes=0) and adjust(minutes=180)


def test_hours_to_minutes():
    assert r.hours_to_minutes(2.5) == 150
    assert r.hours_to_minutes(0) == 0
    assert code(r.hours_to_minutes, 1.2) == "hours_invalid"
    assert code(r.hours_to_minutes, -0.5) == "hours_invalid"


def confirm(**overrides):
    args = {
        "status": "published",
        "now": END,
        "ends_at": END,
        "open_count": 0,
        "review_count": 0,
        "pending_count": 4,
    }
    args.update(overrides)
    r.validate_confirmation(**args)


def test_confirmation_rules():
    confirm()
    confirm(status="finished")
    assert code(confirm, now=END - timedelta(minutes=1)) == "not_ended"
    assert code(confirm, status="cancelled") == "not_held"
    assert code(confirm, open_count=1) == "open_checkins"
    assert code(confirm, review_count=1) == "needs_review"
    assert code(confirm, pending_count=0) == "nothing_to_confirm"


def test_min_presence_off_by_default_and_clipped():
    arrive = START + timedelta(hours=2)
    assert r.meets_min_presence(arrive, END, START, END, 0)
    assert not r.meets_min_presence(arrive, END, START, END, 60)  # 1 h of 3 h
    assert r.meets_min_presence(
        START - timedelta(hours=1), START + timedelta(minutes=108), START, END, 60
    )  # exactly 60 %
    assert not r.meets_min_presence(START - timedelta(hours=1), START, START, END, 10)


def add(**overrides):
    args = {
        "status": "published",
        "now": END,
        "ends_at": END,
        "has_record": False,
        "minutes": 60,
        "duration_minutes": 180,
        "reason": "无智能手机",
    }
    args.update(overrides)
    return r.validate_addition(**args)


def test_addition_rules():
    assert add() == "无智能手机"
    assert code(add, now=END - timedelta(minutes=1)) == "not_ended"
    assert code(add, has_record=True) == "already_recorded"
    assert code(add, status="cancelled") == "not_held"
    assert code(add, reason="") == "reason_required"
    assert code(add, minutes=240) == "hours_exceed_duration"
