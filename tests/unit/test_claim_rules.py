"""Who may give a one-time code that resets a PIN (volunteers.rules.validate_code_issue)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from volunteer_app.volunteers.rules import LONG_STANDING, SetupCodeError, validate_code_issue

NOW = datetime(2026, 3, 5, 8, 0)


def check(**fields):
    values = {
        "station_level": True,
        "has_pin": True,
        "pin_set_at": NOW - timedelta(days=3),
        "records_elsewhere": False,
        "now": NOW,
    }
    values.update(fields)
    validate_code_issue(**values)


def test_a_recent_pin_with_records_only_here_may_be_reset_by_the_station():
    check()


def test_no_pin_yet_any_organizer_who_may_see_them():
    check(has_pin=False, pin_set_at=None, records_elsewhere=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"pin_set_at": NOW - LONG_STANDING - timedelta(seconds=1)},
        {"records_elsewhere": True},
        {"pin_set_at": None},  # a PIN of unknown age counts as old
    ],
)
def test_long_standing_accounts_need_the_centre(fields):
    with pytest.raises(SetupCodeError) as caught:
        check(**fields)
    assert caught.value.code == "ask_centre" and caught.value.status == 403
    check(station_level=False, **fields)  # a centre or district organizer may


def test_exactly_thirty_days_is_not_yet_long_standing():
    check(pin_set_at=NOW - LONG_STANDING)


def test_a_number_with_others_people_needs_the_district():
    for fields in ({}, {"has_pin": False, "pin_set_at": None}, {"station_level": False}):
        with pytest.raises(SetupCodeError) as caught:
            check(others_on_number=True, **fields)
        assert caught.value.code == "others_on_number" and caught.value.status == 403
    check(others_on_number=True, station_level=False, district_level=True)
