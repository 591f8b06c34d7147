"""Invite links: a new organizer chooses their own username and password.

An organizer who may invite (a district admin for any unit, a centre organizer for their
centre and its stations) creates an invite for one unit; the account it creates has the
role that manages a unit of that level (``ROLE_FOR_LEVEL``). The link is
``/invite/<token>``: the token is ``secrets.token_urlsafe(32)`` (256 random bits) and only
its SHA-256 is stored, so the link is shown once, when it is made, and never again.

An invite is *live* while it is unused, unrevoked and not expired (``INVITE_DAYS`` by
default), and its maker's account is enabled: disabling an organizer pauses their links.
Accepting it claims it with one conditional UPDATE (live, as above) before the account is
inserted, so of two people
opening the same link at once exactly one gets an account; the other, like anyone with a
used, expired, revoked or made-up link, gets the same "invalid or expired" page.

Rules first (plain values, time passed in), then the services (database, audit).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from volunteer_app.audit import services as audit
from volunteer_app.auth import rules, sessions
from volunteer_app.auth.models import Invite, Role, User
from volunteer_app.auth.rules import (
    CENTRE_ORGANIZER,
    DISTRICT_ADMIN,
    STATION_ORGANIZER,
    AccountRuleError,
)
from volunteer_app.auth.scoping import scoped_invites, visible_unit_ids
from volunteer_app.auth.services import AccountError, find_user
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit, UnitLevel
from volunteer_app.transactions import begin_writing

#: How long a new invite stays open unless the organizer chooses otherwise, and at most.
INVITE_DAYS = 7
MAX_INVITE_DAYS = 30
#: Random bytes of a token (43 URL-safe characters).
TOKEN_BYTES = 32
#: The most links one export may carry (a district has a few hundred stations).
MAX_EXPORT_LINKS = 1000

#: The role of the account an invite for a unit of each level creates.
ROLE_FOR_LEVEL: dict[str, str] = {
    UnitLevel.DISTRICT.value: DISTRICT_ADMIN,
    UnitLevel.CENTRE.value: CENTRE_ORGANIZER,
    UnitLevel.STATION.value: STATION_ORGANIZER,
}

#: The roles that may invite, each for the units it manages.
INVITING_ROLES = (DISTRICT_ADMIN, CENTRE_ORGANIZER)

PENDING, USED, REVOKED, EXPIRED, PAUSED = "pending", "used", "revoked", "expired", "paused"


class InviteError(DomainError):
    """An invite could not be made, revoked or accepted.

    ``invalid`` is the one answer (404) for a link that is used, expired, revoked or was
    never made, so a link tells a stranger nothing about which invites exist.
    """

    status = 400
    messages = {
        "invalid": _l("This invite link is invalid or has expired."),
        "bad_days": _l("An invite can be valid for 1 to 30 days."),
        "not_a_centre": _l("Choose a practice centre: each of its stations gets an invite."),
        "not_pending": _l("This invite has already been used or revoked."),
        "signed_in": _l("You are signed in. Sign out first, then open the invite link again."),
    }


# --- rules ---------------------------------------------------------------------------------


def may_invite(actor_role: str) -> bool:
    """Whether an organizer with ``actor_role`` may send invites at all."""
    return actor_role in INVITING_ROLES


def compute_invite_role(actor_role: str, unit_level: str, *, unit_in_scope: bool) -> str:
    """The role of the account an invite for a unit of ``unit_level`` creates.

    Raises AccountRuleError ``role_not_allowed`` for an organizer who may not invite (a
    station organizer) and ``unit_not_allowed`` for a unit outside the actor's scope.
    """
    if not may_invite(actor_role):
        raise AccountRuleError("role_not_allowed")
    if not unit_in_scope:
        raise AccountRuleError("unit_not_allowed")
    return ROLE_FOR_LEVEL[unit_level]


def compute_expiry(now: datetime, days: int) -> datetime:
    """When an invite made at ``now`` for ``days`` days stops working (InviteError bad_days)."""
    if not 1 <= days <= MAX_INVITE_DAYS:
        raise InviteError("bad_days")
    return now + timedelta(days=days)


def compute_state(
    *,
    used_at: datetime | None,
    revoked_at: datetime | None,
    expires_at: datetime,
    now: datetime,
    maker_active: bool = True,
) -> str:
    """What an invite is at ``now``: used, revoked, expired, paused (its maker's account is
    disabled: the link opens nothing until it is enabled again) or pending (usable)."""
    if used_at is not None:
        return USED
    if revoked_at is not None:
        return REVOKED
    if expires_at <= now:
        return EXPIRED
    if not maker_active:
        return PAUSED
    return PENDING


def validate_invite_password(password: str, confirm: str, *, username: str) -> None:
    """The app's rules for an organizer's own password (PasswordError): at least 8
    characters, not the username, typed the same twice."""
    rules.validate_new_password(password, confirm, username=username, current="")


# --- tokens --------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    """The stored form of an invite token."""
    return hashlib.sha256(raw.encode("utf-8", "replace")).hexdigest()


def new_token() -> str:
    """A fresh invite token: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def _plausible(raw: str) -> bool:
    return bool(raw) and len(raw) <= 100 and raw.isascii()


