"""Organizer accounts and roles, their sessions, and the sign-in lockout."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from volunteer_app.database import str_enum, utcnow
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit


class Role(enum.StrEnum):
    """What an organizer may manage: everything, a centre with its stations, or one station."""

    DISTRICT_ADMIN = "district_admin"
    CENTRE_ORGANIZER = "centre_organizer"
    STATION_ORGANIZER = "station_organizer"


class User(UserMixin, db.Model):
    """An organizer account (volunteers have no password; see volunteers.models).

    Flask-Login knows a signed-in organizer by the key of their session (``UserSession``),
    never by the account's id: ``auth.sessions`` sets ``session_key`` and ``session_id`` on
    the instance it signs in or loads.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(str_enum(Role, 32))
    #: The unit the account manages: the district for an admin, a centre or a station otherwise.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The password was chosen by the level above (a new account, a reset): the organizer
    #: must choose their own before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    unit: Mapped[Unit] = relationship()

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        """The same account (UserMixin would compare session keys)."""
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    def get_id(self) -> str:
        """The key of the session this instance was signed in or loaded through."""
        key = getattr(self, "session_key", None)
        if not key:
            raise RuntimeError("sign organizers in through auth.services.sign_in")
        return key

    def set_password(self, password: str) -> None:
        """Hash and store a new password."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Tell whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class UserSession(db.Model):
    """One sign-in of an organizer in one browser; the session and "remember me" cookies
    carry its key. Signing out, a new password and disabling the account revoke it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the key. Keys are 256-bit random, so a fast hash is enough (as for API
    #: tokens); the database never holds a key a cookie could carry.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: Signed in with "keep me signed in" (the longer lifetime).
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Updated at most every few minutes (``auth.sessions.TOUCH_INTERVAL``), not per request.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The session ends here whatever the cookie says.
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Failed sign-ins for one username, known or not (temporary lockout).

    Keyed by an HMAC of the lower-cased username, so unknown usernames are locked exactly
    like real ones and the usernames strangers typed are not stored.
    """

    __tablename__ = "login_throttles"

    #: hex HMAC-SHA256 of the lower-cased username, keyed with SECRET_KEY.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: Failures counted since ``window_started_at``.
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invite(db.Model):
    """A single-use link that lets a new organizer create their own account for one unit.

    The link carries a random token (``auth.invites``); the table holds only its SHA-256,
    so a copy of the database opens no account. An invite is live while it is neither used
    nor revoked and ``expires_at`` is ahead; accepting it is one conditional UPDATE, so two
    people opening the same link at once create one account.
    """

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the token. Tokens are 256-bit random, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    #: The role of the account it creates: the one that manages a unit of that level.
    role: Mapped[Role] = mapped_column(str_enum(Role, 32))
    #: Suggested name of the new organizer (they may change it when they accept).
    display_name: Mapped[str] = mapped_column(String(100), default="")
    #: For the organizers who sent it ("sent to Wang by WeChat"); the invitee never sees it.
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    #: The account created through it.
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship()
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    used_by: Mapped[User | None] = relationship(foreign_keys=[used_by_id])
