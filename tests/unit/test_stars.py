"""Star levels: thresholds reached exactly count, one minute short does not."""

import pytest

from volunteer_app.volunteers.stars import PRESETS, compute_star_level, thresholds_for

NATIONAL = PRESETS["national"]


@pytest.mark.parametrize(
    ("hours", "minutes_extra", "stars"),
    [
        (0, 0, 0),
        (99, 59, 0),
        (100, 0, 1),
        (299, 59, 1),
        (300, 0, 2),
        (600, 0, 3),
        (999, 59, 3),
        (1000, 0, 4),
        (1499, 59, 4),
        (1500, 0, 5),
        (4000, 0, 5),
    ],
)
def test_national_boundaries(hours, minutes_extra, stars):
    assert compute_star_level(hours * 60 + minutes_extra, NATIONAL).stars == stars


def test_progress_to_the_next_star():
    level = compute_star_level(200 * 60, NATIONAL)  # halfway from 100 h to 300 h
    assert (level.stars, level.next_hours, level.progress_percent) == (1, 300, 50)
    assert level.minutes_to_next == 100 * 60


def test_zero_hours_starts_at_zero_percent_toward_the_first_star():
    level = compute_star_level(0, NATIONAL)
    assert (level.stars, level.next_hours, level.progress_percent) == (0, 100, 0)
    assert level.minutes_to_next == 6000


def test_top_level_has_no_next_star():
    level = compute_star_level(1500 * 60, NATIONAL)
    assert level.next_hours is None and level.minutes_to_next == 0
    assert level.progress_percent == 100 and level.max_stars == 5


@pytest.mark.parametrize(
    ("preset", "hours", "stars"),
    [("beijing", 200, 2), ("beijing", 199, 1), ("zhangjiagang", 30, 1), ("zhangjiagang", 300, 5)],
)
def test_local_presets(preset, hours, stars):
    assert compute_star_level(hours * 60, thresholds_for(preset)).stars == stars


def test_unknown_preset_falls_back_to_national():
    assert thresholds_for("atlantis") == NATIONAL


def test_negative_minutes_are_a_bug():
    with pytest.raises(ValueError):
        compute_star_level(-1, NATIONAL)
