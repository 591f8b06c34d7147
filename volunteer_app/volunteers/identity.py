"""Who holds this phone: its number and PIN (or a one-time code), the people it carries,
the devices that remember it.

A phone is a household (``Household``): one number and PIN, and one or several people
(``Volunteer``), each with their own records. Whoever proves the PIN manages the household's
people. See docs/security.md for the threat model these services answer.

A wrong PIN is counted in a transaction of its own (``count_failure``) before
IdentityError is raised: the edge rolls the refused request back, and the count stays.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, g, has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from volunteer_app.activities.models import Activity
from volunteer_app.audit import services as audit
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role, User
from volunteer_app.auth.scoping import visible_unit_ids, visible_volunteer_ids
from volunteer_app.checkins.models import CheckIn
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db, limiter
from volunteer_app.transactions import begin_writing, side_transaction, without_write_lock
from volunteer_app.volunteers import rules
from volunteer_app.volunteers.models import Device, Household, PinThrottle, Volunteer
from volunteer_app.volunteers.rules import IdentityError, VolunteerError
from volunteer_app.volunteers.services import (
    add_member,
    create_household,
    household_by_phone,
    live_members,
    member_named,
    remember_device,
    volunteer_for_device,
)


def _pin_limit_key() -> str:
    return "pin-ip:" + (request.remote_addr or "")


def ip_key(prefix: str):
    """A Flask-Limiter key function: ``prefix`` and the client's address."""

    def key() -> str:
        return f"{prefix}:" + (request.remote_addr or "")

    return key


def number_key(phone: str) -> str:
    """An HMAC of a number, for keys that must not hold the number itself."""
    return _throttle_key(phone)


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


def note_probe() -> None:
    """Mark this request's answer as one that tells something about a number (registered,
    has a PIN): it counts against ``probe_limit``."""
    if has_request_context():
        g.number_probe = True


#: Per client IP, answers that tell whether a number is registered or has a PIN (a failed
#: sign-in, "no PIN yet", a walk-in refused for a known number) count in one budget
#: (``PROBE_RATE_LIMIT``), so numbers cannot be probed without limit.
probe_limit = limiter.shared_limit(
    lambda: current_app.config["PROBE_RATE_LIMIT"],
    scope="number-probes",
    key_func=ip_key("probe-ip"),
    methods=["POST"],
    deduct_when=lambda response: bool(g.get("number_probe")),
)

#: Compared against when the number is unknown, so both paths do the same work.
_DUMMY_HASH = generate_password_hash("not-a-pin")


def _throttle_key(phone: str) -> str:
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, b"pin-throttle:" + phone.encode(), hashlib.sha256).hexdigest()


def _secret_matches(household: Household | None, secret: str | None, now: datetime) -> str | None:
    """ "pin" or "code" when ``secret`` is the household's PIN or live one-time code.

    The same work whatever the case: a dummy hash is checked for an unknown number and for
    a number without a PIN, so the answer's timing says nothing about who is registered.
    """
    if household is None or secret is None:
        check_password_hash(_DUMMY_HASH, secret or "")
        return None
    if household.pin_hash and check_password_hash(household.pin_hash, secret):
        return "pin"
    if (
        household.setup_code_hash
        and household.setup_code_expires_at is not None
        and now < household.setup_code_expires_at
        and check_password_hash(household.setup_code_hash, secret)
    ):
        return "code"
    if not household.pin_hash:
        check_password_hash(_DUMMY_HASH, secret)
    return None


def _locked_until(phone: str) -> datetime | None:
    """The number's lock, read without locking or creating its throttle row."""
    row = db.session.get(PinThrottle, _throttle_key(phone), populate_existing=True)
    return row.locked_until if row is not None else None


