"""Who a volunteer is on a new device: phone number + PIN, one-time codes, devices.

See docs/security.md for the threat model these services answer.

Failed attempts are flushed *before* IdentityError is raised; the route commits them
(``commit_failure``) instead of rolling back, otherwise a brute-force attempt would
leave no trace.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from flask import current_app, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import services as audit
from ..database import without_write_lock
from ..extensions import db, limiter
from . import rules
from .models import Device, PinThrottle, Volunteer
from .rules import IdentityError, VolunteerError
from .services import find_by_phone


def _pin_limit_key() -> str:
    return "pin-ip:" + (request.remote_addr or "")


#: Per client IP, only failed PIN attempts (401 answers) count, in one budget shared by
#: every page that takes a PIN (check-in, sign-in, registration). Behind a reverse proxy the
#: app needs ProxyFix, or every client shares the proxy's address (docs/security.md).
pin_attempt_limit = limiter.shared_limit(
    lambda: current_app.config["PIN_RATE_LIMIT"],
    scope="pin-attempts",
    key_func=_pin_limit_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 401,
)

#: Compared against when the number is unknown, so both paths do the same work.
_DUMMY_HASH = generate_password_hash("not-a-pin")


def _throttle_key(phone: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"pin-throttle:" + phone.encode(), hashlib.sha256).hexdigest()


def _throttle(phone: str, now: datetime) -> PinThrottle:
    """The throttle row of a number, locked for this transaction (created when absent).

    The row lock (PostgreSQL; SQLite writers are serialised anyway) makes concurrent wrong
    PINs for one number count one by one; a concurrent first insert is read back instead.
    """
    key = _throttle_key(phone)
    row = db.session.get(PinThrottle, key, with_for_update=True, populate_existing=True)
    if row is not None:
        return row
    row = PinThrottle(key=key, failures=0, updated_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        row = db.session.get(PinThrottle, key, with_for_update=True, populate_existing=True)
    return row


def _secret_matches(volunteer: Volunteer | None, secret: str | None, now: datetime) -> str | None:
    """ "pin" or "code" when ``secret`` is the volunteer's PIN or live one-time code."""
    if volunteer is None or secret is None:
        check_password_hash(_DUMMY_HASH, secret or "")
        return None
    if volunteer.pin_hash and check_password_hash(volunteer.pin_hash, secret):
        return "pin"
    if (
        volunteer.setup_code_hash
        and volunteer.setup_code_expires_at is not None
        and now < volunteer.setup_code_expires_at
        and check_password_hash(volunteer.setup_code_hash, secret)
    ):
        return "code"
    if not volunteer.pin_hash:
        check_password_hash(_DUMMY_HASH, secret)
    return None


def authenticate(phone: str, raw_secret: str, *, now: datetime) -> tuple[Volunteer, bool]:
    """The volunteer whose number and PIN (or one-time code) these are: (volunteer, used_code).

    Unknown number, wrong PIN, expired code and "no PIN yet" all raise the same
    IdentityError("mismatch"); five in a row lock the number ("locked", 429) for everyone.
    Using a one-time code clears the old PIN: the volunteer must choose a new one.

    The secret is checked (slow by design) outside SQLite's write lock; the outcome is then
    counted on the throttle row re-read under its lock, so concurrent attempts count one by one.
    """
    secret = rules.normalize_secret(raw_secret)
    rules.validate_attempt_allowed(_locked_until(phone), now)
    volunteer = find_by_phone(phone)
    with without_write_lock(db.session):
        how = _secret_matches(volunteer, secret, now)
    throttle = _throttle(phone, now)
    rules.validate_attempt_allowed(throttle.locked_until, now)
    if how is None:
        throttle.failures, throttle.locked_until = rules.compute_failure(throttle.failures, now)
        throttle.updated_at = now
        db.session.flush()
        raise IdentityError("mismatch")
    volunteer = find_by_phone(phone)
    assert volunteer is not None
    throttle.failures, throttle.locked_until, throttle.updated_at = 0, None, now
    if how == "code":
        volunteer.setup_code_hash = None
        volunteer.setup_code_expires_at = None
        volunteer.pin_hash = None
        volunteer.pin_set_at = None
        audit.record(
            "volunteer.setup_code_used",
            now=now,
            volunteer_id=volunteer.id,
            actor_volunteer_id=volunteer.id,
        )
    db.session.flush()
    return volunteer, how == "code"


