"""Invite rules: who may invite for which unit, the role it gives, expiry, state, passwords."""

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.auth import invites
from volunteer_app.auth.rules import AccountRuleError, PasswordError

NOW = datetime(2021, 3, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("level", "role"),
    [
        ("station", "station_organizer"),
        ("centre", "centre_organizer"),
        ("district", "district_admin"),
    ],
)
def test_the_unit_level_gives_the_role(level, role):
    assert invites.compute_invite_role("district_admin", level, unit_in_scope=True) == role


def test_a_centre_organizer_invites_for_their_centre_and_its_stations():
    assert invites.may_invite("centre_organizer")
    for level in ("centre", "station"):
        assert invites.compute_invite_role("centre_organizer", level, unit_in_scope=True)


def test_station_organizers_cannot_invite():
    assert not invites.may_invite("station_organizer")
    with pytest.raises(AccountRuleError) as error:
        invites.compute_invite_role("station_organizer", "station", unit_in_scope=True)
    assert error.value.code == "role_not_allowed"


def test_a_unit_outside_the_scope_is_refused():
    with pytest.raises(AccountRuleError) as error:
        invites.compute_invite_role("centre_organizer", "station", unit_in_scope=False)
    assert error.value.code == "unit_not_allowed"


def test_expiry_defaults_to_a_week_and_is_bounded():
    assert invites.INVITE_DAYS == 7
    assert invites.compute_expiry(NOW, 7) == NOW + timedelta(days=7)
    assert invites.compute_expiry(NOW, 30) == NOW + timedelta(days=30)
    for days in (0, -1, 31):
        with pytest.raises(invites.InviteError) as error:
            invites.compute_expiry(NOW, days)
        assert error.value.code == "bad_days"


def test_state():
    later = NOW + timedelta(days=1)
    state = invites.compute_state
    assert state(used_at=None, revoked_at=None, expires_at=later, now=NOW) == invites.PENDING
    assert state(used_at=None, revoked_at=None, expires_at=NOW, now=NOW) == invites.EXPIRED
    assert state(used_at=None, revoked_at=NOW, expires_at=later, now=NOW) == invites.REVOKED
    assert state(used_at=NOW, revoked_at=None, expires_at=NOW, now=later) == invites.USED
    paused = {"used_at": None, "revoked_at": None, "expires_at": later, "now": NOW}
    assert state(**paused, maker_active=False) == invites.PAUSED
    assert state(**{**paused, "used_at": NOW}, maker_active=False) == invites.USED
    assert state(**{**paused, "expires_at": NOW}, maker_active=False) == invites.EXPIRED


@pytest.mark.parametrize(
    ("password", "confirm", "code"),
    [
        ("short1", "short1", "password_too_short"),
        ("WangZZ01", "WangZZ01", "password_is_username"),
        ("leifeng-35", "leifeng-36", "password_mismatch"),
    ],
)
def test_the_apps_password_rules(password, confirm, code):
    with pytest.raises(PasswordError) as error:
        invites.validate_invite_password(password, confirm, username="wangzz01")
    assert error.value.code == code


def test_a_good_password_passes():
    invites.validate_invite_password("leifeng-35", "leifeng-35", username="wangzz")


def test_tokens_are_random_and_only_their_hash_is_kept():
    a, b = invites.new_token(), invites.new_token()
    assert a != b and len(a) == 43
    assert invites.hash_token(a) != a and len(invites.hash_token(a)) == 64
    assert invites.hash_token(a) == invites.hash_token(a)
