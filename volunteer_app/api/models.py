"""Per-organizer API tokens, stored hashed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_app.auth.models import User
from volunteer_app.database import utcnow
from volunteer_app.extensions import db


class ApiToken(db.Model):
    """A bearer token acting as one organizer, with exactly that organizer's scope."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: What it is for, e.g. "万福中心校 kiosk" (shown in the console).
    name: Mapped[str] = mapped_column(String(100))
    #: SHA-256 of the token. Tokens are 256-bit random, so a fast hash is enough.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters, to recognise a token in the list without revealing it.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
