"""Rules of the unit tree: which unit may hold which, who may change a unit, the sums a
tree shows. Pure: plain values in, a value out or a ``DomainError`` raised.

The tree is 区 (district) → 所 (centre) → 站 (station). A station may also sit right under
the district (a team of a district body, such as the traffic police brigade's). A unit is
managed by the level above it, as accounts are: the district admin manages every unit,
the district included (nobody is above it); a centre organizer manages the stations under
their centre, not the centre itself; a station organizer manages none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError

DISTRICT, CENTRE, STATION = "district", "centre", "station"
DISTRICT_ADMIN = "district_admin"

#: The levels a new unit may have under a unit of each level.
CHILD_LEVELS: dict[str, tuple[str, ...]] = {
    DISTRICT: (CENTRE, STATION),
    CENTRE: (STATION,),
    STATION: (),
}
#: The levels a station may be moved under.
MOVE_TARGET_LEVELS = (DISTRICT, CENTRE)

#: An organizer's username, as the accounts form takes it.
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
#: A contact number: a mobile (11 digits) or a landline with its area code (0530-5551234).
PHONE = re.compile(r"^\+?[0-9][0-9-]{4,18}[0-9]$")


class UnitError(DomainError):
    """A unit could not be created or changed as asked."""

    status = 400
    messages = {
        "name_required": _l("Please enter the name of the unit."),
        "name_taken": _l("The unit above already has a unit with this name."),
        "level_invalid": _l("Please choose the level of the new unit."),
        "archived": _l("This unit is archived and can no longer be changed."),
        "parent_archived": _l("This unit is archived: no new units can be added under it."),
        "move_station_only": _l("Only a station can be moved to another centre."),
        "move_target_invalid": _l("Please choose one of your centres that is not archived."),
        "has_live_children": _l("Archive the units under this one first."),
        "district_fixed": _l("The district cannot be moved or archived."),
        "not_archived": _l("This unit is not archived."),
        "restore_parent_first": _l(
            "The unit above this one is archived: restore it first, then this unit."
        ),
        "district_exists": _l(
            "A district already exists in this database (--another adds a further one)."
        ),
        "district_name_taken": _l("A district of that name already exists."),
        "username_invalid": _l(
            "The username must have 3 to 64 letters, digits, dots, dashes or underscores."
        ),
        "phone_invalid": _l("Please enter a valid phone number, e.g. 13800001234."),
    }


class UnitRuleError(DomainError):
    """This organizer may not change this unit."""

    status = 403
    messages = {
        "not_allowed": _l("You cannot change this unit."),
    }


def child_levels(parent_level: str) -> tuple[str, ...]:
    """The levels a new unit under a unit of ``parent_level`` may have (empty: none)."""
    return CHILD_LEVELS.get(parent_level, ())


def validate_name(name: str) -> str:
    """The unit's name, trimmed; UnitError("name_required") when nothing is left."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise UnitError("name_required")
    return cleaned


def validate_phone(phone: str) -> str:
    """The contact number without spaces ("" for none); UnitError("phone_invalid") if odd."""
    cleaned = "".join((phone or "").split())
    if cleaned and not PHONE.match(cleaned):
        raise UnitError("phone_invalid")
    return cleaned


def validate_username(username: str) -> str:
    """The username, trimmed; UnitError("username_invalid") unless the accounts form takes it."""
    cleaned = (username or "").strip()
    if not USERNAME.match(cleaned):
        raise UnitError("username_invalid")
    return cleaned


def may_manage(actor_role: str, *, is_own_unit: bool) -> bool:
    """Whether an organizer may change a unit they see: the level above it, or the district
    admin for the district itself."""
    return actor_role == DISTRICT_ADMIN or not is_own_unit


def validate_manage(actor_role: str, *, is_own_unit: bool, is_archived: bool) -> None:
    """Raise unless the actor may change this unit (rename, edit, move, archive)."""
    if not may_manage(actor_role, is_own_unit=is_own_unit):
        raise UnitRuleError("not_allowed")
    if is_archived:
        raise UnitError("archived")


def validate_new_unit(parent_level: str, level: str, *, parent_archived: bool) -> None:
    """Raise unless a unit of ``level`` may be added under a unit of ``parent_level``.

    Adding under a unit is managing what is below it, so the parent is one the actor sees
    (the route's scoping) and the parent's level decides; nothing is added under a station.
    """
    allowed = child_levels(parent_level)
    if not allowed:
        raise UnitRuleError("not_allowed")
    if parent_archived:
        raise UnitError("parent_archived")
    if level not in allowed:
        raise UnitError("level_invalid")


def validate_move(unit_level: str, target_level: str, *, target_archived: bool) -> None:
    """Raise unless a unit of ``unit_level`` may move under a unit of ``target_level``."""
    if unit_level == DISTRICT:
        raise UnitError("district_fixed")
    if unit_level != STATION:
        raise UnitError("move_station_only")
    if target_level not in MOVE_TARGET_LEVELS or target_archived:
        raise UnitError("move_target_invalid")


def validate_archive(unit_level: str, *, live_children: int) -> None:
    """Raise unless the unit may be archived: not the district, nothing live under it."""
    if unit_level == DISTRICT:
        raise UnitError("district_fixed")
    if live_children:
        raise UnitError("has_live_children")


def validate_restore(*, is_archived: bool, parent_archived: bool) -> None:
    """Raise unless an archived unit may be restored: its parent is live (restore a centre
    before its stations)."""
    if not is_archived:
        raise UnitError("not_archived")
    if parent_archived:
        raise UnitError("restore_parent_first")


def year_bounds(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local calendar year of ``now`` as aware UTC ``[start, end)``."""
    year = now.astimezone(zone).year
    start, end = datetime(year, 1, 1, tzinfo=zone), datetime(year + 1, 1, 1, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


#: The figures each unit of the tree shows, summed over the unit and the units below it.
FIGURES = ("stations", "organizers", "volunteers", "activities", "confirmed_minutes")


@dataclass
class Node:
    """One unit of a tree, with its figures for itself and everything below it."""

    id: int
    parent_id: int | None
    level: str
    archived: bool
    totals: dict[str, int] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)


def compute_tree(
    units: Iterable[tuple[int, int | None, str, bool]],
    own: Mapping[str, Mapping[int, int]],
) -> list[Node]:
    """Arrange ``(id, parent_id, level, archived)`` rows, in display order, as trees and sum
    each figure of ``own`` (figure → unit id → value) over each subtree.

    A unit whose parent is not among the rows is a root (an organizer sees their own unit
    and what is below it). "stations" counts the live stations of a subtree, the unit
    itself included when it is one; the other figures come from ``own``.
    """
    nodes = {uid: Node(uid, parent, level, archived) for uid, parent, level, archived in units}
    roots: list[Node] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)

    def total(node: Node) -> dict[str, int]:
        sums = {name: own.get(name, {}).get(node.id, 0) for name in FIGURES}
        sums["stations"] = int(node.level == STATION and not node.archived)
        for child in node.children:
            for name, value in total(child).items():
                sums[name] += value
        node.totals = sums
        return sums

    for root in roots:
        total(root)
    return roots
