"""The roster's rules: what a search matches, star bands, phone moves and merges."""

from __future__ import annotations

import pytest

from volunteer_app.volunteers import stars
from volunteer_app.volunteers.roster_rules import (
    RosterError,
    Search,
    SearchKind,
    parse_search,
    star_band,
    validate_merge,
    validate_phone_move,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", None),
        ("   ", None),
        (None, None),
        ("秀英", Search(SearchKind.NAME, "秀英")),
        ("  Li   Xiu ", Search(SearchKind.NAME, "Li Xiu")),
        ("李1", Search(SearchKind.NAME, "李1")),
        ("13812341234", Search(SearchKind.PHONE, "13812341234")),
        ("138 1234 1234", Search(SearchKind.PHONE, "13812341234")),
        ("+86 138-1234-1234", Search(SearchKind.PHONE, "13812341234")),
        ("１３８１２３４１２３４", Search(SearchKind.PHONE, "13812341234")),
        ("1234", Search(SearchKind.LAST_DIGITS, "1234")),
        ("12 34", Search(SearchKind.LAST_DIGITS, "1234")),
    ],
)
def test_a_search_is_a_name_a_whole_number_or_exactly_four_last_digits(raw, expected):
    assert parse_search(raw) == expected


@pytest.mark.parametrize("raw", ["1", "123", "12345", "1381234", "1381234123", "138123412345"])
def test_other_runs_of_digits_are_refused_so_a_number_cannot_be_read_digit_by_digit(raw):
    with pytest.raises(RosterError) as caught:
        parse_search(raw)
    assert caught.value.code == "search_digits"


def test_star_bands_agree_with_the_star_rule():
    thresholds = stars.PRESETS["national"]
    assert star_band(0, thresholds) == (0, 100 * 60)
    assert star_band(1, thresholds) == (100 * 60, 300 * 60)
    assert star_band(5, thresholds) == (1500 * 60, None)
    for minutes in (0, 5999, 6000, 17999, 18000, 89999, 90000, 200000):
        level = stars.compute_star_level(minutes, thresholds).stars
        lower, upper = star_band(level, thresholds)
        assert lower <= minutes and (upper is None or minutes < upper)
    with pytest.raises(ValueError):
        star_band(6, thresholds)


def test_a_number_in_use_is_joined_only_when_every_person_on_it_is_visible():
    validate_phone_move({1, 2}, {1, 2, 3})
    for members, visible in (({1, 2}, {1}), (set(), {1})):
        with pytest.raises(RosterError) as caught:
            validate_phone_move(members, visible)
        assert caught.value.code == "phone_taken"


def test_a_merge_needs_two_records_without_an_activity_in_common():
    validate_merge(1, 2, 0)
    with pytest.raises(RosterError) as caught:
        validate_merge(1, 1, 0)
    assert caught.value.code == "merge_same"
    with pytest.raises(RosterError) as caught:
        validate_merge(1, 2, 1)
    assert caught.value.code == "merge_overlap"