def count_failure(phone: str, now: datetime) -> int:
    """Count one wrong PIN for a number, in a transaction of its own.

    The count must outlive the refused request, whose own transaction the edge rolls back.
    The throttle row is created when absent and re-read under a row lock (PostgreSQL;
    SQLite writers are serialised anyway), so concurrent wrong PINs count one by one.
    Raises IdentityError("locked") when the number was locked meanwhile; returns the wrong
    PINs left before the lock.
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
    return rules.compute_tries_left(failures, locked_until)


def forget_number(phone: str) -> None:
    """Delete a number's throttle row (when the number itself is deleted)."""
    db.session.execute(delete(PinThrottle).where(PinThrottle.key == _throttle_key(phone)))


def _clear_failures(phone: str, now: datetime) -> None:
    """Forget a number's failures after a right PIN (only if there are any)."""
    row = db.session.get(PinThrottle, _throttle_key(phone))
    if row is not None and (row.failures or row.locked_until is not None):
        begin_writing()
        row.failures, row.locked_until, row.updated_at = 0, None, now


def authenticate(phone: str, raw_secret: str, *, now: datetime) -> tuple[Household, bool]:
    """The household whose number and PIN (or one-time code) these are: (household, used_code).

    Unknown number, wrong PIN and expired code raise the same IdentityError("mismatch");
    a registered number without a PIN (registered by others) raises "no_pin", which tells
    the holder how to claim it. Both are counted by ``count_failure`` and against the per-IP
    ``probe_limit``; five in a row lock the number ("locked", 429) for everyone, even for
    the right PIN. Using a one-time code clears the old PIN and signs out every device of
    the household (each shows why at its next visit, ``reset_notice``): the holder must
    choose a new PIN before anything else (``volunteers.session.volunteer_required``).

    The secret is checked (slow by design) before anything is written and outside SQLite's
    write lock; in a ``@reads_first`` view the writing begins only after it.
    """
    secret = rules.normalize_secret(raw_secret)
    rules.validate_attempt_allowed(_locked_until(phone), now)
    household = household_by_phone(phone)
    with without_write_lock():
        how = _secret_matches(household, secret, now)
    if how is None:
        note_probe()
        left = count_failure(phone, now)
        code = (
            "no_pin"
            if household is not None and not household.pin_hash and live_members(household)
            else "mismatch"
        )
        error = IdentityError(code)
        error.tries_left = left
        raise error
    rules.validate_attempt_allowed(_locked_until(phone), now)
    assert household is not None
    _clear_failures(phone, now)
    if how == "code":
        begin_writing()
        issued = _code_origin(household)
        had_pin = bool(household.pin_hash)
        _use_code(household)
        sign_out_devices(household, now=now)
        first = live_members(household)[0]
        audit.record(
            "volunteer.setup_code_used",
            now=now,
            volunteer_id=first.id,
            actor_volunteer_id=first.id,
            new={**issued, "reset": had_pin},
        )
    db.session.flush()
    return household, how == "code"


