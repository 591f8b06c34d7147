"""The service menu's rules (needs/menu_rules.py): what makes an item valid, and whether a
resident may book it."""

from __future__ import annotations

import pytest

from volunteer_app.needs import menu_rules
from volunteer_app.needs.menu_rules import AUDIENCES, MenuError

GOOD = {
    "title": " 上门测血压 ",
    "description": " 每月一次 ",
    "audience": "03",
    "remaining": 5,
    "has_team": True,
    "team_active": True,
    "team_in_reach": True,
    "has_category": True,
}


def problems(**changes) -> dict[str, str]:
    found = menu_rules.compute_item_problems(**(GOOD | changes))
    return {field: error.code for field, error in found.items()}


def test_a_good_item_is_trimmed():
    fields = menu_rules.validate_item(**GOOD)
    assert (fields.title, fields.description, fields.audience, fields.remaining) == (
        "上门测血压",
        "每月一次",
        "03",
        5,
    )


def test_the_title_is_required_and_at_most_30_characters():
    assert problems(title="   ") == {"title": "title_required"}
    assert problems(title="长" * 31) == {"title": "title_too_long"}
    assert problems(title="长" * 30) == {}


def test_the_description_is_at_most_200_characters():
    assert problems(description="长" * 201) == {"description": "description_too_long"}
    assert problems(description="长" * 200) == {}


@pytest.mark.parametrize("code", AUDIENCES)
def test_every_national_service_object_code_is_an_audience(code):
    assert problems(audience=code) == {}


@pytest.mark.parametrize("code", ["", "12", "3", "003", "00", "x"])
def test_anything_else_is_no_audience(code):
    assert problems(audience=code) == {"audience": "audience_invalid"}


@pytest.mark.parametrize("remaining", [None, 0, 1, 9999])
def test_remaining_is_unlimited_or_0_to_9999(remaining):
    assert problems(remaining=remaining) == {}


@pytest.mark.parametrize("remaining", [-1, 10000, 2**31])
def test_remaining_out_of_range(remaining):
    assert problems(remaining=remaining) == {"remaining": "remaining_invalid"}


def test_the_team_is_chosen_active_and_in_reach_in_that_order():
    assert problems(has_team=False, team_active=False) == {"team": "team_required"}
    assert problems(team_active=False, team_in_reach=False) == {"team": "team_inactive"}
    assert problems(team_in_reach=False) == {"team": "team_out_of_reach"}


def test_a_category_is_required():
    assert problems(has_category=False) == {"category": "category_required"}


def test_every_problem_is_carried_at_once():
    with pytest.raises(MenuError) as raised:
        menu_rules.validate_item(**(GOOD | {"title": "", "audience": "x", "has_team": False}))
    assert set(raised.value.problems) == {"title", "audience", "team"}
    assert raised.value.status == 400


def code_of(**booking) -> tuple[str, int]:
    with pytest.raises(MenuError) as raised:
        menu_rules.validate_booking(**({"offered_here": True} | booking))
    return raised.value.code, raised.value.status


def test_booking_a_live_item_with_times_left_or_no_limit():
    menu_rules.validate_booking(withdrawn=False, remaining=1, offered_here=True)
    menu_rules.validate_booking(withdrawn=False, remaining=None, offered_here=True)
    assert menu_rules.is_bookable(withdrawn=False, remaining=None)
    assert menu_rules.is_bookable(withdrawn=False, remaining=1)


def test_a_fully_booked_item_cannot_be_booked():
    assert code_of(withdrawn=False, remaining=0) == ("fully_booked", 409)
    assert not menu_rules.is_bookable(withdrawn=False, remaining=0)


def test_a_withdrawn_item_cannot_be_booked_even_with_times_left():
    assert code_of(withdrawn=True, remaining=3) == ("withdrawn", 409)
    assert code_of(withdrawn=True, remaining=0) == ("withdrawn", 409)
    assert not menu_rules.is_bookable(withdrawn=True, remaining=None)


def test_an_item_not_offered_at_the_station_is_refused_first():
    assert code_of(withdrawn=True, remaining=0, offered_here=False) == ("not_here", 400)


def test_the_messages_say_what_to_do(app):
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        assert "已约满" in MenuError("fully_booked").message
        assert "已下架" in MenuError("withdrawn").message
