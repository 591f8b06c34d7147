"""Who a volunteer is on a new device: phone number + PIN, one-time codes, devices.

See docs/security.md for the threat model these services answer.

A wrong PIN is counted in a transaction of its own (``count_failure``) before
IdentityError is raised: the edge rolls the refused request back, and the count stays.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from volunteer_app.audit import services as audit
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db, limiter
from volunteer_app.transactions import begin_writing, side_transaction, without_write_lock
from volunteer_app.volunteers import rules
from volunteer_app.volunteers.models import Device, PinThrottle, Volunteer
from volunteer_app.volunteers.rules import IdentityError, VolunteerError
from volunteer_app.volunteers.services import find_by_phone, remember_device, volunteer_for_device


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


def _locked_until(phone: str) -> datetime | None:
    """The number's lock, read without locking or creating its throttle row."""
    row = db.session.get(PinThrottle, _throttle_key(phone), populate_existing=True)
    return row.locked_until if row is not None else None


def count_failure(phone: str, now: datetime) -> None:
    """Count one wrong PIN for a number, in a transaction of its own.

    The count must outlive the refused request, whose own transaction the edge rolls back.
    The throttle row is created when absent and re-read under a row lock (PostgreSQL;
    SQLite writers are serialised anyway), so concurrent wrong PINs count one by one.
    Raises IdentityError("locked") when the number was locked meanwhile.
    """
    table = PinThrottle.__table__
    key = _throttle_key(phone)
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    with side_transaction(write=True) as connection:
        connection.execute(
            insert(table)
            .values(key=key, failures=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = connection.execute(
            select(table.c.failures, table.c.locked_until)
            .where(table.c.key == key)
            .with_for_update()
        ).one()
        rules.validate_attempt_allowed(row.locked_until, now)
        failures, locked_until = rules.compute_failure(row.failures, now)
        connection.execute(
            update(table)
            .where(table.c.key == key)
            .values(failures=failures, locked_until=locked_until, updated_at=now)
        )


def _clear_failures(phone: str, now: datetime) -> None:
    """Forget a number's failures after a right PIN (only if there are any)."""
    row = db.session.get(PinThrottle, _throttle_key(phone))
    if row is not None and (row.failures or row.locked_until is not None):
        begin_writing()
        row.failures, row.locked_until, row.updated_at = 0, None, now


def authenticate(phone: str, raw_secret: str, *, now: datetime) -> tuple[Volunteer, bool]:
    """The volunteer whose number and PIN (or one-time code) these are: (volunteer, used_code).

    Unknown number, wrong PIN, expired code and "no PIN yet" all raise the same
    IdentityError("mismatch"), counted by ``count_failure``; five in a row lock the number
    ("locked", 429) for everyone, even for the right PIN. Using a one-time code clears the
    old PIN: the volunteer must choose a new one.

    The secret is checked (slow by design) before anything is written and outside SQLite's
    write lock; in a ``@reads_first`` view the writing begins only after it.
    """
    secret = rules.normalize_secret(raw_secret)
    rules.validate_attempt_allowed(_locked_until(phone), now)
    volunteer = find_by_phone(phone)
    with without_write_lock():
        how = _secret_matches(volunteer, secret, now)
    if how is None:
        count_failure(phone, now)
        raise IdentityError("mismatch")
    rules.validate_attempt_allowed(_locked_until(phone), now)
    assert volunteer is not None
    _clear_failures(phone, now)
    if how == "code":
        begin_writing()
        _use_code(volunteer)
        audit.record(
            "volunteer.setup_code_used",
            now=now,
            volunteer_id=volunteer.id,
            actor_volunteer_id=volunteer.id,
        )
    db.session.flush()
    return volunteer, how == "code"


def _use_code(volunteer: Volunteer) -> None:
    """Spend the one-time code just checked, and the old PIN with it; usable once.

    ``UPDATE … WHERE setup_code_hash = <the code checked>``: of two devices using one code
    at the same moment, one spends it and the other is refused as a mismatch (not counted
    as a failure: it is the right code, a millisecond late).
    """
    used = db.session.execute(
        update(Volunteer)
        .where(Volunteer.id == volunteer.id, Volunteer.setup_code_hash == volunteer.setup_code_hash)
        .values(setup_code_hash=None, setup_code_expires_at=None, pin_hash=None, pin_set_at=None)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise IdentityError("mismatch")
    db.session.refresh(volunteer)


def sign_in_or_register(
    *, name: str, phone: str, pin: str, consent: bool, now: datetime, consent_version: str
) -> tuple[Volunteer, bool]:
    """For a new device: a known number must prove its PIN; a new one registers with name,
    consent and a new PIN. Returns (volunteer, used_code).

    Everything is checked (and the new PIN hashed) before the first write. Two first scans
    of the same new number at once: the unique number decides, and the loser is the
    winner only with the winner's PIN (not counted as a failure: it is one guess in a
    race that lasts milliseconds).
    """
    if find_by_phone(phone) is not None:
        return authenticate(phone, pin, now=now)
    if not consent:
        raise VolunteerError("consent_required")
    if not name:
        raise VolunteerError("name_required")
    new_pin = rules.validate_new_pin(pin)
    with without_write_lock():
        pin_hash = generate_password_hash(new_pin)
    begin_writing()
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
        winner = find_by_phone(phone)
        if winner is None or _secret_matches(winner, new_pin, now) != "pin":
            raise IdentityError("mismatch") from None
        return winner, False
    return volunteer, False


def verify_own_pin(volunteer: Volunteer, raw_pin: str | None, *, now: datetime) -> None:
    """Check the PIN a signed-in volunteer typed to confirm a change (new PIN, deletion).

    Counted on the same throttle as signing in, so a remembered device is no way around the
    lockout. IdentityError("current_pin_wrong") or ("locked").
    """
    rules.validate_attempt_allowed(_locked_until(volunteer.phone), now)
    with without_write_lock():
        matches = bool(volunteer.pin_hash) and check_password_hash(
            volunteer.pin_hash, raw_pin or ""
        )
    if not matches:
        count_failure(volunteer.phone, now)
        raise IdentityError("current_pin_wrong", status=400)
    _clear_failures(volunteer.phone, now)


def set_pin(
    volunteer: Volunteer, *, new_pin: str, confirm: str, current_pin: str | None, now: datetime
) -> None:
    """Choose or change the PIN; changing an existing one needs the current PIN."""
    pin = rules.validate_new_pin(new_pin, confirm)
    with without_write_lock():
        pin_hash = generate_password_hash(pin)
    if volunteer.pin_hash:
        verify_own_pin(volunteer, current_pin, now=now)
    begin_writing()
    volunteer.pin_hash = pin_hash
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
    """Sign one of the volunteer's own devices out; None if it is not theirs.

    ``UPDATE … WHERE revoked_at IS NULL``: signing a device out twice at once is audited
    once and keeps the first time.
    """
    device = db.session.scalar(
        select(Device).where(Device.id == device_id, Device.volunteer_id == volunteer.id)
    )
    if device is None:
        return None
    revoked = db.session.execute(
        update(Device)
        .where(Device.id == device.id, Device.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(device)
    if revoked.rowcount == 1:
        audit.record(
            "volunteer.device_signed_out",
            now=now,
            volunteer_id=volunteer.id,
            actor_volunteer_id=volunteer.id,
            old={"device": device.id},
        )
        db.session.flush()
    return device


# --- identifying a phone: the scan page, the API's self-scan, sign-in, registration ----


class DeviceError(DomainError):
    """A device key names no signed-in device."""

    status = 401
    messages = {
        "device_unknown": _l(
            "This device is not signed in (any more). Check in with your mobile number and PIN."
        ),
    }


@dataclass(frozen=True)
class Credentials:
    """What a new device typed: number and PIN, and for a new number a name and consent."""

    phone: str
    pin: str
    name: str = ""
    consent: bool = False


@dataclass(frozen=True)
class Identified:
    """Who this phone is, and what identifying it made."""

    volunteer: Volunteer
    #: The device remembered just now; its key goes into the cookie or the API's answer.
    new_device: Device | None = None
    #: A one-time code was used: the volunteer must choose a new PIN next.
    used_code: bool = False


def identify(
    *,
    credentials: Credentials | None,
    now: datetime,
    consent_version: str,
    known: Volunteer | None = None,
    device_key: str | None = None,
    remember: bool = False,
    user_agent: str = "",
    register: bool = True,
) -> Identified:
    """The volunteer of a remembered device, or of the number and PIN a new device typed.

    ``known`` is the device's volunteer when the caller has loaded it already (the scan
    page loads it with the activity, in one query); else ``device_key`` names the device,
    and one that names no live device is DeviceError("device_unknown"). Without either,
    ``credentials`` are checked by ``sign_in_or_register`` (or, with ``register=False``,
    by ``authenticate`` alone), and with ``remember`` the new device is remembered. Ends
    with the writing begun (``transactions.begin_writing``).
    """
    if known is None and device_key is not None:
        known = volunteer_for_device(device_key) if device_key else None
        if known is None:
            raise DeviceError("device_unknown")
    if known is not None:
        begin_writing()
        return Identified(known)
    assert credentials is not None
    phone = rules.normalize_phone(credentials.phone)
    if register:
        volunteer, used_code = sign_in_or_register(
            name=rules.normalize_name(credentials.name) if credentials.name.strip() else "",
            phone=phone,
            pin=credentials.pin,
            consent=credentials.consent,
            now=now,
            consent_version=consent_version,
        )
    else:
        volunteer, used_code = authenticate(phone, credentials.pin, now=now)
    begin_writing()
    device = remember_device(volunteer, user_agent=user_agent, now=now) if remember else None
    return Identified(volunteer, device, used_code)
