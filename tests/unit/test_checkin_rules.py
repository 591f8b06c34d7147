"""Check-in rules: windows, refusals by code, the hours rule."""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.checkins import rules
from volunteer_app.checkins.rules import Action, CheckInError

START = datetime(2021, 3, 5, 0, 30, tzinfo=UTC)  # 08:30 in Asia/Shanghai
END = START + timedelta(hours=3)
WINDOW = rules.compute_window(
    START, END, opens_before=timedelta(minutes=60), checkout_grace=timedelta(minutes=120)
)


def at(minutes: int) -> datetime:
    """A moment ``minutes`` after the start."""
    return START + timedelta(minutes=minutes)


def code_of(call) -> str:
    with pytest.raises(CheckInError) as info:
        call()
    return info.value.code


@pytest.mark.parametrize(
    ("check_in", "check_out", "minutes"),
    [
        (0, 180, 180),  # the whole activity
        (-50, 180, 180),  # early arrival earns nothing extra
        (0, 300, 180),  # late departure is clipped to the end
        (10, 39, 0),  # 29 minutes: below half an hour
        (10, 40, 30),  # exactly 30 minutes
        (10, 69, 30),  # 59 minutes round down
        (10, 70, 60),
        (-30, -5, 0),  # left before it started
        (200, 230, 0),  # came after the end
        (0, 0, 0),
    ],
)
def test_compute_minutes_clips_and_rounds_down(check_in, check_out, minutes):
    assert rules.compute_minutes(at(check_in), at(check_out), START, END) == minutes


def test_window_margins():
    assert WINDOW.opens_at == START - timedelta(minutes=60)
    assert WINDOW.closes_at == END
    assert WINDOW.checkout_until == END + timedelta(minutes=120)


def test_check_in_inside_window_passes():
    rules.validate_check_in(status="published", window=WINDOW, now=at(-60), checked_in_at=None)
    rules.validate_check_in(status="published", window=WINDOW, now=at(180), checked_in_at=None)


@pytest.mark.parametrize(
    ("status", "now", "existing", "code"),
    [
        ("published", -61, None, "not_open_yet"),
        ("published", 181, None, "closed"),
        ("draft", 0, None, "draft"),
        ("cancelled", 0, None, "cancelled"),
        ("published", 0, 0, "already_checked_in"),
        ("finished", 0, 0, "already_checked_in"),
    ],
)
def test_check_in_refusals(status, now, existing, code):
    existing_at = at(existing) if existing is not None else None
    assert (
        code_of(
            lambda: rules.validate_check_in(
                status=status, window=WINDOW, now=at(now), checked_in_at=existing_at
            )
        )
        == code
    )


@pytest.mark.parametrize(
    ("checked_in", "checked_out", "now", "code"),
    [
        (None, None, 60, "not_checked_in"),
        (0, 60, 90, "already_checked_out"),
        (0, None, 180 + 121, "checkout_closed"),
    ],
)
def test_check_out_refusals(checked_in, checked_out, now, code):
    call = lambda: rules.validate_check_out(  # noqa: E731
        status="published",
        window=WINDOW,
        now=at(now),
        checked_in_at=at(checked_in) if checked_in is not None else None,
        checked_out_at=at(checked_out) if checked_out is not None else None,
    )
    assert code_of(call) == code


def test_check_out_within_grace_passes():
    rules.validate_check_out(
        status="published", window=WINDOW, now=at(300), checked_in_at=at(0), checked_out_at=None
    )


def test_next_action():
    assert rules.next_action(None, None) is Action.CHECK_IN
    assert rules.next_action(at(0), None) is Action.CHECK_OUT
    assert rules.next_action(at(0), at(60)) is Action.DONE


def test_unknown_error_code_is_a_bug():
    with pytest.raises(ValueError):
        CheckInError("no_such_code")
