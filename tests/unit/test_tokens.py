"""Check-in tokens: issued tokens verify; forged, truncated and foreign ones do not; version 1
only for the activities that still accept it, until their check-out window ends."""

from datetime import UTC, datetime, timedelta

import pytest
from itsdangerous import Signer

from volunteer_app.checkins.tokens import (
    V1_SALT,
    TokenError,
    issue_rotating_token,
    issue_token,
    validate_v1,
    verify_token,
)
from volunteer_app.codes import new_key

KEY = "k" * 40
ACTIVITY_KEY = "q3TzV9kLm0aB7xYc"
NOW = datetime(2030, 3, 5, 1, 0, 0, tzinfo=UTC)


def refused(token: str) -> str:
    with pytest.raises(TokenError) as info:
        verify_token(KEY, token)
    return info.value.code


def v1(payload: str, secret: str = KEY) -> str:
    """A version 1 token as the app issued them before: ``s<id>`` / ``r<id>.<step>``."""
    return Signer(secret, salt=V1_SALT).sign(payload).decode("ascii")


def test_round_trip_carries_the_key_not_the_id():
    token = issue_token(KEY, ACTIVITY_KEY)
    assert token.startswith("2s" + ACTIVITY_KEY + ".")
    claims = verify_token(KEY, token)
    assert (claims.key, claims.kind, claims.step, claims.version) == (
        ACTIVITY_KEY,
        "static",
        None,
        2,
    )
    assert claims.activity_id is None


def test_token_is_short_enough_for_a_small_qr_code():
    assert len(issue_token(KEY, new_key())) <= 36
    assert len(issue_rotating_token(KEY, new_key(), 999_999_999)) <= 44


def test_fresh_keys_are_random_and_distinct():
    keys = {new_key() for _ in range(200)}
    assert len(keys) == 200 and all(len(k) == 16 for k in keys)


def test_other_secret_is_refused():
    assert refused(issue_token("other-secret" * 4, ACTIVITY_KEY)) == "invalid"


def test_another_activitys_key_cannot_be_swapped_in():
    token = issue_token(KEY, ACTIVITY_KEY)
    other = "Zz9Yy8Xx7Ww6Vv5U"
    assert refused(token.replace(ACTIVITY_KEY, other)) == "invalid"


def test_a_rotating_token_does_not_give_away_the_poster_code():
    """The projector shows the key; without the secret no static token can be made of it."""
    rotating = issue_rotating_token(KEY, ACTIVITY_KEY, 100)
    mac = rotating.rsplit(".", 1)[1]
    assert refused(f"2s{ACTIVITY_KEY}.{mac}") == "invalid"


@pytest.mark.parametrize(
    "token",
    [
        "",
        "2s",
        "2s.",
        "garbage",
        "2sabc.def",
        "签到",
        "2sÄÖÜ.x",
        "x" * 500,
        "2s" + ACTIVITY_KEY,
        "2x" + ACTIVITY_KEY + ".AAAAAAAAAAAAAA",
        "s0.abc",
        "s-1.abc",
    ],
)
def test_malformed_tokens_are_refused(token):
    assert refused(token) == "invalid"


def test_truncated_token_is_refused():
    token = issue_token(KEY, ACTIVITY_KEY)
    assert refused(token[:-1]) == "invalid"
    assert refused(token[:20]) == "invalid"


def test_a_sealed_payload_of_the_wrong_shape_is_refused():
    from volunteer_app.codes import seal

    for payload in ("2sshort", "2r" + ACTIVITY_KEY, "2r" + ACTIVITY_KEY + ".01", "2c" + "a" * 16):
        assert refused(seal(KEY, "checkin.v2", payload)) == "invalid"


def test_version_1_tokens_still_verify_and_name_the_id():
    static = verify_token(KEY, v1("s42"))
    assert (static.version, static.activity_id, static.kind, static.key) == (1, 42, "static", None)
    rotating = verify_token(KEY, v1("r42.59026712"))
    assert (rotating.version, rotating.activity_id, rotating.step) == (1, 42, 59026712)
    assert refused(v1("s42", secret="other-secret" * 4)) == "invalid"
    assert refused(v1("s42")[:-1]) == "invalid"


def test_version_1_is_accepted_only_when_flagged_and_before_the_end():
    end = NOW + timedelta(hours=2)
    validate_v1(accepted=True, checkout_until=end, now=NOW)
    validate_v1(accepted=True, checkout_until=end, now=end)
    for accepted, now in ((True, end + timedelta(seconds=1)), (False, NOW)):
        with pytest.raises(TokenError) as info:
            validate_v1(accepted=accepted, checkout_until=end, now=now)
        assert info.value.code == "replaced"
