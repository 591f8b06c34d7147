"""Organizer sessions kept on the server: each sign-in is a ``UserSession`` row.

The session cookie and the "remember me" cookie carry the row's random key (Flask-Login's
``get_id()``), never the account's id, so each sign-in has its own cookie values and any of
them can be revoked. ``load`` accepts only a live, unexpired, unrevoked session of an
active account, in one indexed query; the lifetime is enforced here, whatever a cookie
says: ``ORGANIZER_SESSION_HOURS`` for a plain sign-in, ``ORGANIZER_REMEMBER_DAYS`` with
"keep me signed in".
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, select, update

from volunteer_app.auth.models import User, UserSession
from volunteer_app.extensions import db
from volunteer_app.transactions import write_aside

#: ``last_seen_at`` is written at most this often per session: pages and the API are hot
#: paths, and a write per request would cost more than the time is worth.
TOUCH_INTERVAL = timedelta(minutes=5)


def hash_key(key: str) -> str:
    """The stored form of a session key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def lifetime(*, remember: bool) -> timedelta:
    """How long a new session lives on the server."""
    if remember:
        return timedelta(days=current_app.config["ORGANIZER_REMEMBER_DAYS"])
    return timedelta(hours=current_app.config["ORGANIZER_SESSION_HOURS"])


def start(user: User, *, remember: bool, user_agent: str, now: datetime) -> UserSession:
    """Open a session for a sign-in; ``user.get_id()`` gives its key from here on."""
    key = secrets.token_urlsafe(32)
    row = UserSession(
        key_hash=hash_key(key),
        user_id=user.id,
        remember=remember,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetime(remember=remember),
        user_agent=(user_agent or "")[:200],
    )
    db.session.add(row)
    db.session.flush()
    user.session_key, user.session_id = key, row.id
    return row


def load(key: str, *, now: datetime) -> User | None:
    """The active organizer whose live session has this key, or None (one query)."""
    if not key or len(key) > 100 or not key.isascii():
        return None
    row = db.session.execute(_live_statement(), {"key_hash": hash_key(key), "now": now}).first()
    if row is None:
        return None
    user, session_id, last_seen_at = row
    user.session_key, user.session_id = key, session_id
    if now - last_seen_at >= TOUCH_INTERVAL:
        table = UserSession.__table__
        write_aside(
            update(table)
            .where(table.c.id == session_id, table.c.last_seen_at < now - TOUCH_INTERVAL)
            .values(last_seen_at=now)
        )
    return user


@lru_cache(maxsize=1)
def _live_statement():
    """The account of a live session (built once: every organizer request runs it)."""
    return (
        select(User, UserSession.id, UserSession.last_seen_at)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            UserSession.key_hash == bindparam("key_hash"),
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > bindparam("now"),
            User.is_active.is_(True),
        )
    )


def revoke_all(user: User, *, now: datetime, keep: int | None = None) -> int:
    """End every live session of ``user`` (but ``keep``, a session id); how many ended."""
    statement = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep)
    result = db.session.execute(statement.values(revoked_at=now))
    return result.rowcount


def forget_ended(user: User, *, now: datetime) -> None:
    """Delete the user's sessions that ended (revoked or expired): nothing refers to them."""
    db.session.execute(
        UserSession.__table__.delete().where(
            UserSession.user_id == user.id,
            (UserSession.revoked_at.is_not(None)) | (UserSession.expires_at <= now),
        )
    )
