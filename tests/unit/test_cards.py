"""Volunteer card codes: round trip, forgery refused, distinct from check-in tokens."""

import pytest

from volunteer_app.checkins.tokens import issue_token
from volunteer_app.volunteers.cards import CardError, issue_card, verify_card

KEY = "k" * 40


def test_round_trip():
    assert verify_card(KEY, issue_card(KEY, 7)) == 7


@pytest.mark.parametrize("code", ["", "c7", "c7.x", "签到", "x" * 300])
def test_malformed(code):
    with pytest.raises(CardError):
        verify_card(KEY, code)


def test_checkin_token_is_not_a_card():
    with pytest.raises(CardError):
        verify_card(KEY, issue_token(KEY, 7))


def test_other_key():
    with pytest.raises(CardError):
        verify_card(KEY, issue_card("z" * 40, 7))
