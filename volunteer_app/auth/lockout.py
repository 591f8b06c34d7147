"""Temporary lockout after repeated failed sign-ins, per username, counted in the database.

One row per username in ``login_throttles`` (``LOGIN_LOCKOUT``, e.g. "5 per 15 minutes"),
so every process and host sees the same count. Unknown usernames are counted and locked
exactly like real ones, and the key is an HMAC: a lockout reveals nothing about which
accounts exist, and what strangers typed is not stored.

A failure is counted in a transaction of its own (``count_failure``): the edge rolls the
refused request back, and the count stays. Views that count are ``@reads_first``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from limits import parse
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from volunteer_app.auth import rules
from volunteer_app.auth.models import LoginThrottle
from volunteer_app.extensions import db
from volunteer_app.transactions import side_transaction


def throttle_key(username: str) -> str:
    """The row's key for ``username``: an HMAC of its trimmed, lower-cased form."""
    secret = current_app.config["SECRET_KEY"].encode()
    name = username.strip().lower()[:64]
    return hmac.new(secret, b"login-throttle:" + name.encode(), hashlib.sha256).hexdigest()


def forget(username: str) -> None:
    """Delete a username's throttle row: a volunteer's deleted number typed as a username."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.key == throttle_key(username)))


def limit() -> tuple[int, timedelta]:
    """LOGIN_LOCKOUT as (attempts, period)."""
    item = parse(current_app.config["LOGIN_LOCKOUT"])
    return item.amount, timedelta(seconds=item.get_expiry())


def current(username: str) -> LoginThrottle | None:
    """The username's throttle row, read afresh without locking or creating it."""
    return db.session.get(LoginThrottle, throttle_key(username), populate_existing=True)


def locked_until(throttle: LoginThrottle | None) -> datetime | None:
    """Until when a throttle row locks its username (None: not locked)."""
    return throttle.locked_until if throttle is not None else None


def count_failure(username: str, now: datetime) -> None:
    """Count one failed sign-in for ``username``, in a transaction of its own.

    The row is created when absent and re-read under a row lock (PostgreSQL; SQLite
    writers are serialised anyway), so concurrent failures count one by one. Raises
    LoginError("locked") when the username was locked meanwhile.
    """
    table = LoginThrottle.__table__
    key = throttle_key(username)
    attempts, period = limit()
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    with side_transaction(write=True) as connection:
        connection.execute(
            insert(table)
            .values(key=key, failures=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = connection.execute(
            select(table.c.failures, table.c.window_started_at, table.c.locked_until)
            .where(table.c.key == key)
            .with_for_update()
        ).one()
        rules.validate_login_allowed(row.locked_until, now)
        failures, window_started_at, until = rules.compute_login_failure(
            row.failures, row.window_started_at, now, attempts=attempts, period=period
        )
        connection.execute(
            update(table)
            .where(table.c.key == key)
            .values(
                failures=failures,
                window_started_at=window_started_at,
                locked_until=until,
                updated_at=now,
            )
        )


def clear(throttle: LoginThrottle | None, now: datetime) -> None:
    """Forget the failures after a successful sign-in (in the request's transaction)."""
    if throttle is not None and (throttle.failures or throttle.locked_until is not None):
        throttle.failures, throttle.window_started_at = 0, None
        throttle.locked_until, throttle.updated_at = None, now
