"""Pure helpers for reports: hours, trend buckets, per-unit roll-ups. No Flask, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, timedelta

from volunteer_app.reports.periods import Period


def to_hours(minutes: int | None) -> float:
    """Minutes as hours rounded to one decimal (credited minutes are multiples of 30)."""
    return round((minutes or 0) / 60, 1)


@dataclass
class Sums:
    """Additive check-in figures of one group (a unit, a category, a day ...)."""

    checkins: int = 0
    confirmed_minutes: int = 0
    pending_minutes: int = 0
    scan_minutes: int = 0
    organizer_minutes: int = 0
    open_checkins: int = 0  #: checked in, never checked out

    @property
    def minutes(self) -> int:
        """Confirmed and pending together."""
        return self.confirmed_minutes + self.pending_minutes

    def add(self, other: Sums) -> None:
        """Add another group's figures to this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class UnitRow:
    """A unit's line in a ranking or drill-down table."""

    unit_id: int
    name: str
    level: str
    parent_name: str = ""
    activities: int = 0
    volunteers: int | None = None  #: distinct volunteers (not additive: None when rolled up)
    sums: Sums = field(default_factory=Sums)


def bucket_keys(period: Period) -> list[str]:
    """Every trend bucket of the period, in order, in the keys the queries produce."""
    if period.bucket == "hour":
        return [f"{h:02d}" for h in range(24)]
    if period.bucket == "day":
        return [(period.first + timedelta(days=i)).isoformat() for i in range(period.days)]
    keys, year, month = [], period.first.year, period.first.month
    while date(year, month, 1) <= period.last:
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def bucket_label(key: str, bucket: str) -> str:
    """A short axis label: "08时" → "08", "2025-03-05" → "5", "2025-03" → "3"."""
    if bucket == "hour":
        return key
    if bucket == "day":
        return str(int(key[-2:]))
    return str(int(key[-2:]))


def fill_trend(period: Period, found: dict[str, Sums]) -> list[tuple[str, Sums]]:
    """Every bucket of the period with its sums, empty buckets included."""
    return [(key, found.get(key, Sums())) for key in bucket_keys(period)]


def rank_units(rows: Iterable[UnitRow]) -> list[UnitRow]:
    """Units by confirmed hours, then all hours, then check-ins (most first), then name."""
    return sorted(
        rows,
        key=lambda r: (-r.sums.confirmed_minutes, -r.sums.minutes, -r.sums.checkins, r.name),
    )


def roll_up(
    scope_id: int,
    units: dict[int, tuple[str, str, int | None]],
    per_unit: dict[int, tuple[int, Sums]],
) -> list[UnitRow]:
    """Fold per-unit figures into the scope's direct children (the drill-down lines).

    ``units`` maps id → (name, level, parent_id) for the units in scope; ``per_unit``
    maps id → (activities, sums). Activities held by the scope unit itself get their own
    line. Distinct volunteers do not add up, so rolled-up lines leave them out. A unit
    without children has no drill-down lines.
    """
    lines: dict[int, UnitRow] = {
        uid: UnitRow(uid, name, level)
        for uid, (name, level, parent) in units.items()
        if parent == scope_id
    }
    if not lines:  # a station (or a centre without stations): nothing to drill into
        return []
    for unit_id, (activities, sums) in per_unit.items():
        if unit_id not in units:
            continue
        child = unit_id
        while child != scope_id and units.get(child, (None, None, None))[2] not in (None, scope_id):
            child = units[child][2]
        if child not in units:
            continue
        name, level, _parent = units[child]
        line = lines.setdefault(child, UnitRow(child, name, level))
        line.activities += activities
        line.sums.add(sums)
    own = lines.pop(scope_id, None)
    ordered = sorted(lines.values(), key=lambda r: r.name)
    return ([own] if own else []) + ordered
