"""The volunteer of this browser: the signed device cookie set at check-in or sign-in."""

from __future__ import annotations

from flask import current_app, request
from itsdangerous import BadSignature
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from .models import Device


def current_device() -> Device | None:
    """The (not signed out) device record this browser's cookie names, with its volunteer."""
    from ..checkins.routes import _device_signer

    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not raw:
        return None
    try:
        key = _device_signer().unsign(raw).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return None
    return db.session.scalar(
        select(Device)
        .options(joinedload(Device.volunteer))
        .where(Device.key == key, Device.revoked_at.is_(None))
    )


def set_device_cookie(response, key: str) -> None:
    """Remember this browser (same cookie as the check-in page)."""
    from ..checkins.routes import _set_device_cookie

    _set_device_cookie(response, key)


def clear_device_cookie(response) -> None:
    """Forget this browser."""
    response.delete_cookie(current_app.config["DEVICE_COOKIE_NAME"])
