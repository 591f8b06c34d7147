"""Sign-up rules: published, not started, not already, not full; cancel before the start."""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.activities.signups import SignupError, validate_cancel, validate_sign_up

START = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
BEFORE = START - timedelta(minutes=1)


def ok(**overrides):
    args = {
        "status": "published",
        "starts_at": START,
        "now": BEFORE,
        "taken": 0,
        "capacity": None,
        "already": False,
    }
    args.update(overrides)
    return validate_sign_up(**args)


def test_open_activity_accepts():
    ok()
    ok(capacity=10, taken=9)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"status": "draft"}, "not_open"),
        ({"status": "cancelled"}, "not_open"),
        ({"status": "finished"}, "not_open"),
        ({"now": START}, "started"),
        ({"already": True}, "already"),
        ({"capacity": 10, "taken": 10}, "full"),
        ({"capacity": 1, "taken": 3}, "full"),
    ],
)
def test_refusals(overrides, code):
    with pytest.raises(SignupError) as caught:
        ok(**overrides)
    assert caught.value.code == code


def test_cancel_until_the_start():
    validate_cancel(starts_at=START, now=BEFORE, signed_up=True)
    with pytest.raises(SignupError) as caught:
        validate_cancel(starts_at=START, now=START, signed_up=True)
    assert caught.value.code == "started"
    with pytest.raises(SignupError) as caught:
        validate_cancel(starts_at=START, now=BEFORE, signed_up=False)
    assert caught.value.code == "not_signed_up"
