"""Creating, finding and revoking API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from functools import lru_cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select, update

from volunteer_app.api.models import ApiToken
from volunteer_app.auth.models import User
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db

#: Prefix that makes a leaked token easy to recognise (and to scan for in logs).
TOKEN_PREFIX = "vat_"


class ApiTokenError(DomainError):
    """A token could not be created or revoked."""

    status = 400
    messages = {
        "name_required": _l("Please give the token a name."),
        "not_found": _l("No such token."),
    }


def hash_token(raw: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(user: User, name: str, *, now: datetime) -> tuple[ApiToken, str]:
    """Create a token for ``user``; the plaintext is returned once and never stored."""
    name = " ".join((name or "").split())[:100]
    if not name:
        raise ApiTokenError("name_required")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, name=name, token_hash=hash_token(raw), prefix=raw[:10], created_at=now
    )
    db.session.add(token)
    db.session.flush()
    return token, raw


def user_for_token(raw: str) -> User | None:
    """The active organizer a live token acts as, in one query; None if unknown or revoked."""
    if not raw or len(raw) > 200 or not raw.isascii():
        return None
    user = db.session.scalar(_token_user_statement(), {"token_hash": hash_token(raw)})
    if user is None or not user.is_active:
        return None
    return user


@lru_cache(maxsize=1)
def _token_user_statement():
    """The user of a live token (built once: every API request runs it)."""
    return (
        select(User)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None))
    )


def tokens_of(user: User) -> list[ApiToken]:
    """A user's tokens, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
        )
    )


def revoke(user: User, token_id: int, *, now: datetime) -> ApiToken:
    """Revoke one of the user's own tokens (another user's id is "not found").

    ``UPDATE … WHERE revoked_at IS NULL``: a repeat, even at the same moment, keeps the
    time of the first revocation.
    """
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)
    )
    if token is None:
        raise ApiTokenError("not_found", status=404)
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == token.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(token)
    return token
