"""Organizer accounts: who may create which, passwords, the sign-in lockout. Pure rules,
no database, time passed in.

Accounts are created by the level above: the district admin creates centre and station
organizers; a centre organizer creates station organizers for the stations under its
centre; a station organizer creates none. (``flask create-user`` on the server can
create any account, including district admins.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

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


# --- Passwords and the sign-in lockout ---------------------------------------------------

MIN_PASSWORD_LENGTH = 8


class LoginError(DomainError):
    """A sign-in was refused. ``mismatch`` is the same for an unknown username, a disabled
    account and a wrong password, so a stranger learns nothing about which accounts exist."""

    status = 401
    messages = {
        "mismatch": _l("Wrong username or password."),
        "locked": _l("Too many failed attempts. Please wait 15 minutes and try again."),
    }


class PasswordError(DomainError):
    """An organizer's own new password was refused."""

    status = 400
    messages = {
        "password_too_short": _l("The password must have at least 8 characters."),
        "password_is_username": _l("The password must not be the same as the username."),
        "password_mismatch": _l("The two new passwords are not the same."),
        "password_unchanged": _l("Choose a password different from the current one."),
        "current_password_wrong": _l("The current password is not right."),
    }


def validate_new_password(password: str, confirm: str, *, username: str, current: str) -> None:
    """Raise PasswordError unless ``password`` may replace ``current`` as the user's own:
    at least 8 characters, not the username (in any case), typed the same twice, new."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError("password_too_short")
    if password.strip().casefold() == username.strip().casefold():
        raise PasswordError("password_is_username")
    if password != confirm:
        raise PasswordError("password_mismatch")
    if password == current:
        raise PasswordError("password_unchanged")


def validate_login_allowed(locked_until: datetime | None, now: datetime) -> None:
    """Refuse any sign-in while the username is locked (LoginError "locked", 429)."""
    if locked_until is not None and now < locked_until:
        raise LoginError("locked", status=429)


def compute_login_failure(
    failures: int,
    window_started_at: datetime | None,
    now: datetime,
    *,
    attempts: int,
    period: timedelta,
) -> tuple[int, datetime | None, datetime | None]:
    """The throttle after one more failed sign-in: (failures, window_started_at, locked_until).

    "5 per 15 minutes" (LOGIN_LOCKOUT): failures count in a window of ``period`` from the
    first one; the ``attempts``-th failure within a window locks the username for ``period``
    and counting starts afresh.
    """
    if window_started_at is None or now - window_started_at >= period:
        failures, window_started_at = 0, now
    failures += 1
    if failures >= attempts:
        return 0, None, now + period
    return failures, window_started_at, None