def _locked_until(phone: str) -> datetime | None:
    """The number's lock, read without locking or creating its throttle row."""
    row = db.session.get(PinThrottle, _throttle_key(phone))
    return row.locked_until if row is not None else None


def commit_failure(error: Exception) -> None:
    """After a refused sign-in keep the counted failure; roll back anything else."""
    if isinstance(error, IdentityError) and error.code == "mismatch":
        db.session.commit()
    else:
        db.session.rollback()


def sign_in_or_register(
    *, name: str, phone: str, pin: str, consent: bool, now: datetime, consent_version: str
) -> tuple[Volunteer, bool]:
    """For a new device on the check-in page: a known number must prove its PIN; a new one
    registers with name, consent and a new PIN. Returns (volunteer, used_code).
    """
    if find_by_phone(phone) is not None:
        return authenticate(phone, pin, now=now)
    if not consent:
        raise VolunteerError("consent_required")
    if not name:
        raise VolunteerError("name_required")
    new_pin = rules.validate_new_pin(pin)
    with without_write_lock(db.session):
        pin_hash = generate_password_hash(new_pin)
    volunteer = Volunteer(
        name=name,
        phone=phone,
        consent_version=consent_version,
        consented_at=now,
        pin_hash=pin_hash,
        pin_set_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(volunteer)
    except IntegrityError:
        # Someone registered this number a moment ago: it is theirs unless the PIN matches.
        return authenticate(phone, pin, now=now)
    return volunteer, False


def set_pin(
    volunteer: Volunteer, *, new_pin: str, confirm: str, current_pin: str | None, now: datetime
) -> None:
    """Choose or change the PIN; changing an existing one needs the current PIN."""
    if volunteer.pin_hash and not check_password_hash(volunteer.pin_hash, current_pin or ""):
        raise IdentityError("current_pin_wrong", status=400)
    pin = rules.validate_new_pin(new_pin, confirm)
    volunteer.pin_hash = generate_password_hash(pin)
    volunteer.pin_set_at = now
    audit.record(
        "volunteer.pin_set", now=now, volunteer_id=volunteer.id, actor_volunteer_id=volunteer.id
    )
    db.session.flush()


def issue_setup_code(volunteer: Volunteer, *, organizer_id: int, now: datetime) -> str:
    """Make an 8-digit one-time code for a volunteer standing in front of an organizer.

    Valid for 30 minutes, usable once, stored only as a hash; audit-logged with the
    organizer's id and shown on the volunteer's own page.
    """
    code = "".join(secrets.choice("0123456789") for _ in range(rules.SETUP_CODE_LENGTH))
    volunteer.setup_code_hash = generate_password_hash(code)
    volunteer.setup_code_expires_at = now + rules.SETUP_CODE_VALIDITY
    audit.record(
        "volunteer.setup_code_issued",
        now=now,
        volunteer_id=volunteer.id,
        actor_user_id=organizer_id,
    )
    db.session.flush()
    return code


def devices_of(volunteer: Volunteer) -> list[Device]:
    """The volunteer's remembered devices, newest first, signed-out ones included."""
    return list(
        db.session.scalars(
            select(Device)
            .where(Device.volunteer_id == volunteer.id)
            .order_by(Device.revoked_at.is_not(None), Device.created_at.desc(), Device.id.desc())
        )
    )


def revoke_device(volunteer: Volunteer, device_id: int, *, now: datetime) -> Device | None:
    """Sign one of the volunteer's own devices out; None if it is not theirs."""
    device = db.session.scalar(
        select(Device).where(Device.id == device_id, Device.volunteer_id == volunteer.id)
    )
    if device is None:
        return None
    if device.revoked_at is None:
        device.revoked_at = now
        audit.record(
            "volunteer.device_signed_out",
            now=now,
            volunteer_id=volunteer.id,
            actor_volunteer_id=volunteer.id,
            old={"device": device.id},
        )
        db.session.flush()
    return device
