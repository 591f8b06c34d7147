"""The roster's rules: what a search matches, star bands, phone moves and merges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from volunteer_app.checkins.rules import Stay
from volunteer_app.volunteers import stars
from volunteer_app.volunteers.roster_rules import (
    MergeTimeError,
    RosterError,
    Search,
    SearchKind,
    find_merge_clash,
    parse_search,
    star_band,
    validate_merge,
    validate_merge_times,
    validate_phone_move,
)

NINE = datetime(2021, 3, 5, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai


def stay(record_id: int, activity_id: int, begin_h: float, end_h: float | None) -> Stay:
    """A stay from ``begin_h`` to ``end_h`` hours after 09:00 (None: still checked in)."""
    end = None if end_h is None else NINE + timedelta(hours=end_h)
    return Stay(record_id, activity_id, NINE + timedelta(hours=begin_h), end)


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


TITLES = {10: "测血压", 20: "清扫", 30: "植树", 40: "义诊"}


def test_a_merge_of_records_at_the_same_hours_is_refused_naming_both_activities():
    """The audit's case: A 09:00-12:00 on one record, B at the same hours on the other."""
    kept, merged = [stay(1, 10, 0, 3)], [stay(2, 20, 0, 3)]
    assert find_merge_clash(kept, merged) == (kept[0], merged[0])
    with pytest.raises(MergeTimeError) as caught:
        validate_merge_times(kept, merged, TITLES.__getitem__)
    error = caught.value
    assert isinstance(error, RosterError) and error.code == "merge_time_overlap"
    assert error.status == 400
    assert "“测血压” and “清扫” overlap" in error.message
    assert error.details == {"kept_activity": "测血压", "merged_activity": "清扫"}


@pytest.mark.parametrize(
    ("kept", "merged", "clash"),
    [
        ([stay(1, 10, 0, 3)], [stay(2, 20, 3, 4)], None),  # B begins as A ends
        ([stay(1, 10, 0, 1), stay(3, 30, 5, 6)], [stay(2, 20, 2, 4)], None),  # in between
        ([stay(1, 10, 0, 2)], [stay(2, 20, 1.5, 4)], (1, 2)),  # half an hour shared
        ([stay(1, 10, 0, None)], [stay(2, 20, 1, 2)], (1, 2)),  # still in at A
        ([stay(1, 10, 2, 3)], [stay(2, 20, 0, None)], (1, 2)),  # still in at B
        ([], [stay(2, 20, 0, 3)], None),  # nothing to clash with
        # The merged record's earliest clash is named, not its first record.
        (
            [stay(1, 10, 0, 1), stay(3, 30, 5, 6)],
            [stay(4, 40, 5.5, 7), stay(2, 20, 0.5, 2)],
            (1, 2),
        ),
    ],
)
def test_a_merge_is_refused_exactly_when_the_two_histories_share_time(kept, merged, clash):
    found = find_merge_clash(kept, merged)
    assert (None if found is None else (found[0].record_id, found[1].record_id)) == clash
    if clash is None:
        validate_merge_times(kept, merged, TITLES.__getitem__)
    else:
        with pytest.raises(MergeTimeError):
            validate_merge_times(kept, merged, TITLES.__getitem__)
