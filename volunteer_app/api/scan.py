"""Volunteer self check-in over the API, for kiosk and scanner apps (no organizer token).

The same rules as the check-in page ``/c/<token>``: the QR token is verified and its kind
accepted as the activity allows (``checkins.services.validate_token_use``); a new device
proves a known number with its PIN, or registers a new number with name, consent and a
PIN (``volunteers.identity.sign_in_or_register``: same lockout, same single answer for
unknown number and wrong PIN); a remembered device sends the key it was given.

Anonymous, so every call is limited per address (``API_ANONYMOUS_RATE_LIMIT``) and failed
PINs share the per-address budget of the pages (``PIN_RATE_LIMIT``).
"""

from __future__ import annotations

from flask import current_app, jsonify, request
from flask_babel import lazy_gettext as _l

from volunteer_app.activities.models import Activity
from volunteer_app.api import bp
from volunteer_app.api.routes import _body, closed_elsewhere_out
from volunteer_app.api.schemas import SelfScan, SelfScanResult
from volunteer_app.checkins import identify, keys
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.rules import Action, CheckInError
from volunteer_app.checkins.tokens import TokenError, verify_token
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import limiter
from volunteer_app.formatting import mask_phone
from volunteer_app.transactions import reads_first
from volunteer_app.volunteers import identity
from volunteer_app.volunteers.identity import Credentials, Identified
from volunteer_app.volunteers.models import Volunteer
from volunteer_app.volunteers.services import live_members

#: Longest device key accepted in ``Authorization: Device <key>`` (keys are 32 characters).
DEVICE_KEY_MAX_LENGTH = 64


class SelfScanError(DomainError):
    """The volunteer could not be identified."""

    status = 401
    messages = {
        "identity_required": _l(
            "Give your mobile number and PIN, or the key of a remembered device."
        ),
        "choose_person": _l(
            "Several volunteers use this phone: give volunteer_id, one of those listed."
        ),
        "not_on_this_phone": _l("This volunteer does not use this phone."),
    }


def _person(who: Identified, volunteer_id: int | None) -> Volunteer:
    """The person the scan is for: ``volunteer_id`` of the phone's household, else the one
    the device shows or the name named; a phone of several people must say who (409 with
    their ids and names: the holder of the PIN or device may see their own household)."""
    members = live_members(who.household)
    if volunteer_id is not None:
        person = next((m for m in members if m.id == volunteer_id), None)
        if person is None:
            raise SelfScanError("not_on_this_phone", status=404)
        return person
    if who.volunteer is not None:
        return who.volunteer
    error = SelfScanError("choose_person", status=409)
    error.details = {"people": [{"id": m.id, "name": m.name} for m in members]}
    raise error


def _address_key() -> str:
    return "api-scan-ip:" + (request.remote_addr or "unknown")


#: Per address, whatever Authorization header is sent (a made-up bearer token buys nothing).
anonymous_limit = limiter.limit(
    lambda: current_app.config["API_ANONYMOUS_RATE_LIMIT"], key_func=_address_key
)


def device_key() -> str | None:
    """The key in ``Authorization: Device <key>``, "" when that header is malformed, else None."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "device":
        return None
    value = value.strip()
    if not value or len(value) > DEVICE_KEY_MAX_LENGTH or not value.isascii():
        return ""
    return value


def token_of(scanned: str) -> str:
    """The token in what a scanner read: the token itself or the check-in URL ``…/c/<token>``."""
    if "/c/" in scanned:
        scanned = scanned.rsplit("/c/", 1)[1]
    return scanned.split("?", 1)[0].split("#", 1)[0].strip()


def _activity_for(scanned: str, now) -> Activity:
    """The activity of a QR token that may be used right now (TokenError otherwise).

    No submit grace for a rotating code: there is no page whose opening could prove the
    code was fresh, so it is accepted for its own validity (about 2 × its period) only.
    """
    claims = verify_token(current_app.config["SECRET_KEY"], token_of(scanned))
    activity = keys.activity_for_token(claims)
    if activity is None:
        raise TokenError("invalid")
    checkins.validate_token_use(activity, claims, now=now)
    return activity


def _identify(body: SelfScan, key: str | None, now, unit_id: int) -> Identified:
    """Who is scanning: the device key's volunteer, or the number and PIN in the body."""
    if key is not None:
        if body.phone is not None or body.pin is not None or body.name is not None:
            raise SelfScanError("identity_required", status=422)
        credentials = None
    elif body.phone is None or body.pin is None:
        raise SelfScanError("identity_required", status=422)
    else:
        credentials = Credentials(
            phone=body.phone, pin=body.pin, name=body.name or "", consent=body.consent
        )
    return identity.identify(
        device_key=key,
        credentials=credentials,
        remember=key is None and body.remember,
        user_agent=request.user_agent.string,
        now=now,
        consent_version=current_app.config["CONSENT_VERSION"],
        unit_id=unit_id,
    )


def _result(record: CheckIn, activity: Activity, volunteer: Volunteer, **extra) -> dict:
    return SelfScanResult(
        id=record.id,
        activity_id=activity.id,
        activity=activity.title,
        name=volunteer.name,
        phone=mask_phone(volunteer.phone),
        checked_in_at=record.checked_in_at,
        checked_out_at=record.checked_out_at,
        minutes=record.minutes,
        hours=record.minutes / 60,
        status=record.status.value,
        **extra,
    ).model_dump(mode="json")


def _scan(action: Action):
    """Check the volunteer in or out; a repeat answers 200 with the record and ``already``."""
    body = _body(SelfScan)
    now = utcnow()
    activity = _activity_for(body.token, now)
    who = _identify(body, device_key(), now, activity.unit_id)
    person = _person(who, body.volunteer_id)
    try:
        record, already = identify.record(activity, person, action, now=now), False
    except CheckInError as error:
        if error.code not in ("already_checked_in", "already_checked_out"):
            raise
        record = getattr(error, "record", None)
        record, already = record or checkins.find_record(activity.id, person.id), True
    body_out = _result(
        record,
        activity,
        person,
        already=already,
        device_key=who.new_device.key if who.new_device else None,
        choose_pin=who.used_code,
        closed_elsewhere=closed_elsewhere_out(record),
    )
    status = 201 if action == Action.CHECK_IN and not already else 200
    return jsonify(body_out), status


@bp.post("/checkin")
@anonymous_limit
@identity.pin_attempt_limit
@identity.probe_limit
@reads_first
def self_check_in():
    """A volunteer checks in with the activity's QR token (201; a repeat 200, already)."""
    return _scan(Action.CHECK_IN)


@bp.post("/checkout")
@anonymous_limit
@identity.pin_attempt_limit
@identity.probe_limit
@reads_first
def self_check_out():
    """A volunteer checks out with the activity's QR token and is credited the hours."""
    return _scan(Action.CHECK_OUT)
