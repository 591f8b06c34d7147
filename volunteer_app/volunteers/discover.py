"""Volunteers' discovery pages: upcoming activities, sign-up and cancel, registration."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ..activities.models import ActivityStatus
from ..auth.routes import _safe_next
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from . import bp, identity, services, signups
from .forms import RegisterForm
from .routes import volunteer_required
from .rules import mask_phone, normalize_name, normalize_phone
from .session import current_device, set_device_cookie


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, type=int)
    return value if value and value > 0 else None


@bp.get("/discover")
def discover():
    """Upcoming activities by station, category and date."""
    now = utcnow()
    day = None
    raw_day = request.args.get("date") or ""
    if raw_day:
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            flash(_("Please choose a valid date."), "error")
    unit_id, category_id = _int_arg("station"), _int_arg("category")
    units, categories = signups.filter_choices(now)
    device = current_device()
    return render_template(
        "volunteers/discover.html",
        listings=signups.upcoming(now=now, unit_id=unit_id, category_id=category_id, day=day),
        units=units,
        categories=categories,
        selected={
            "station": unit_id,
            "category": category_id,
            "date": day.isoformat() if day else "",
        },
        mine=signups.upcoming_for_volunteer(device.volunteer_id, now) if device else [],
    )


@bp.get("/discover/<int:activity_id>")
def discover_detail(activity_id: int):
    """An activity as volunteers see it, with sign-up or cancel."""
    activity = signups.public_activity(activity_id)
    if activity is None:
        abort(404)
    device = current_device()
    now = utcnow()
    return render_template(
        "volunteers/discover_detail.html",
        activity=activity,
        taken=signups.taken(activity.id),
        signed_up=bool(device) and signups.is_signed_up(activity.id, device.volunteer_id),
        volunteer=device.volunteer if device else None,
        can_sign_up=activity.status == ActivityStatus.PUBLISHED and now < activity.starts_at,
    )


def _back(activity_id: int):
    return redirect(url_for("volunteers.discover_detail", activity_id=activity_id))


def _change_sign_up(activity_id: int, change, done: str, category: str):
    """Apply ``change`` (signups.sign_up or signups.cancel) to the volunteer's sign-up for an
    activity open to it (404 otherwise); flash ``done`` or the refusal; back to the activity."""
    activity = signups.public_activity(activity_id)
    if activity is None:
        abort(404)
    try:
        change(activity, g.volunteer, now=utcnow())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _back(activity_id)
    flash(done, category)
    return _back(activity_id)


@bp.post("/discover/<int:activity_id>/sign-up")
@volunteer_required
def sign_up(activity_id: int):
    """Sign up for an upcoming activity."""
    return _change_sign_up(
        activity_id,
        signups.sign_up,
        _("You have signed up. Scan the QR code at the activity to check in."),
        "success",
    )


@bp.post("/discover/<int:activity_id>/cancel")
@volunteer_required
def cancel(activity_id: int):
    """Cancel my sign-up before the activity starts."""
    return _change_sign_up(
        activity_id, signups.cancel, _("Your sign-up has been cancelled."), "info"
    )


@bp.route("/me/register", methods=["GET", "POST"])
@identity.pin_attempt_limit
def register():
    """Register with name, mobile number, PIN and consent (no check-in needed)."""
    form = RegisterForm()
    target = _safe_next(request.args.get("next")) or url_for("volunteers.me")
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return render_template("volunteers/register.html", form=form), status
    now = utcnow()
    try:
        volunteer, _used_code = identity.sign_in_or_register(
            name=normalize_name(form.name.data),
            phone=normalize_phone(form.phone.data),
            pin=form.pin.data,
            consent=bool(form.consent.data),
            now=now,
            consent_version=current_app.config["CONSENT_VERSION"],
        )
        device = services.remember_device(volunteer, user_agent=request.user_agent.string, now=now)
        db.session.commit()
    except DomainError as error:
        identity.commit_failure(error)
        form.form_errors.append(error.message)
        return render_template("volunteers/register.html", form=form), error.status
    if volunteer.pin_hash is None:
        target = url_for("volunteers.pin")
    response = redirect(target)
    set_device_cookie(response, device.key)
    return response


@bp.app_context_processor
def _signup_helpers():
    """For the organizer's activity page partial and the check-in page."""
    return {
        "activity_signups": signups.for_activity,
        "is_signed_up": signups.is_signed_up,
        "mask_phone_of": mask_phone,
    }
