"""PIN rules and the lockout: pure functions, time passed in."""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.volunteers.rules import (
    LOCKOUT,
    MAX_PIN_FAILURES,
    IdentityError,
    compute_failure,
    normalize_secret,
    validate_attempt_allowed,
    validate_new_pin,
)

NOW = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize("pin", ["2580", "97531", "802413", "１９７３"])
def test_acceptable_pins(pin):
    assert validate_new_pin(pin).isdigit()


@pytest.mark.parametrize("pin", ["", "123", "1234567", "12a4", "12 34", "abcd"])
def test_pins_of_the_wrong_shape(pin):
    with pytest.raises(IdentityError) as caught:
        validate_new_pin(pin)
    assert caught.value.code == "pin_format" and caught.value.status == 400


@pytest.mark.parametrize("pin", ["0000", "1111", "1234", "123456", "4321", "987654", "999999"])
def test_trivial_pins_are_refused(pin):
    with pytest.raises(IdentityError) as caught:
        validate_new_pin(pin)
    assert caught.value.code == "pin_too_simple"


def test_confirmation_must_match():
    with pytest.raises(IdentityError) as caught:
        validate_new_pin("2580", "2581")
    assert caught.value.code == "pin_confirm"
    assert validate_new_pin("2580", "2580") == "2580"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2580", "2580"),
        (" 25 80 ", "2580"),
        ("12345678", "12345678"),
        ("123", None),
        ("123456789", None),
        ("pin!", None),
        ("", None),
    ],
)
def test_normalize_secret(raw, expected):
    assert normalize_secret(raw) == expected


def test_failures_below_the_limit_do_not_lock():
    failures, locked = 0, None
    for _ in range(MAX_PIN_FAILURES - 1):
        failures, locked = compute_failure(failures, NOW)
        assert locked is None
    assert failures == MAX_PIN_FAILURES - 1


def test_the_fifth_failure_locks_for_fifteen_minutes_and_resets_the_count():
    failures, locked = compute_failure(MAX_PIN_FAILURES - 1, NOW)
    assert failures == 0 and locked == NOW + LOCKOUT


def test_attempts_are_refused_while_locked_and_allowed_after():
    locked_until = NOW + LOCKOUT
    with pytest.raises(IdentityError) as caught:
        validate_attempt_allowed(locked_until, NOW + LOCKOUT - timedelta(seconds=1))
    assert caught.value.code == "locked" and caught.value.status == 429
    validate_attempt_allowed(locked_until, NOW + LOCKOUT)
    validate_attempt_allowed(None, NOW)


def test_mismatch_has_one_message_for_every_cause():
    """Unknown number, wrong PIN and expired code share "mismatch"; only a number without a
    PIN (registered by others) is told how to claim it, an answer the per-IP probe limit
    counts (tests/routes/test_claims.py)."""
    assert set(IdentityError.messages) >= {"mismatch", "locked", "no_pin"}
    assert not any(c in IdentityError.messages for c in ("unknown_phone", "wrong_pin"))


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (
            "Mozilla/5.0 (Linux; Android 13; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.40",
            "WeChat · Android",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
            "Safari · iPhone",
        ),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0", "Chrome · Linux"),
        ("", ""),
        ("curl/8.0", ""),
    ],
)
def test_describe_user_agent(agent, expected):
    from volunteer_app.volunteers.rules import describe_user_agent

    assert describe_user_agent(agent) == expected