def _code_origin(household: Household) -> dict:
    """Where the household's live code came from ({"via", "station"}), from its audit entry."""
    ids = [m.id for m in household.members]
    entry = db.session.scalar(
        select(AuditEntry)
        .where(AuditEntry.volunteer_id.in_(ids), AuditEntry.action == "volunteer.setup_code_issued")
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    value = entry.new_value if entry is not None and isinstance(entry.new_value, dict) else {}
    return {k: value[k] for k in ("via", "station") if k in value}


def _use_code(household: Household) -> None:
    """Spend the one-time code just checked, and the old PIN with it; usable once.

    ``UPDATE … WHERE setup_code_hash = <the code checked>``: of two devices using one code
    at the same moment, one spends it and the other is refused as a mismatch (not counted
    as a failure: it is the right code, a millisecond late).
    """
    used = db.session.execute(
        update(Household)
        .where(Household.id == household.id, Household.setup_code_hash == household.setup_code_hash)
        .values(setup_code_hash=None, setup_code_expires_at=None, pin_hash=None, pin_set_at=None)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:
        raise IdentityError("mismatch")
    db.session.refresh(household)


def sign_in_or_register(
    *,
    name: str,
    phone: str,
    pin: str,
    consent: bool,
    now: datetime,
    consent_version: str,
    minor: bool = False,
    unit_id: int | None = None,
) -> Identified:
    """For a new device: a known number proves its PIN; a new number registers.

    - Known number: after the PIN, ``name`` picks the household's person of that name, or
      adds a new person to the household (the PIN holder registers a child or a partner on
      their phone; consent needed). Without a name, a household of one is that person; a
      household of several says nobody (the page asks who).
    - New number: name, consent and a new PIN register the household and its first person.

    ``minor``: the person is under 14 and the consent given is their guardian's.
    ``unit_id``: the station through which the person registers (the activity scanned).
    Everything is checked (and a new PIN hashed) before the first write. Two first scans of
    one new number at once: the unique number decides, and the loser joins the winner's
    household only with the winner's PIN (not counted as a failure: it is one guess in a
    race that lasts milliseconds).
    """
    household = household_by_phone(phone)
    if household is not None:
        household, used_code = authenticate(phone, pin, now=now)
        volunteer, added = _person(
            household,
            name,
            consent=consent,
            minor=minor,
            now=now,
            consent_version=consent_version,
            unit_id=unit_id,
        )
        return Identified(household, volunteer, used_code=used_code, added=added)
    problems = rules.compute_form_problems(
        phone=phone, pin=pin, name=name, consent=consent, new_person=True
    )
    rules.validate_form(problems, ("consent", "name", "pin"))
    new_pin = rules.validate_new_pin(pin)
    with without_write_lock():
        pin_hash = generate_password_hash(new_pin)
    begin_writing()
    household = create_household(phone, now=now, pin_hash=pin_hash)
    if household.pin_hash != pin_hash and _secret_matches(household, new_pin, now) != "pin":
        raise IdentityError("mismatch")
    volunteer = add_member(
        household,
        name,
        now=now,
        consent_version=consent_version,
        is_minor=minor,
        registered_unit_id=unit_id,
    )
    return Identified(household, volunteer)


def _person(
    household: Household,
    name: str,
    *,
    consent: bool,
    minor: bool,
    now: datetime,
    consent_version: str,
    unit_id: int | None,
) -> tuple[Volunteer | None, bool]:
    """The household's person a signed-in phone named: (person or None, added just now)."""
    if not name:
        members = live_members(household)
        return (members[0] if len(members) == 1 else None), False
    existing = member_named(household, name)
    if existing is not None:
        return existing, False
    if not consent:
        raise VolunteerError("consent_required")
    begin_writing()
    volunteer = add_member(
        household,
        name,
        now=now,
        consent_version=consent_version,
        is_minor=minor,
        registered_unit_id=unit_id,
    )
    return volunteer, True


def verify_own_pin(household: Household, raw_pin: str | None, *, now: datetime) -> None:
    """Check the PIN a signed-in phone typed to confirm a change (new PIN, deletion).

    Counted on the same throttle as signing in, so a remembered device is no way around the
    lockout. IdentityError("current_pin_wrong") or ("locked").
    """
    rules.validate_attempt_allowed(_locked_until(household.phone), now)
    with without_write_lock():
        matches = bool(household.pin_hash) and check_password_hash(
            household.pin_hash, raw_pin or ""
        )
    if not matches:
        error = IdentityError("current_pin_wrong", status=400)
        error.tries_left = count_failure(household.phone, now)
        raise error
    _clear_failures(household.phone, now)


def set_pin(
    volunteer: Volunteer,
    *,
    new_pin: str,
    confirm: str,
    current_pin: str | None,
    now: datetime,
    keep_device: Device | None = None,
) -> None:
    """Choose or change the phone's PIN; changing an existing one needs the current PIN.

    Every other device of the household is signed out (a PIN changed because a phone was
    lost must shut that phone out); ``keep_device``, the one making the change, stays.
    """
    household = volunteer.household
    assert household is not None
    pin = rules.validate_new_pin(new_pin, confirm)
    with without_write_lock():
        pin_hash = generate_password_hash(pin)
    if household.pin_hash:
        verify_own_pin(household, current_pin, now=now)
    begin_writing()
    household.pin_hash = pin_hash
    household.pin_set_at = now
    sign_out_devices(household, now=now, keep=keep_device)
    audit.record(
        "volunteer.pin_set", now=now, volunteer_id=volunteer.id, actor_volunteer_id=volunteer.id
    )
    db.session.flush()


def _new_code() -> str:
    return "".join(secrets.choice("0123456789") for _ in range(rules.SETUP_CODE_LENGTH))


def issue_setup_code(volunteer: Volunteer, *, organizer_id: int, now: datetime) -> str:
    """Make an 8-digit one-time code for the phone of a volunteer standing in front of an
    organizer (the caller has checked that they may: ``give_setup_code``).

    Valid for 30 minutes, usable once, stored only as a hash; audit-logged with the
    organizer's id and station, and shown on the volunteer's own page ("账户记录").
    """
    household = volunteer.household
    assert household is not None
    organizer = db.session.get(User, organizer_id)
    station = organizer.unit.name if organizer is not None else ""
    code = _new_code()
    household.setup_code_hash = generate_password_hash(code)
    household.setup_code_expires_at = now + rules.SETUP_CODE_VALIDITY
    audit.record(
        "volunteer.setup_code_issued",
        now=now,
        volunteer_id=volunteer.id,
        actor_user_id=organizer_id,
        new={"via": "station", "station": station, "reset": bool(household.pin_hash)},
    )
    db.session.flush()
    return code


def _records_elsewhere(user: User, household: Household) -> bool:
    """Whether a person of the household has records at units ``user`` does not manage."""
    ids = select(Volunteer.id).where(Volunteer.household_id == household.id)
    return (
        db.session.scalar(
            select(CheckIn.id)
            .join(Activity, Activity.id == CheckIn.activity_id)
            .where(CheckIn.volunteer_id.in_(ids), Activity.unit_id.not_in(visible_unit_ids(user)))
            .limit(1)
        )
        is not None
    )


def _others_on_number(user: User, household: Household) -> bool:
    """Whether the household has a live person ``user`` may not act for."""
    return (
        db.session.scalar(
            select(Volunteer.id)
            .where(
                Volunteer.household_id == household.id,
                Volunteer.deleted_at.is_(None),
                Volunteer.id.not_in(visible_volunteer_ids(user)),
            )
            .limit(1)
        )
        is not None
    )


def give_setup_code(user: User, volunteer: Volunteer, *, now: datetime) -> str:
    """An organizer gives a one-time code to a volunteer they may see (the route loads the
    volunteer through ``auth.scoping.volunteer_or_404``).

    For a household with a PIN the code is a reset: a long-standing account (PIN older than
    30 days, or records at other units) needs a centre or district organizer, and a station
    organizer gets SetupCodeError("ask_centre"). Using the code never replaces the PIN
    silently: the device that uses it must choose a new PIN at once, every other device is
    signed out and says why, and both the issue and the use are on the volunteer's page.
    """
    household = volunteer.household
    assert household is not None
    has_pin = bool(household.pin_hash)
    rules.validate_code_issue(
        station_level=user.role == Role.STATION_ORGANIZER,
        has_pin=has_pin,
        pin_set_at=household.pin_set_at,
        records_elsewhere=has_pin and _records_elsewhere(user, household),
        others_on_number=_others_on_number(user, household),
        district_level=user.role == Role.DISTRICT_ADMIN,
        now=now,
    )
    return issue_setup_code(volunteer, organizer_id=user.id, now=now)


def verify_pin_at_desk(household: Household, raw_pin: str | None, *, now: datetime) -> None:
    """Check the household's PIN typed by its holder on an organizer's device (a walk-in with
    a number already registered).

    Counted on the same per-number throttle as signing in; a one-time code is not accepted
    here, and a household without a PIN never matches (the same work is done either way).
    IdentityError("desk_pin_wrong", 401) or ("locked", 429).
    """
    rules.validate_attempt_allowed(_locked_until(household.phone), now)
    secret = rules.normalize_secret(raw_pin or "")
    with without_write_lock():
        if household.pin_hash and secret is not None:
            matches = check_password_hash(household.pin_hash, secret)
        else:
            check_password_hash(_DUMMY_HASH, secret or "")
            matches = False
    if not matches:
        note_probe()
        count_failure(household.phone, now)
        raise IdentityError("desk_pin_wrong")
    _clear_failures(household.phone, now)


def send_claim_code(phone: str, *, now: datetime, gateway) -> None:
    """Send a one-time code by SMS to a registered number that has no PIN yet.

    Nothing happens for an unknown number or one with a PIN (the caller answers the same in
    every case). The code is stored hashed with the same validity as an organizer's, replaces
    any earlier code, and is audited (``via`` "sms") and listed on the volunteer's page.
    """
    household = household_by_phone(phone)
    if household is None or household.pin_hash or not live_members(household):
        return
    code = _new_code()
    with without_write_lock():
        code_hash = generate_password_hash(code)
    begin_writing()
    household.setup_code_hash = code_hash
    household.setup_code_expires_at = now + rules.SETUP_CODE_VALIDITY
    audit.record(
        "volunteer.setup_code_issued",
        now=now,
        volunteer_id=live_members(household)[0].id,
        new={"via": "sms", "reset": False},
    )
    db.session.flush()
    gateway.send(
        phone,
        _(
            "Your one-time volunteer code is %(code)s. It is valid for 30 minutes. "
            "Do not tell it to anyone.",
            code=code,
        ),
    )


@dataclass(frozen=True)
class ResetNotice:
    """Why a signed-out device was signed out: the number's PIN was reset with a code."""

    at: datetime
    via: str
    station: str


def reset_notice(key: str | None) -> ResetNotice | None:
    """For a signed-out device's key: the latest reset of its household's PIN by a one-time
    code since the device was signed in (shown on the sign-in page), else None."""
    if not key:
        return None
    device = db.session.scalar(select(Device).where(Device.key == key))
    if device is None or device.revoked_at is None or device.volunteer.household_id is None:
        return None
    ids = select(Volunteer.id).where(Volunteer.household_id == device.volunteer.household_id)
    entry = db.session.scalar(
        select(AuditEntry)
        .where(
            AuditEntry.volunteer_id.in_(ids),
            AuditEntry.action == "volunteer.setup_code_used",
            AuditEntry.at >= device.created_at,
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        return None
    value = entry.new_value if isinstance(entry.new_value, dict) else {}
    return ResetNotice(entry.at, value.get("via", ""), value.get("station", ""))


def _household_devices(household: Household):
    return select(Device).where(
        Device.volunteer_id.in_(select(Volunteer.id).where(Volunteer.household_id == household.id))
    )


def devices_of(volunteer: Volunteer) -> list[Device]:
    """The remembered devices of the volunteer's phone, newest first, signed-out ones too."""
    if volunteer.household is None:
        return []
    return list(
        db.session.scalars(
            _household_devices(volunteer.household).order_by(
                Device.revoked_at.is_not(None), Device.created_at.desc(), Device.id.desc()
            )
        )
    )


def sign_out_devices(household: Household, *, now: datetime, keep: Device | None = None) -> int:
    """Sign out every device of the household but ``keep``; returns how many."""
    devices = [
        d
        for d in db.session.scalars(
            _household_devices(household).where(Device.revoked_at.is_(None))
        )
        if keep is None or d.id != keep.id
    ]
    for device in devices:
        device.revoked_at = now
    return len(devices)


def revoke_device(volunteer: Volunteer, device_id: int, *, now: datetime) -> Device | None:
    """Sign one of the phone's own devices out; None if it is not one of them.

    ``UPDATE … WHERE revoked_at IS NULL``: signing a device out twice at once is audited
    once and keeps the first time.
    """
    if volunteer.household is None:
        return None
    device = db.session.scalar(
        _household_devices(volunteer.household).where(Device.id == device_id)
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


def switch_person(device: Device, volunteer_id: int) -> Volunteer | None:
    """Make the device show another person of its household; None if not one of them."""
    household = device.volunteer.household
    if household is None:
        return None
    person = next((m for m in live_members(household) if m.id == volunteer_id), None)
    if person is not None:
        device.volunteer = person
        db.session.flush()
    return person


def add_person(
    device: Device, *, name: str, minor: bool, consent: bool, now: datetime, consent_version: str
) -> Volunteer:
    """Add a person to the household of a signed-in phone (VolunteerError on a bad name,
    no consent, or a name the household already has)."""
    household = device.volunteer.household
    assert household is not None
    name = rules.normalize_name(name)
    if not consent:
        raise VolunteerError("consent_required")
    if member_named(household, name) is not None:
        raise VolunteerError("name_taken", status=409)
    person = add_member(household, name, now=now, consent_version=consent_version, is_minor=minor)
    audit.record(
        "volunteer.member_added",
        now=now,
        volunteer_id=person.id,
        actor_volunteer_id=device.volunteer_id,
    )
    db.session.flush()
    return person


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
    """What a new device typed: number and PIN; a name and consent to register someone."""

    phone: str
    pin: str
    name: str = ""
    consent: bool = False
    #: The person registered is under 14 (the consent is their guardian's).
    minor: bool = False


@dataclass(frozen=True)
class Identified:
    """Who holds this phone, for whom it acts, and what identifying it made."""

    household: Household
    #: The person the phone acts for; None when a household of several signed in without
    #: saying who (the page asks).
    volunteer: Volunteer | None
    #: The device remembered just now; its key goes into the cookie or the API's answer.
    new_device: Device | None = None
    #: A one-time code was used: the holder must choose a new PIN next.
    used_code: bool = False
    #: A new person was added to a known household just now.
    added: bool = False


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
    unit_id: int | None = None,
) -> Identified:
    """The household of a remembered device, or of the number and PIN a new device typed.

    ``known`` is the device's person when the caller has loaded them already (the scan page
    loads them with the activity, in one query); else ``device_key`` names the device, and
    one that names no live device is DeviceError("device_unknown"). Without either,
    ``credentials`` are checked by ``sign_in_or_register`` (or, with ``register=False``, by
    ``authenticate`` alone), and with ``remember`` the new device is remembered, showing the
    person named (or the household's first). Ends with the writing begun.
    """
    if known is None and device_key is not None:
        known = volunteer_for_device(device_key) if device_key else None
        if known is None:
            raise DeviceError("device_unknown")
    if known is not None:
        begin_writing()
        assert known.household is not None
        return Identified(known.household, known)
    assert credentials is not None
    phone = rules.normalize_phone(credentials.phone)
    name = rules.normalize_name(credentials.name) if credentials.name.strip() else ""
    if register:
        who = sign_in_or_register(
            name=name,
            phone=phone,
            pin=credentials.pin,
            consent=credentials.consent,
            minor=credentials.minor,
            now=now,
            consent_version=consent_version,
            unit_id=unit_id,
        )
    else:
        household, used_code = authenticate(phone, credentials.pin, now=now)
        members = live_members(household)
        who = Identified(household, members[0] if len(members) == 1 else None, used_code=used_code)
    begin_writing()
    if not remember:
        return who
    shown = who.volunteer or live_members(who.household)[0]
    device = remember_device(shown, user_agent=user_agent, now=now)
    return Identified(who.household, who.volunteer, device, who.used_code, who.added)
