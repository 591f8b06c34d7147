"""Who may create which organizer accounts: pure rules, no database.

Accounts are created by the level above: the district admin creates centre and station
organizers; a centre organizer creates station organizers for the stations under its
centre; a station organizer creates none. (``flask create-user`` on the server can
create any account, including district admins.)
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from volunteer_app.errors import DomainError

DISTRICT_ADMIN, CENTRE_ORGANIZER, STATION_ORGANIZER = (
    "district_admin",
    "centre_organizer",
    "station_organizer",
)

#: The roles each role may create.
CREATABLE: dict[str, tuple[str, ...]] = {
    DISTRICT_ADMIN: (CENTRE_ORGANIZER, STATION_ORGANIZER),
    CENTRE_ORGANIZER: (STATION_ORGANIZER,),
    STATION_ORGANIZER: (),
}


class AccountRuleError(DomainError):
    """An account may not be created by this organizer."""

    status = 403
    messages = {
        "role_not_allowed": _l("You cannot create accounts with this role."),
        "unit_not_allowed": _l("You cannot create accounts for this unit."),
        "cannot_manage": _l("You cannot change this account."),
    }


def creatable_roles(actor_role: str) -> tuple[str, ...]:
    """The roles an organizer with ``actor_role`` may create (empty: none)."""
    return CREATABLE.get(actor_role, ())


def validate_account_creation(actor_role: str, target_role: str, *, unit_in_scope: bool) -> None:
    """Raise AccountRuleError unless ``actor_role`` may create ``target_role`` for the unit."""
    if target_role not in creatable_roles(actor_role):
        raise AccountRuleError("role_not_allowed")
    if not unit_in_scope:
        raise AccountRuleError("unit_not_allowed")


def validate_account_management(
    actor_role: str, target_role: str, *, unit_in_scope: bool, is_self: bool
) -> None:
    """Raise AccountRuleError unless the actor may disable, enable or reset the target.

    The same people who may create an account manage it; nobody manages their own here.
    """
    if is_self or target_role not in creatable_roles(actor_role) or not unit_in_scope:
        raise AccountRuleError("cannot_manage")
