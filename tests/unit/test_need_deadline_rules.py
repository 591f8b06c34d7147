"""The deadlines a centre or the district sets for its orders (needs/rules.py
``validate_policy``): whole hours from 1 to 720, every field's problem at once."""

from __future__ import annotations

import pytest

from volunteer_app.needs import rules
from volunteer_app.needs.rules import PolicyError, PolicyHours


def valid(**fields):
    values = {"respond_hours": "24", "dispatch_hours": "48", "take_hours": "48"}
    return rules.validate_policy(**{**values, **fields})


def problems(**fields):
    values = {"respond_hours": "24", "dispatch_hours": "48", "take_hours": "48"}
    return {
        name: error.code
        for name, error in rules.compute_policy_problems(**{**values, **fields}).items()
    }


def test_whole_hours_are_kept():
    assert valid(respond_hours=" 12 ", dispatch_hours=1, take_hours="720") == PolicyHours(
        12, 1, 720
    )


def test_leading_zeros_and_a_plus_are_whole_hours():
    assert valid(respond_hours="0024", take_hours="+6") == PolicyHours(24, 48, 6)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_an_empty_field_is_required(text):
    assert problems(dispatch_hours=text) == {"dispatch_hours": "hours_required"}


@pytest.mark.parametrize("text", ["1.5", "24h", "abc", "二十四", "1e3", "24.0", "1 2"])
def test_anything_but_whole_hours_is_refused(text):
    assert problems(respond_hours=text) == {"respond_hours": "hours_not_whole"}


@pytest.mark.parametrize("text", ["0", "-1", "-0", "721", "9999", "9" * 5000, 0, 721])
def test_hours_outside_1_to_720_are_refused(text):
    assert problems(take_hours=text) == {"take_hours": "hours_out_of_range"}


def test_the_bounds_are_allowed():
    assert valid(respond_hours="1", dispatch_hours="720").respond_hours == 1


def test_every_field_is_reported_at_once():
    with pytest.raises(PolicyError) as refused:
        valid(respond_hours="", dispatch_hours="x", take_hours="0")
    assert refused.value.status == 400
    assert {name: e.code for name, e in refused.value.problems.items()} == {
        "respond_hours": "hours_required",
        "dispatch_hours": "hours_not_whole",
        "take_hours": "hours_out_of_range",
    }
    assert refused.value.code == "hours_required"  # the first field's


def test_all_is_well_has_no_problems():
    assert problems() == {}


@pytest.mark.parametrize("level", ["centre", "district"])
def test_a_centre_or_the_district_may_hold_a_policy(level):
    rules.validate_policy_holder(level)


def test_a_station_may_not_hold_a_policy():
    with pytest.raises(PolicyError) as refused:
        rules.validate_policy_holder("station")
    assert refused.value.code == "unit_level"


def test_the_defaults_are_24_48_48():
    assert (
        rules.DEFAULT_RESPOND_HOURS,
        rules.DEFAULT_DISPATCH_HOURS,
        rules.DEFAULT_TAKE_HOURS,
    ) == (24, 48, 48)
