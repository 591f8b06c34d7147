"""Star levels (星级志愿者): pure rules over confirmed service time.

The national default is 1★ 100 h, 2★ 300 h, 3★ 600 h, 4★ 1000 h, 5★ 1500 h of confirmed
service (2012 draft rules, 中国社区志愿者注册管理办法). Local presets differ; the district
admin picks one (``settings`` key ``star_preset``), ``STAR_PRESET`` in the config is the
default. Only confirmed hours count: pending hours may still be corrected.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

#: Hours needed for 1★ … 5★, per preset.
PRESETS: dict[str, tuple[int, ...]] = {
    "national": (100, 300, 600, 1000, 1500),
    "beijing": (100, 200, 500, 800, 1000),
    "zhangjiagang": (30, 60, 100, 200, 300),
}
PRESET_LABELS = {
    "national": _l("National default"),
    "beijing": _l("Beijing"),
    "zhangjiagang": _l("Zhangjiagang"),
}
DEFAULT_PRESET = "national"


@dataclass(frozen=True)
class StarLevel:
    """Where a volunteer stands: stars earned and the way to the next one."""

    stars: int
    max_stars: int
    #: Hours needed for the next star (None at the top level).
    next_hours: int | None
    #: Confirmed minutes still missing for the next star (0 at the top level).
    minutes_to_next: int
    #: 0–100: progress from the current level's threshold to the next one.
    progress_percent: int


def thresholds_for(preset: str) -> tuple[int, ...]:
    """The thresholds of a preset; the national default for an unknown name."""
    return PRESETS.get(preset, PRESETS[DEFAULT_PRESET])


def compute_star_level(confirmed_minutes: int, thresholds_hours: tuple[int, ...]) -> StarLevel:
    """Stars earned with ``confirmed_minutes`` of service; a threshold reached exactly counts."""
    if confirmed_minutes < 0:
        raise ValueError("minutes cannot be negative")
    limits = [h * 60 for h in thresholds_hours]
    stars = sum(1 for limit in limits if confirmed_minutes >= limit)
    if stars == len(limits):
        return StarLevel(stars, len(limits), None, 0, 100)
    floor = limits[stars - 1] if stars else 0
    target = limits[stars]
    percent = (confirmed_minutes - floor) * 100 // (target - floor)
    return StarLevel(
        stars=stars,
        max_stars=len(limits),
        next_hours=thresholds_hours[stars],
        minutes_to_next=target - confirmed_minutes,
        progress_percent=int(percent),
    )
