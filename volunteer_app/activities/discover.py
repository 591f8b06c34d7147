"""Volunteers' discovery pages: upcoming activities, sign-up and cancel, registration."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from volunteer_app.activities import bp, signups
from volunteer_app.activities.models import ActivityStatus
from volunteer_app.checkins.services import check_members_only
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.params import parse_date, parse_id
from volunteer_app.volunteers.routes import volunteer_required
from volunteer_app.volunteers.session import current_device


def _id_arg(name: str) -> tuple[int | None, bool]:
    """The id filter ``name`` (None when absent) and whether it was a valid id."""
    raw = request.args.get(name) or ""
    value = parse_id(raw)
    return value, value is not None or raw == ""


@bp.get("/discover")
def discover():
    """Upcoming activities by station, category and date; a filter that is not one of the
    page's choices is a 400 with a message (and the page unfiltered by it)."""
    now = utcnow()
    valid = True
    raw_day = request.args.get("date") or ""
    day = parse_date(raw_day) if raw_day else None
    if raw_day and day is None:
        flash(_("Please choose a valid date."), "error")
        valid = False
    (unit_id, unit_ok), (category_id, category_ok) = _id_arg("station"), _id_arg("category")
    if not (unit_ok and category_ok):
        flash(_("Please choose a station and a category from the lists."), "error")
        valid = False
    units, categories = signups.filter_choices(now)
    device = current_device()
    page = render_template(
        "activities/discover.html",
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
    return page, 200 if valid else 400


@bp.get("/discover/<int:activity_id>")
def discover_detail(activity_id: int):
    """An activity as volunteers see it, with sign-up or cancel."""
    activity = signups.public_activity(activity_id)
    if activity is None:
        abort(404)
    device = current_device()
    now = utcnow()
    return render_template(
        "activities/discover_detail.html",
        members_only_notice=_members_only_notice(activity, device.volunteer if device else None),
        activity=activity,
        taken=signups.taken(activity.id),
        signed_up=bool(device) and signups.is_signed_up(activity.id, device.volunteer_id),
        volunteer=device.volunteer if device else None,
        can_sign_up=activity.status == ActivityStatus.PUBLISHED and now < activity.starts_at,
    )


def _members_only_notice(activity, volunteer) -> str | None:
    """Why this volunteer may not sign up for an activity of its team's members only, said
    before they try; None when they may (or nobody is signed in)."""
    if volunteer is None:
        return None
    try:
        check_members_only(activity, volunteer)
    except DomainError as error:
        return error.message
    return None


def _back(activity_id: int):
    return redirect(url_for("activities.discover_detail", activity_id=activity_id))


def _change_sign_up(activity_id: int, change, done: str, category: str):
    """Apply ``change`` (signups.sign_up or signups.cancel) to the volunteer's sign-up for an
    activity open to it (404 otherwise); flash ``done`` or the refusal; back to the activity."""
    activity = signups.public_activity(activity_id)
    if activity is None:
        abort(404)
    try:
        change(activity, g.volunteer, now=utcnow())
    except DomainError as error:
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
