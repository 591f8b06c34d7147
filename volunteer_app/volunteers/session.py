"""The volunteer of this browser: the signed device cookie set at check-in or sign-in.

The cookie holds a device's random key (``devices.key``), signed with ``SECRET_KEY``
(salt ``device.v1``), never a volunteer's id: each device can be listed and signed out.
"""

from __future__ import annotations

from functools import wraps

from flask import current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, Signer
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from volunteer_app.extensions import db
from volunteer_app.volunteers.models import Device

DEVICE_SALT = "device.v1"


def device_signer() -> Signer:
    """The signer of device cookies."""
    return Signer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def device_key() -> str | None:
    """The device key in this browser's signed cookie (no query); None if absent or forged."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not raw:
        return None
    try:
        return device_signer().unsign(raw).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return None


def current_device() -> Device | None:
    """The (not signed out) device record this browser's cookie names, with its volunteer."""
    key = device_key()
    if key is None:
        return None
    return db.session.scalar(
        select(Device)
        .options(joinedload(Device.volunteer))
        .where(Device.key == key, Device.revoked_at.is_(None))
    )


#: The pages a device signed in with a one-time code may open before its PIN is chosen.
WITHOUT_PIN = frozenset({"volunteers.pin", "volunteers.sign_out_device"})


def volunteer_required(view):
    """Load the volunteer of this device into ``g``; unknown devices go to sign-in.

    A device whose number has no PIN (it was signed in with a one-time code, which spent the
    old PIN) must choose one before anything else: every other page sends it to the PIN page.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        device = current_device()
        if device is None:
            return redirect(url_for("volunteers.sign_in"))
        g.device, g.volunteer = device, device.volunteer
        household = device.volunteer.household
        if household is not None and not household.pin_hash and request.endpoint not in WITHOUT_PIN:
            flash(_("Please choose your new PIN first."), "info")
            return redirect(url_for("volunteers.pin"))
        return view(*args, **kwargs)

    return wrapped


def set_device_cookie(response, key: str) -> None:
    """Remember this browser for the volunteer (signed, HttpOnly, one year by default)."""
    config = current_app.config
    response.set_cookie(
        config["DEVICE_COOKIE_NAME"],
        device_signer().sign(key).decode("ascii"),
        max_age=config["DEVICE_COOKIE_DAYS"] * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=config.get("SESSION_COOKIE_SECURE", False),
    )


def clear_device_cookie(response) -> None:
    """Forget this browser."""
    response.delete_cookie(current_app.config["DEVICE_COOKIE_NAME"])
