"""Rotating projector tokens: format, and validity with injected time."""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.checkins.tokens import (
    TokenError,
    current_step,
    issue_rotating_token,
    issue_token,
    step_ends_at,
    validate_rotating,
    verify_token,
)

KEY = "k" * 40
PERIOD = 30
T0 = datetime(2030, 3, 5, 1, 0, 0, tzinfo=UTC)  # a step boundary (3600 s multiples)


def expired(step, now, **kwargs):
    with pytest.raises(TokenError) as info:
        validate_rotating(step, period=PERIOD, now=now, **kwargs)
    return info.value.code


def test_round_trip_and_static_still_works():
    step = current_step(T0, PERIOD)
    token = issue_rotating_token(KEY, 42, step)
    assert token.startswith(f"r42.{step}.") and len(token) <= 50
    claims = verify_token(KEY, token)
    assert (claims.activity_id, claims.kind, claims.step) == (42, "rotating", step)
    static = verify_token(KEY, issue_token(KEY, 42))
    assert (static.kind, static.step) == ("static", None)


def test_tampered_step_is_refused():
    token = issue_rotating_token(KEY, 42, 100)
    forged = token.replace("r42.100.", "r42.101.")
    with pytest.raises(TokenError):
        verify_token(KEY, forged)


@pytest.mark.parametrize("payload", ["r42.", "r42.01", "r42.-1", "r0.5", "r42.5.6", "x42"])
def test_malformed_rotating_payloads(payload):
    from itsdangerous import Signer

    token = Signer(KEY, salt="checkin.v1").sign(payload).decode()
    with pytest.raises(TokenError):
        verify_token(KEY, token)


def test_steps_and_boundaries():
    step = current_step(T0, PERIOD)
    assert current_step(T0 + timedelta(seconds=29.9), PERIOD) == step
    assert current_step(T0 + timedelta(seconds=30), PERIOD) == step + 1
    assert step_ends_at(step, PERIOD) == T0 + timedelta(seconds=30)


def test_valid_for_its_own_step_and_the_next():
    step = current_step(T0, PERIOD)
    validate_rotating(step, period=PERIOD, now=T0)
    validate_rotating(step, period=PERIOD, now=T0 + timedelta(seconds=59))
    assert expired(step, T0 + timedelta(seconds=60)) == "expired"
    assert expired(step - 5, T0) == "expired"


def test_submit_grace_extends_validity():
    step = current_step(T0, PERIOD)
    later = T0 + timedelta(seconds=200)
    assert expired(step, later) == "expired"
    validate_rotating(step, period=PERIOD, now=later, grace_seconds=300)
    assert expired(step, T0 + timedelta(seconds=360), grace_seconds=300) == "expired"


def test_a_token_from_the_future_is_refused():
    step = current_step(T0, PERIOD)
    validate_rotating(step + 1, period=PERIOD, now=T0)  # one step of clock skew is fine
    assert expired(step + 2, T0) == "invalid"
