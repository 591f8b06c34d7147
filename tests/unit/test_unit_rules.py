"""The unit tree's rules: which unit may hold which, who may change one, the tree's sums."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from volunteer_app.stations import rules
from volunteer_app.stations.rules import UnitError, UnitRuleError


def code_of(call, *args, **kwargs) -> str:
    with pytest.raises((UnitError, UnitRuleError)) as caught:
        call(*args, **kwargs)
    return caught.value.code


def test_levels_under_each_level():
    assert rules.child_levels("district") == ("centre", "station")
    assert rules.child_levels("centre") == ("station",)
    assert rules.child_levels("station") == ()


def test_new_units():
    rules.validate_new_unit("district", "centre", parent_archived=False)
    rules.validate_new_unit("centre", "station", parent_archived=False)
    assert code_of(rules.validate_new_unit, "station", "station", parent_archived=False) == (
        "not_allowed"
    )
    assert code_of(rules.validate_new_unit, "centre", "centre", parent_archived=False) == (
        "level_invalid"
    )
    assert code_of(rules.validate_new_unit, "centre", "station", parent_archived=True) == (
        "parent_archived"
    )


def test_names_and_phones_are_cleaned_or_refused():
    assert rules.validate_name("  万福  社区 ") == "万福 社区"
    assert code_of(rules.validate_name, "   ") == "name_required"
    assert rules.validate_phone(" 138 0000 1234 ") == "13800001234"
    assert rules.validate_phone("0530-5551234") == "0530-5551234"
    assert rules.validate_phone("") == ""
    assert code_of(rules.validate_phone, "call me") == "phone_invalid"


def test_usernames_as_the_accounts_form_takes_them():
    assert rules.validate_username(" admin ") == "admin"
    for bad in ("ab", "管理员", "a b c", "x" * 65):
        assert code_of(rules.validate_username, bad) == "username_invalid"


def test_only_the_level_above_manages_a_unit():
    assert rules.may_manage("district_admin", is_own_unit=True)
    assert rules.may_manage("centre_organizer", is_own_unit=False)
    assert not rules.may_manage("centre_organizer", is_own_unit=True)
    assert not rules.may_manage("station_organizer", is_own_unit=True)
    assert code_of(
        rules.validate_manage, "centre_organizer", is_own_unit=True, is_archived=False
    ) == ("not_allowed")
    assert code_of(
        rules.validate_manage, "district_admin", is_own_unit=False, is_archived=True
    ) == ("archived")


def test_moves_and_archiving():
    rules.validate_move("station", "centre", target_archived=False)
    rules.validate_move("station", "district", target_archived=False)
    assert code_of(rules.validate_move, "centre", "district", target_archived=False) == (
        "move_station_only"
    )
    assert code_of(rules.validate_move, "district", "centre", target_archived=False) == (
        "district_fixed"
    )
    assert code_of(rules.validate_move, "station", "station", target_archived=False) == (
        "move_target_invalid"
    )
    assert code_of(rules.validate_move, "station", "centre", target_archived=True) == (
        "move_target_invalid"
    )
    rules.validate_archive("station", live_children=0)
    assert code_of(rules.validate_archive, "centre", live_children=2) == "has_live_children"
    assert code_of(rules.validate_archive, "district", live_children=0) == "district_fixed"


def test_the_year_is_the_local_one():
    zone = ZoneInfo("Asia/Shanghai")
    # 31 Dec 2025 17:00 UTC is already 1 Jan 2026 in Shanghai.
    start, end = rules.year_bounds(datetime(2025, 12, 31, 17, 0, tzinfo=UTC), zone)
    assert start == datetime(2025, 12, 31, 16, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)


def test_tree_sums_each_figure_over_the_subtree():
    units = [
        (1, None, "district", False),
        (2, 1, "centre", False),
        (3, 2, "station", False),
        (4, 2, "station", True),  # archived: its figures count, it is no live station
        (5, 1, "station", False),
    ]
    own = {
        "organizers": {1: 1, 2: 1, 3: 2},
        "volunteers": {3: 10, 4: 5, 5: 1},
        "activities": {3: 4, 5: 2},
        "confirmed_minutes": {3: 600, 2: 60},
    }
    (root,) = rules.compute_tree(units, own)
    assert [c.id for c in root.children] == [2, 5]
    assert root.totals == {
        "stations": 2,
        "organizers": 4,
        "volunteers": 16,
        "activities": 6,
        "confirmed_minutes": 660,
    }
    centre = root.children[0]
    assert centre.totals["stations"] == 1 and centre.totals["volunteers"] == 15
    assert centre.children[1].totals["stations"] == 0


def test_a_centre_organizers_tree_starts_at_their_centre():
    roots = rules.compute_tree([(2, 1, "centre", False), (3, 2, "station", False)], {})
    assert [r.id for r in roots] == [2] and roots[0].totals["stations"] == 1


def test_restore():
    rules.validate_restore(is_archived=True, parent_archived=False)
    assert code_of(rules.validate_restore, is_archived=False, parent_archived=False) == (
        "not_archived"
    )
    assert code_of(rules.validate_restore, is_archived=True, parent_archived=True) == (
        "restore_parent_first"
    )
