"""Organizer passwords and the sign-in lockout: pure rules, time passed in."""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.auth import rules
from volunteer_app.auth.rules import LoginError, PasswordError

NOW = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)
PERIOD = timedelta(minutes=15)


def password_code(password, confirm=None, *, username="wanfu", current="initial-pw-1"):
    with pytest.raises(PasswordError) as info:
        rules.validate_new_password(
            password, password if confirm is None else confirm, username=username, current=current
        )
    return info.value.code


def test_a_good_new_password_passes():
    rules.validate_new_password(
        "leifeng-2026", "leifeng-2026", username="wanfu", current="initial-pw-1"
    )


def test_new_password_codes():
    assert password_code("short7!") == "password_too_short"
    assert password_code("wanfu-station", username="wanfu-station") == "password_is_username"
    assert password_code(" WanFu-Station ", username="wanfu-station") == "password_is_username"
    assert password_code("leifeng-2026", "leifeng-2027") == "password_mismatch"
    assert password_code("initial-pw-1") == "password_unchanged"


def test_login_allowed_until_the_lock_ends():
    rules.validate_login_allowed(None, NOW)
    rules.validate_login_allowed(NOW, NOW)  # the lock has just ended
    with pytest.raises(LoginError) as info:
        rules.validate_login_allowed(NOW + timedelta(seconds=1), NOW)
    assert info.value.code == "locked" and info.value.status == 429


def fail(failures, started, now, attempts=5):
    return rules.compute_login_failure(failures, started, now, attempts=attempts, period=PERIOD)


def test_the_fifth_failure_within_the_period_locks_for_the_period():
    failures, started, locked = 0, None, None
    for minute in range(4):
        failures, started, locked = fail(failures, started, NOW + timedelta(minutes=minute))
        assert locked is None
    assert (failures, started) == (4, NOW)
    failures, started, locked = fail(failures, started, NOW + timedelta(minutes=4))
    assert (failures, started, locked) == (0, None, NOW + timedelta(minutes=19))


def test_failures_older_than_the_period_are_forgotten():
    failures, started, locked = fail(4, NOW, NOW + PERIOD)
    assert (failures, started, locked) == (1, NOW + PERIOD, None)


def test_one_attempt_locks_at_once_when_the_limit_is_one():
    assert fail(0, None, NOW, attempts=1) == (0, None, NOW + PERIOD)
