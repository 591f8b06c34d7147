"""Volunteer card codes: round trip, forgery refused, distinct from check-in tokens, version 1
refused as replaced."""

import pytest
from itsdangerous import Signer

from volunteer_app.checkins.tokens import issue_token
from volunteer_app.codes import new_key
from volunteer_app.volunteers.cards import V1_SALT, CardError, issue_card, verify_card

KEY = "k" * 40
CARD_KEY = "R5tYb8Qw1nX0zKp3"


def refused(code: str) -> str:
    with pytest.raises(CardError) as info:
        verify_card(KEY, code)
    return info.value.code


def test_round_trip_carries_the_card_key_not_the_id():
    code = issue_card(KEY, CARD_KEY)
    assert code.startswith("2c" + CARD_KEY + ".") and len(code) <= 36
    assert verify_card(KEY, code) == CARD_KEY
    assert verify_card(KEY, f"  {code}\n") == CARD_KEY


@pytest.mark.parametrize("code", ["", "c7", "c7.x", "签到", "x" * 300, "2c" + CARD_KEY])
def test_malformed(code):
    assert refused(code) == "invalid"


def test_checkin_token_is_not_a_card():
    assert refused(issue_token(KEY, CARD_KEY)) == "invalid"


def test_other_secret_and_swapped_key_are_refused():
    assert refused(issue_card("z" * 40, CARD_KEY)) == "invalid"
    assert refused(issue_card(KEY, CARD_KEY).replace(CARD_KEY, new_key())) == "invalid"


def test_a_genuine_version_1_card_is_replaced_a_forged_one_invalid():
    old = Signer(KEY, salt=V1_SALT).sign("c7").decode("ascii")
    assert refused(old) == "replaced"
    assert refused(Signer("z" * 40, salt=V1_SALT).sign("c7").decode("ascii")) == "invalid"
    assert refused(old[:-1]) == "invalid"
