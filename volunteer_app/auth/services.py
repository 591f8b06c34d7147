"""Organizer account services: signing in and out, passwords, accounts of the level below."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from volunteer_app.audit import services as audit
from volunteer_app.auth import lockout, rules, sessions
from volunteer_app.auth.models import Role, User
from volunteer_app.auth.rules import LoginError, PasswordError
from volunteer_app.auth.scoping import scoped_accounts, visible_unit_ids
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit, UnitLevel
from volunteer_app.transactions import begin_writing

#: Checked when the username is unknown or the account disabled, so every sign-in costs
#: exactly one password hash and its time does not tell which usernames exist.
_DUMMY_HASH = generate_password_hash("not-a-password")

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
    """The active account for these credentials, or None (same answer for any failure).

    Exactly one password hash is checked whatever the case (a dummy one for an unknown
    username or a disabled account): the answer takes the same time.
    """
    found = find_user(username.strip())
    user = found if found is not None and found.is_active else None
    matches = check_password_hash(user.password_hash if user else _DUMMY_HASH, password)
    return user if matches else None


def sign_in(
    username: str, password: str, *, remember: bool, user_agent: str, now: datetime
) -> User:
    """The sign-in decision: refuse a locked username, check the password once, count a
    failure aside (it outlives the refused request) or forget the failures and open a new
    session. LoginError("mismatch") for any wrong credentials, ("locked", 429) when locked.

    For a ``@reads_first`` view: everything slow is read and hashed before the writing.
    """
    throttle = lockout.current(username)
    rules.validate_login_allowed(lockout.locked_until(throttle), now)
    user = authenticate(username, password)
    if user is None:
        lockout.count_failure(username, now)
        raise LoginError("mismatch")
    begin_writing()
    lockout.clear(throttle, now)
    sessions.forget_ended(user, now=now)
    sessions.start(user, remember=remember, user_agent=user_agent, now=now)
    return user


def sign_out_everywhere(user: User, *, now: datetime) -> int:
    """End every session of ``user``, on every device, "remember me" included."""
    return sessions.revoke_all(user, now=now)


def change_own_password(user: User, *, current: str, new: str, confirm: str, now: datetime) -> None:
    """An organizer replaces their own password (audited, never the password itself).

    Needs the current password, counted on the sign-in lockout when wrong; ends every other
    session of the account and keeps this one. Clears a password set by the level above.
    """
    rules.validate_new_password(new, confirm, username=user.username, current=current)
    throttle = lockout.current(user.username)
    rules.validate_login_allowed(lockout.locked_until(throttle), now)
    if not check_password_hash(user.password_hash, current):
        lockout.count_failure(user.username, now)
        raise PasswordError("current_password_wrong")
    new_hash = generate_password_hash(new)
    begin_writing()
    lockout.clear(throttle, now)
    user.password_hash = new_hash
    user.must_change_password = False
    sessions.revoke_all(user, now=now, keep=getattr(user, "session_id", None))
    audit.record(
        "account.change_password",
        now=now,
        actor_user_id=user.id,
        new={"username": user.username},
    )
    db.session.flush()


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
    """An organizer creates an account for the level below, within their scope (audited);
    its first sign-in asks for a password of its own."""
    unit = db.session.get(Unit, unit_id)
    in_scope = (
        unit is not None
        and unit.archived_at is None  # an archived unit gets no new organizers
        and db.session.scalar(visible_unit_ids(actor).where(Unit.id == unit_id)) is not None
    )
    rules.validate_account_creation(actor.role.value, role.value, unit_in_scope=in_scope)
    assert unit is not None
    user = create_user(
        username.strip(), password, role=role, unit=unit, display_name=display_name.strip()
    )
    user.must_change_password = True
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
    """Disable or re-enable an account of the level below (audited); disabling ends its
    sessions (its API tokens are refused while it is disabled).

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
    if not active:
        sessions.revoke_all(target, now=now)
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
    """Give an account of the level below a new initial password (audited, not the password).

    It ends the account's sessions, and the organizer must choose their own at next sign-in.
    """
    _check_manageable(actor, target)
    if len(password) < 8:
        raise AccountError("password_too_short")
    target.set_password(password)
    target.must_change_password = True
    sessions.revoke_all(target, now=now)
    audit.record(
        "account.reset_password",
        now=now,
        actor_user_id=actor.id,
        new={"username": target.username},
    )
    db.session.flush()
    return target