# --- services ------------------------------------------------------------------------------


def _unit_in_scope(actor: User, unit_id: int) -> Unit | None:
    """The unit if ``actor`` manages it, else None."""
    return db.session.scalar(
        select(Unit).where(Unit.id == unit_id, Unit.id.in_(visible_unit_ids(actor)))
    )


def _add_invite(
    actor: User,
    unit: Unit,
    role: str,
    *,
    display_name: str,
    note: str,
    expires_at: datetime,
    now: datetime,
) -> tuple[Invite, str]:
    """Insert one invite and its audit entry; the token is returned, never stored."""
    raw = new_token()
    invite = Invite(
        token_hash=hash_token(raw),
        unit_id=unit.id,
        unit=unit,
        role=Role(role),
        display_name=" ".join(display_name.split())[:100],
        note=" ".join(note.split())[:200],
        created_by_id=actor.id,
        created_at=now,
        expires_at=expires_at,
    )
    db.session.add(invite)
    db.session.flush()
    audit.record(
        "invite.create",
        now=now,
        actor_user_id=actor.id,
        new={
            "invite_id": invite.id,
            "unit_id": unit.id,
            "role": role,
            "expires_at": expires_at.isoformat(),
        },
    )
    return invite, raw


def create_invite(
    actor: User,
    *,
    unit_id: int,
    display_name: str = "",
    note: str = "",
    days: int = INVITE_DAYS,
    now: datetime,
) -> tuple[Invite, str]:
    """An organizer invites a new organizer for one of their units (audited).

    Returns the invite and its token, which is shown once and never stored.
    """
    unit = _unit_in_scope(actor, unit_id)
    role = compute_invite_role(
        actor.role.value, unit.level.value if unit else "", unit_in_scope=unit is not None
    )
    assert unit is not None
    expires_at = compute_expiry(now, days)
    return _add_invite(
        actor, unit, role, display_name=display_name, note=note, expires_at=expires_at, now=now
    )


@dataclass
class StationInvites:
    """What a batch of invites for a centre's stations did."""

    centre: Unit
    #: (invite, token) for each station that had neither an organizer nor an open invite.
    created: list[tuple[Invite, str]] = field(default_factory=list)
    #: Stations skipped: an active station organizer manages them already.
    staffed: list[Unit] = field(default_factory=list)
    #: Stations skipped: an invite for them is still open (revoke it to send a new one).
    pending: list[Unit] = field(default_factory=list)


def create_station_invites(
    actor: User, *, centre_id: int, days: int = INVITE_DAYS, now: datetime
) -> StationInvites:
    """One invite per station under a centre that has no active organizer and no open
    invite yet (each audited).

    The centre's row is locked first (PostgreSQL), so a double-submitted batch waits for
    the first and then finds every station invited; SQLite's write lock does the same.
    """
    centre = db.session.scalar(
        select(Unit)
        .where(Unit.id == centre_id, Unit.id.in_(visible_unit_ids(actor)))
        .with_for_update()
    )
    compute_invite_role(actor.role.value, UnitLevel.CENTRE.value, unit_in_scope=centre is not None)
    assert centre is not None
    if centre.level != UnitLevel.CENTRE:
        raise InviteError("not_a_centre")
    expires_at = compute_expiry(now, days)
    stations = db.session.scalars(
        select(Unit)
        .where(Unit.parent_id == centre.id, Unit.level == UnitLevel.STATION)
        .order_by(Unit.name)
    ).all()
    ids = [s.id for s in stations]
    staffed = set(
        db.session.scalars(
            select(User.unit_id).where(
                User.unit_id.in_(ids),
                User.role == Role.STATION_ORGANIZER,
                User.is_active.is_(True),
            )
        )
    )
    pending = set(
        db.session.scalars(
            select(Invite.unit_id).where(
                Invite.unit_id.in_(ids),
                *_live(now),
            )
        )
    )
    result = StationInvites(centre=centre)
    for station in stations:
        if station.id in staffed:
            result.staffed.append(station)
        elif station.id in pending:
            result.pending.append(station)
        else:
            result.created.append(
                _add_invite(
                    actor,
                    station,
                    STATION_ORGANIZER,
                    display_name="",
                    note="",
                    expires_at=expires_at,
                    now=now,
                )
            )
    return result


