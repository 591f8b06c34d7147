"""The service menu (服务菜单 / 项目库): what makes an item valid, and whether it can be booked.
Pure functions, plain values in, a value out or a ``MenuError`` with a stable code.

An item is a service a team offers residents of a unit's stations: a title, a category, whom
it serves (a service-object code of the national table, ../shared/NATIONAL-CODES.md), the
team that provides it, and how many more times it can be booked (``remaining``; None is
unlimited). A resident's order from the menu takes one of them; a withdrawn or rejected
order gives it back (``needs/menu.py`` does both in SQL, so two residents racing for the
last one cannot both get it).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError
from volunteer_app.needs.models import DESCRIPTION_MAX, TITLE_MAX

#: The national service-object codes (服务对象), in the table's order; 11 社会公众 by default.
AUDIENCES = ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "13", "99")
DEFAULT_AUDIENCE = "11"
#: Most bookable times an item may offer at once (more is a typo, or unlimited).
REMAINING_MAX = 9999


class MenuError(DomainError):
    """A menu item's rule said no."""

    status = 400
    messages = {
        "title_required": _l("Please give the service a title."),
        "title_too_long": _l("The title is too long (at most 30 characters)."),
        "description_too_long": _l("The description is too long (at most 200 characters)."),
        "audience_invalid": _l("Please choose whom the service is for."),
        "remaining_invalid": _l(
            "The number of bookable times must be between 0 and 9999 (leave it empty for no limit)."
        ),
        "team_required": _l("Please choose the team that provides the service."),
        "team_inactive": _l("This team is disabled: choose an active one."),
        "team_out_of_reach": _l(
            "This team cannot serve this unit's residents: choose a team of the unit, of a "
            "unit below it or of a unit above it."
        ),
        "category_required": _l("Please choose a kind of service."),
        "fully_booked": _l(
            "This service is fully booked. Choose another, or write your own request."
        ),
        "withdrawn": _l(
            "This service is no longer on the menu. Choose another, or write your own request."
        ),
        "not_here": _l("This service is not offered at the station you chose."),
    }


@dataclass(frozen=True)
class ItemFields:
    """A menu item's fields after validation (trimmed)."""

    title: str
    description: str
    audience: str
    remaining: int | None


def compute_item_problems(
    *,
    title: str,
    description: str = "",
    audience: str,
    remaining: int | None,
    has_team: bool,
    team_active: bool,
    team_in_reach: bool,
    has_category: bool,
) -> dict[str, MenuError]:
    """Every problem of a menu item, by the form's field names (empty when all is well).

    The team must be chosen, active, and in reach: one the organizer manages or one of the
    units above theirs, of the item's unit or a unit below or above it (the caller finds
    that out in the database and passes the answers)."""
    problems: dict[str, MenuError] = {}
    title = (title or "").strip()
    if not title:
        problems["title"] = MenuError("title_required")
    elif len(title) > TITLE_MAX:
        problems["title"] = MenuError("title_too_long")
    if len((description or "").strip()) > DESCRIPTION_MAX:
        problems["description"] = MenuError("description_too_long")
    if audience not in AUDIENCES:
        problems["audience"] = MenuError("audience_invalid")
    if remaining is not None and not 0 <= remaining <= REMAINING_MAX:
        problems["remaining"] = MenuError("remaining_invalid")
    if not has_team:
        problems["team"] = MenuError("team_required")
    elif not team_active:
        problems["team"] = MenuError("team_inactive")
    elif not team_in_reach:
        problems["team"] = MenuError("team_out_of_reach")
    if not has_category:
        problems["category"] = MenuError("category_required")
    return problems


def validate_item(**fields) -> ItemFields:
    """The item's fields, cleaned, or a MenuError carrying every problem at once."""
    problems = compute_item_problems(**fields)
    if problems:
        error = next(iter(problems.values()))
        error.problems = problems
        raise error
    return ItemFields(
        title=fields["title"].strip(),
        description=(fields.get("description") or "").strip(),
        audience=fields["audience"],
        remaining=fields["remaining"],
    )


def validate_booking(*, withdrawn: bool, remaining: int | None, offered_here: bool) -> None:
    """Whether a resident may order this item now: it is offered at their station (by the
    station or a unit above it), still on the menu, and not fully booked (None: no limit)."""
    if not offered_here:
        raise MenuError("not_here")
    if withdrawn:
        raise MenuError("withdrawn", status=409)
    if remaining is not None and remaining <= 0:
        raise MenuError("fully_booked", status=409)


def is_bookable(*, withdrawn: bool, remaining: int | None) -> bool:
    """Whether the menu shows the item as one to book (not withdrawn, not fully booked)."""
    return not withdrawn and (remaining is None or remaining > 0)
