"""Who may create which accounts."""

import pytest

from volunteer_app.auth import rules
from volunteer_app.auth.rules import AccountRuleError


def code(*args, **kwargs):
    with pytest.raises(AccountRuleError) as info:
        rules.validate_account_creation(*args, **kwargs)
    return info.value.code


def test_creatable_roles_by_level():
    assert rules.creatable_roles("district_admin") == ("centre_organizer", "station_organizer")
    assert rules.creatable_roles("centre_organizer") == ("station_organizer",)
    assert rules.creatable_roles("station_organizer") == ()
    assert rules.creatable_roles("nobody") == ()


def test_validate_account_creation():
    rules.validate_account_creation("district_admin", "centre_organizer", unit_in_scope=True)
    rules.validate_account_creation("centre_organizer", "station_organizer", unit_in_scope=True)
    assert code("centre_organizer", "centre_organizer", unit_in_scope=True) == "role_not_allowed"
    assert code("district_admin", "district_admin", unit_in_scope=True) == "role_not_allowed"
    assert code("station_organizer", "station_organizer", unit_in_scope=True) == (
        "role_not_allowed"
    )
    assert code("centre_organizer", "station_organizer", unit_in_scope=False) == (
        "unit_not_allowed"
    )


def test_account_management_rules():
    manage = rules.validate_account_management
    manage("centre_organizer", "station_organizer", unit_in_scope=True, is_self=False)
    for args in (
        ("centre_organizer", "station_organizer", False, False),
        ("centre_organizer", "centre_organizer", True, False),
        ("district_admin", "district_admin", True, False),
        ("district_admin", "centre_organizer", True, True),
    ):
        with pytest.raises(AccountRuleError) as info:
            manage(args[0], args[1], unit_in_scope=args[2], is_self=args[3])
        assert info.value.code == "cannot_manage"