def invites_of(actor: User, *, limit: int = 500) -> list[Invite]:
    """The invites for the units ``actor`` manages, newest first."""
    return list(
        db.session.scalars(
            scoped_invites(actor).order_by(Invite.created_at.desc(), Invite.id.desc()).limit(limit)
        )
    )


def revoke_invite(actor: User, invite: Invite, *, now: datetime) -> None:
    """Revoke an (already scoped) open invite (audited); its link stops working at once.

    ``UPDATE … WHERE used_at IS NULL AND revoked_at IS NULL``: an invite accepted in the
    meantime stays accepted (InviteError ``not_pending``, 409).
    """
    result = db.session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None), Invite.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise InviteError("not_pending", status=409)
    db.session.refresh(invite)
    audit.record(
        "invite.revoke",
        now=now,
        actor_user_id=actor.id,
        old={"invite_id": invite.id, "unit_id": invite.unit_id, "role": invite.role.value},
    )


def _live(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The conditions of a live invite: unused, unrevoked, unexpired, and made by an account
    that is still enabled (disabling an organizer stops the links they gave out; enabling
    them again brings back those not yet expired)."""
    return (
        Invite.used_at.is_(None),
        Invite.revoked_at.is_(None),
        Invite.expires_at > now,
        Invite.created_by_id.in_(select(User.id).where(User.is_active.is_(True))),
    )


def live_invite(raw: str, *, now: datetime) -> Invite | None:
    """The live invite a token opens (unused, unrevoked, not expired), or None."""
    if not _plausible(raw):
        return None
    return db.session.scalar(
        select(Invite).where(
            Invite.token_hash == hash_token(raw),
            *_live(now),
        )
    )


def accept_invite(
    raw: str,
    *,
    display_name: str,
    username: str,
    password: str,
    confirm: str,
    user_agent: str,
    now: datetime,
) -> User:
    """The invitee creates their account with the invite's unit and role, and is signed in.

    Checks and hashes first (for a ``@reads_first`` view), then claims the invite with one
    conditional UPDATE and inserts the account; a claim that finds the invite used,
    revoked or expired raises InviteError ``invalid`` (404) and the request rolls back.
    A username taken meanwhile (the unique index decides) is AccountError
    ``username_taken``. Audited as ``invite.accept`` by the new account.
    """
    invite = live_invite(raw, now=now)
    if invite is None:
        raise InviteError("invalid", status=404)
    username = username.strip()
    validate_invite_password(password, confirm, username=username)
    if find_user(username) is not None:
        raise AccountError("username_taken")
    password_hash = generate_password_hash(password)
    begin_writing()
    claimed = db.session.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            *_live(now),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise InviteError("invalid", status=404)
    user = User(
        username=username,
        display_name=" ".join(display_name.split())[:100] or invite.display_name or username,
        password_hash=password_hash,
        role=invite.role,
        unit_id=invite.unit_id,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise AccountError("username_taken") from None
    db.session.execute(
        update(Invite)
        .where(Invite.id == invite.id)
        .values(used_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(invite)
    audit.record(
        "invite.accept",
        now=now,
        actor_user_id=user.id,
        new={
            "invite_id": invite.id,
            "username": user.username,
            "role": user.role.value,
            "unit_id": user.unit_id,
        },
    )
    sessions.start(user, remember=False, user_agent=user_agent, now=now)
    return user


def live_links(actor: User, raws: list[str], *, now: datetime) -> list[tuple[Invite, str]]:
    """The tokens among ``raws`` that open a live invite for one of ``actor``'s units, with
    their invites, in the order given; anything else is left out."""
    wanted = [raw for raw in dict.fromkeys(raws) if _plausible(raw)][:MAX_EXPORT_LINKS]
    if not wanted:
        return []
    hashes = {hash_token(raw): raw for raw in wanted}
    found = db.session.scalars(
        scoped_invites(actor).where(
            Invite.token_hash.in_(list(hashes)),
            *_live(now),
        )
    ).all()
    by_hash = {invite.token_hash: invite for invite in found}
    return [(by_hash[h], raw) for h, raw in hashes.items() if h in by_hash]
