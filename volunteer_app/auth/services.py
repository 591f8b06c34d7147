"""Organizer account services."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from volunteer_app.audit import services as audit
from volunteer_app.auth import rules
from volunteer_app.auth.models import Role, User
from volunteer_app.auth.scoping import scoped_accounts, visible_unit_ids
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit, UnitLevel

#: The unit level each role manages.
ROLE_LEVEL = {
    Role.DISTRICT_ADMIN: UnitLevel.DISTRICT,
    Role.CENTRE_ORGANIZER: UnitLevel.CENTRE,
    Role.STATION_ORGANIZER: UnitLevel.STATION,
}


class AccountError(DomainError):
    """An account could not be created."""

    status = 400
    messages = {
        "username_taken": _l("This username is already taken."),
        "role_unit_mismatch": _l("This role cannot manage a unit of that level."),
        "password_too_short": _l("The password must have at least 8 characters."),
    }


def find_user(username: str) -> User | None:
    """The account with this username (case-insensitive), if any."""
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


def authenticate(username: str, password: str) -> User | None:
    """The active account for these credentials, or None (same answer for any failure)."""
    user = find_user(username.strip())
    if user is None or not user.is_active or not user.check_password(password):
        return None
    return user


def create_user(
    username: str, password: str, *, role: Role, unit: Unit, display_name: str | None = None
) -> User:
    """Create an organizer account for ``unit``; the role must match the unit's level."""
    if len(password) < 8:
        raise AccountError("password_too_short")
    if ROLE_LEVEL[role] != unit.level:
        raise AccountError("role_unit_mismatch")
    if find_user(username) is not None:
        raise AccountError("username_taken")
    user = User(username=username, display_name=display_name or username, role=role, unit=unit)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def create_account(
    actor: User,
    *,
    username: str,
    password: str,
    role: Role,
    unit_id: int,
    display_name: str,
    now: datetime,
) -> User:
    """An organizer creates an account for the level below, within their scope (audited)."""
    unit = db.session.get(Unit, unit_id)
    in_scope = (
        unit is not None
        and db.session.scalar(visible_unit_ids(actor).where(Unit.id == unit_id)) is not None
    )
    rules.validate_account_creation(actor.role.value, role.value, unit_in_scope=in_scope)
    assert unit is not None
    user = create_user(
        username.strip(), password, role=role, unit=unit, display_name=display_name.strip()
    )
    audit.record(
        "account.create",
        now=now,
        actor_user_id=actor.id,
        new={"username": user.username, "role": role.value, "unit_id": unit.id},
    )
    return user


def manageable_accounts(actor: User) -> list[User]:
    """Accounts of the units ``actor`` manages (their own included), by unit and name."""
    return list(
        db.session.scalars(scoped_accounts(actor).order_by(Unit.level, Unit.name, User.username))
    )


def _check_manageable(actor: User, target: User) -> None:
    in_scope = (
        db.session.scalar(visible_unit_ids(actor).where(Unit.id == target.unit_id)) is not None
    )
    rules.validate_account_management(
        actor.role.value, target.role.value, unit_in_scope=in_scope, is_self=actor.id == target.id
    )


def set_active(actor: User, target: User, active: bool, *, now: datetime) -> User:
    """Disable or re-enable an account of the level below (audited).

    ``UPDATE … WHERE is_active <> active``: only a real change is made and audited, so two
    organizers disabling one account at the same moment write one entry.
    """
    _check_manageable(actor, target)
    changed = db.session.execute(
        update(User)
        .where(User.id == target.id, User.is_active != active)
        .values(is_active=active)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(target)
    if changed.rowcount != 1:
        return target
    old = not active
    audit.record(
        "account.enable" if active else "account.disable",
        now=now,
        actor_user_id=actor.id,
        old={"username": target.username, "is_active": old},
        new={"username": target.username, "is_active": active},
    )
    db.session.flush()
    return target


def reset_password(actor: User, target: User, password: str, *, now: datetime) -> User:
    """Give an account of the level below a new initial password (audited, not the password)."""
    _check_manageable(actor, target)
    if len(password) < 8:
        raise AccountError("password_too_short")
    target.set_password(password)
    audit.record(
        "account.reset_password",
        now=now,
        actor_user_id=actor.id,
        new={"username": target.username},
    )
    db.session.flush()
    return target
