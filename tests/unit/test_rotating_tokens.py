"""Rotating projector tokens: format, validity with injected time, and the opening proof
that alone extends a code's validity on the form's submit."""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.checkins.tokens import (
    TokenError,
    current_step,
    issue_opened,
    issue_rotating_token,
    issue_token,
    opened_at,
    step_ends_at,
    validate_rotating,
    verify_token,
)
from volunteer_app.codes import seal

KEY = "k" * 40
ACTIVITY_KEY = "q3TzV9kLm0aB7xYc"
PERIOD = 30
GRACE = 300
T0 = datetime(2030, 3, 5, 1, 0, 0, tzinfo=UTC)  # a step boundary (3600 s multiples)


def expired(step, now, **kwargs):
    with pytest.raises(TokenError) as info:
        validate_rotating(step, period=PERIOD, now=now, **kwargs)
    return info.value.code


def test_round_trip_and_static_still_works():
    step = current_step(T0, PERIOD)
    token = issue_rotating_token(KEY, ACTIVITY_KEY, step)
    assert token.startswith(f"2r{ACTIVITY_KEY}.{step}.") and len(token) <= 44
    claims = verify_token(KEY, token)
    assert (claims.key, claims.kind, claims.step) == (ACTIVITY_KEY, "rotating", step)
    static = verify_token(KEY, issue_token(KEY, ACTIVITY_KEY))
    assert (static.kind, static.step) == ("static", None)


def test_tampered_step_is_refused():
    token = issue_rotating_token(KEY, ACTIVITY_KEY, 100)
    forged = token.replace(".100.", ".101.")
    with pytest.raises(TokenError):
        verify_token(KEY, forged)


def test_another_activitys_key_is_refused():
    token = issue_rotating_token(KEY, ACTIVITY_KEY, 100)
    with pytest.raises(TokenError):
        verify_token(KEY, token.replace(ACTIVITY_KEY, "Zz9Yy8Xx7Ww6Vv5U"))


@pytest.mark.parametrize(
    "payload",
    ["2r", "2r" + ACTIVITY_KEY, "2r" + ACTIVITY_KEY + ".01", "2r" + ACTIVITY_KEY + ".-1", "2rx.5"],
)
def test_malformed_rotating_payloads(payload):
    with pytest.raises(TokenError):
        verify_token(KEY, seal(KEY, "checkin.v2", payload))


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


def test_grace_applies_only_after_an_opening_while_valid():
    step = current_step(T0, PERIOD)
    later = T0 + timedelta(seconds=200)
    # no proof of opening: the grace setting alone extends nothing (a direct POST)
    assert expired(step, later, grace_seconds=GRACE) == "expired"
    # opened while valid: accepted until the grace after that opening
    opened = T0 + timedelta(seconds=50)
    validate_rotating(step, period=PERIOD, now=later, opened_at=opened, grace_seconds=GRACE)
    validate_rotating(
        step,
        period=PERIOD,
        now=opened + timedelta(seconds=299),
        opened_at=opened,
        grace_seconds=GRACE,
    )
    assert (
        expired(step, opened + timedelta(seconds=300), opened_at=opened, grace_seconds=GRACE)
        == "expired"
    )


def test_an_opening_after_the_code_expired_gives_no_grace():
    step = current_step(T0, PERIOD)
    too_late = T0 + timedelta(seconds=60)
    now = T0 + timedelta(seconds=90)
    assert expired(step, now, opened_at=too_late, grace_seconds=GRACE) == "expired"
    long_before = T0 - timedelta(seconds=120)
    assert expired(step, now, opened_at=long_before, grace_seconds=GRACE) == "expired"


def test_a_token_from_the_future_is_refused():
    step = current_step(T0, PERIOD)
    validate_rotating(step + 1, period=PERIOD, now=T0)  # one step of clock skew is fine
    assert expired(step + 2, T0) == "invalid"


def test_opening_proof_round_trip_is_bound_to_its_token():
    token = issue_rotating_token(KEY, ACTIVITY_KEY, 100)
    proof = issue_opened(KEY, token, T0)
    assert opened_at(KEY, token, proof) == T0
    other = issue_rotating_token(KEY, ACTIVITY_KEY, 101)
    assert opened_at(KEY, other, proof) is None
    assert opened_at("z" * 40, token, proof) is None


@pytest.mark.parametrize(
    "proof", [None, "", "x", "1893805200", "1893805200.", "0.abc", "1893805200.签到", "9" * 300]
)
def test_malformed_or_forged_proofs_prove_nothing(proof):
    token = issue_rotating_token(KEY, ACTIVITY_KEY, 100)
    assert opened_at(KEY, token, proof) is None


def test_a_proof_with_a_changed_time_is_refused():
    token = issue_rotating_token(KEY, ACTIVITY_KEY, 100)
    at, signature = issue_opened(KEY, token, T0).split(".", 1)
    assert opened_at(KEY, token, f"{int(at) + 600}.{signature}") is None
