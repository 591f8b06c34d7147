"""The volunteer's side of a scan: ``/c/<token>`` shows the activity and checks in or out."""

from __future__ import annotations

from functools import lru_cache

from flask import current_app, render_template, request
from flask_babel import gettext as _
from itsdangerous import BadSignature, Signer
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import contains_eager

from ..activities.models import Activity
from ..database import commit_keeping_loaded, end_reading, read_first, utcnow
from ..errors import DomainError
from ..extensions import db
from ..volunteers import identity
from ..volunteers import services as volunteers
from ..volunteers.models import Device, Volunteer
from ..volunteers.rules import normalize_name, normalize_phone
from . import bp, services
from .forms import ScanForm
from .rules import Action, CheckInError, next_action
from .tokens import TokenError, verify_token

DEVICE_SALT = "device.v1"


def _device_signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def _device_key() -> str | None:
    """The device key in this browser's signed cookie (no query); None if absent or forged."""
    raw = request.cookies.get(current_app.config["DEVICE_COOKIE_NAME"])
    if not raw:
        return None
    try:
        return _device_signer().unsign(raw).decode("ascii")
    except (BadSignature, UnicodeDecodeError):
        return None


def current_volunteer() -> Volunteer | None:
    """The volunteer this browser remembers, from the signed device cookie."""
    key = _device_key()
    return volunteers.volunteer_for_device(key) if key else None


@lru_cache(maxsize=1)
def _load_statement():
    """The activity (with its unit) and the volunteer of a live device key, built once."""
    return (
        select(Activity, Volunteer)
        .join(Activity.unit)
        .options(contains_eager(Activity.unit))
        .outerjoin(Device, and_(Device.key == bindparam("device_key"), Device.revoked_at.is_(None)))
        .outerjoin(Volunteer, Volunteer.id == Device.volunteer_id)
        .where(Activity.id == bindparam("activity_id"))
    )


def _load(token: str) -> tuple[Activity, Volunteer | None]:
    """Verify the token; load its activity (with unit) and this device's volunteer at once.

    One query for both: the signature is checked first, without the database, and the
    device's volunteer comes along in a left join (absent or signed-out device: None).
    TokenError when the token is wrong or stale.
    """
    claims = verify_token(current_app.config["SECRET_KEY"], token)
    row = db.session.execute(
        _load_statement(), {"activity_id": claims.activity_id, "device_key": _device_key() or ""}
    ).first()
    if row is None:
        raise TokenError("invalid")
    activity, volunteer = row
    services.validate_token_use(activity, claims, now=utcnow(), submitting=request.method == "POST")
    return activity, volunteer


def _render(activity, form, volunteer, record, *, status=200, notice=None, success=None):
    action = next_action(
        record.checked_in_at if record else None, record.checked_out_at if record else None
    )
    window = services.window_for(activity)
    return (
        render_template(
            "checkins/scan.html",
            activity=activity,
            form=form,
            volunteer=volunteer,
            record=record,
            action=action,
            window=window,
            notice=notice,
            success=success,
            Action=Action,
        ),
        status,
    )


@bp.get("/c/<token>")
def scan(token: str):
    """Show the activity and the one button the volunteer needs (签到 or 签退)."""
    activity, volunteer = _load(token)
    record = services.find_record(activity.id, volunteer.id) if volunteer else None
    form = ScanForm()
    notice = _gate_notice(activity, record)
    return _render(activity, form, volunteer, record, notice=notice)


def _gate_notice(activity: Activity, record) -> str | None:
    """Explain up front why the button would be refused (not open yet, closed, cancelled)."""
    try:
        if record is None:
            services.rules.validate_check_in(
                status=activity.status.value,
                window=services.window_for(activity),
                now=utcnow(),
                checked_in_at=None,
            )
        elif record.checked_out_at is None:
            services.rules.validate_check_out(
                status=activity.status.value,
                window=services.window_for(activity),
                now=utcnow(),
                checked_in_at=record.checked_in_at,
                checked_out_at=None,
            )
    except CheckInError as error:
        return error.message
    return None


@bp.post("/c/<token>")
@identity.pin_attempt_limit
def scan_submit(token: str):
    """Check the volunteer in or out; register them first if this device is new."""
    read_first()  # SQLite: the write lock only from the first write on
    form = ScanForm()
    valid = form.validate_on_submit()  # CSRF and shape first: no database, no write lock yet
    activity, volunteer = _load(token)
    now = utcnow()
    if not valid:
        record = services.find_record(activity.id, volunteer.id) if volunteer else None
        return _render(
            activity,
            form,
            volunteer,
            record,
            status=400,
            notice=_("Please check the form and try again."),
        )
    new_device = None
    end_reading(db.session)
    try:
        if volunteer is None:
            volunteer = _register_from_form(form, now)
            new_device = volunteers.remember_device(
                volunteer, user_agent=request.user_agent.string, now=now
            )
        if form.action.data == Action.CHECK_IN:
            record = services.check_in(activity, volunteer, now=now)
            success = _("Check-in successful")
        else:
            record = services.check_out(activity, volunteer, now=now)
            success = _("Check-out successful")
        commit_keeping_loaded(db.session)  # the answer shows what was just written
    except DomainError as error:
        identity.commit_failure(error)  # a wrong PIN is counted, everything else rolled back
        volunteer = current_volunteer()  # the rollback expired what we had loaded
        record = services.find_record(activity.id, volunteer.id) if volunteer else None
        return _render(activity, form, volunteer, record, status=error.status, notice=error.message)
    response_body, status = _render(activity, form, volunteer, record, success=success)
    response = current_app.make_response((response_body, status))
    if new_device is not None:
        _set_device_cookie(response, new_device.key)
    return response


def _register_from_form(form: ScanForm, now) -> Volunteer:
    """A known number proves its PIN; a new one registers with name, consent and a PIN."""
    phone = normalize_phone(form.phone.data or "")
    name = (form.name.data or "").strip()
    volunteer, _used_code = identity.sign_in_or_register(
        name=normalize_name(name) if name else "",
        phone=phone,
        pin=form.pin.data or "",
        consent=bool(form.consent.data),
        now=now,
        consent_version=current_app.config["CONSENT_VERSION"],
    )
    return volunteer


def _set_device_cookie(response, key: str) -> None:
    """Remember this browser for the volunteer (signed, HttpOnly, one year by default)."""
    config = current_app.config
    response.set_cookie(
        config["DEVICE_COOKIE_NAME"],
        _device_signer().sign(key).decode("ascii"),
        max_age=config["DEVICE_COOKIE_DAYS"] * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=config.get("SESSION_COOKIE_SECURE", False),
    )
