"""Check-in tokens: issued tokens verify; forged, truncated and foreign ones do not."""

import pytest

from volunteer_app.checkins.tokens import TokenError, issue_token, verify_token

KEY = "k" * 40


def refused(token: str, **kwargs) -> str:
    with pytest.raises(TokenError) as info:
        verify_token(KEY, token, **kwargs)
    return info.value.code


def test_round_trip():
    token = issue_token(KEY, 42)
    assert token.startswith("s42.")
    assert verify_token(KEY, token).activity_id == 42
    assert verify_token(KEY, token, expected_activity_id=42).activity_id == 42


def test_token_is_short_enough_for_a_small_qr_code():
    assert len(issue_token(KEY, 123456)) <= 40


def test_other_key_is_refused():
    assert refused(issue_token("other-secret" * 4, 42)) == "invalid"


def test_changed_activity_id_is_refused():
    token = issue_token(KEY, 42)
    assert refused("s43" + token[3:]) == "invalid"


def test_wrong_activity():
    assert refused(issue_token(KEY, 42), expected_activity_id=7) == "wrong_activity"


@pytest.mark.parametrize(
    "token",
    ["", "s42", "s42.", "garbage", "s42.abc", "签到", "s42.ÄÖÜ", "x" * 500, "s0.abc", "s-1.abc"],
)
def test_malformed_tokens_are_refused(token):
    assert refused(token) == "invalid"


def test_truncated_token_is_refused():
    token = issue_token(KEY, 42)
    assert refused(token[:-1]) == "invalid"
