"""Organizer pages that manage an activity: edit, status, duplicate, hours review, audit log.

Every handler loads the activity through ``activity_or_404`` (and a record through
``record_or_404``), so another station's ids end in a 404.
"""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..auth.scoping import activity_or_404
from ..checkins import qr, review
from ..checkins.models import CheckIn
from ..checkins.review_rules import hours_to_minutes
from ..checkins.rules import compute_minutes
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..i18n import local_to_utc, utc_to_local
from ..volunteers.models import Volunteer
from ..volunteers.rules import mask_phone
from . import bp, services
from .forms import ActionForm, ActivityEditForm, AdjustHoursForm, DuplicateForm, StatusForm
from .labels import STATUS_LABELS
from .models import Activity, ActivityStatus
from .routes import _fill_choices, checkin_url


def record_or_404(activity: Activity, checkin_id: int) -> CheckIn:
    """A record of this (already scoped) activity, or 404."""
    record = db.session.scalar(
        select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.activity_id == activity.id)
    )
    if record is None:
        abort(404)
    return record


def _back(activity: Activity, anchor: str = ""):
    return redirect(url_for("activities.detail", activity_id=activity.id) + anchor)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(activity_id: int):
    """Change an activity's details and projector settings."""
    activity = activity_or_404(current_user, activity_id)
    form = ActivityEditForm(obj=activity)
    _fill_choices(form)
    if request.method == "GET":
        form.starts_at.data = utc_to_local(activity.starts_at).replace(tzinfo=None)
        form.ends_at.data = utc_to_local(activity.ends_at).replace(tzinfo=None)
    if form.validate_on_submit():
        try:
            services.update_activity(
                activity,
                current_user,
                **form.activity_fields(),
                rotate_seconds=form.rotate_seconds.data,
                allow_static_code=form.allow_static_code.data,
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            flash(_("Changes saved."), "success")
            return _back(activity)
    status = 400 if request.method == "POST" else 200
    return render_template("activities/edit.html", form=form, activity=activity), status


@bp.post("/activities/<int:activity_id>/status")
@login_required
def change_status(activity_id: int):
    """Publish, finish, cancel or unpublish an activity."""
    activity = activity_or_404(current_user, activity_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash(_("Please check the form and try again."), "error")
        return _back(activity)
    try:
        services.change_status(
            activity, current_user, ActivityStatus(form.target.data), now=utcnow()
        )
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("Status changed to: %(status)s", status=STATUS_LABELS[form.target.data]), "success")
    return _back(activity)


@bp.route("/activities/<int:activity_id>/duplicate", methods=["GET", "POST"])
@login_required
def duplicate(activity_id: int):
    """Copy an activity to a new date, as a draft to check and publish."""
    activity = activity_or_404(current_user, activity_id)
    form = DuplicateForm()
    if request.method == "GET":
        form.starts_at.data = utc_to_local(activity.starts_at).replace(tzinfo=None)
    if form.validate_on_submit():
        try:
            copy = services.duplicate_activity(
                activity, current_user, new_starts_at=local_to_utc(form.starts_at.data)
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            flash(_("Copy created as a draft. Check it and publish it."), "success")
            return redirect(url_for("activities.detail", activity_id=copy.id))
    status = 400 if request.method == "POST" else 200
    return render_template("activities/duplicate.html", form=form, activity=activity), status


@bp.post("/activities/<int:activity_id>/close-checkins")
@login_required
def close_checkins(activity_id: int):
    """Close every open check-in at the end time, marked for review."""
    activity = activity_or_404(current_user, activity_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        closed = review.close_open_checkins(activity, utcnow(), actor=current_user)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(
            _("%(num)d open check-ins closed and marked for review.", num=len(closed)),
            "success",
        )
    return _back(activity, "#hours")


@bp.route("/activities/<int:activity_id>/checkins/<int:checkin_id>/adjust", methods=["GET", "POST"])
@login_required
def adjust(activity_id: int, checkin_id: int):
    """Set one volunteer's hours with a reason."""
    activity = activity_or_404(current_user, activity_id)
    record = record_or_404(activity, checkin_id)
    form = AdjustHoursForm()
    if request.method == "GET":
        suggested = record.minutes
        if record.needs_review and record.checked_out_at is not None:
            suggested = compute_minutes(
                record.checked_in_at, record.checked_out_at, activity.starts_at, activity.ends_at
            )
        form.hours.data = Decimal(suggested) / 60
    if form.validate_on_submit():
        try:
            minutes = hours_to_minutes(float(form.hours.data))
            review.adjust_hours(
                record, current_user, minutes=minutes, reason=form.reason.data, now=utcnow()
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            flash(_("Hours saved."), "success")
            return _back(activity, "#hours")
    status = 400 if request.method == "POST" else 200
    return (
        render_template("activities/adjust.html", form=form, activity=activity, record=record),
        status,
    )


@bp.post("/activities/<int:activity_id>/checkins/<int:checkin_id>/keep")
@login_required
def keep(activity_id: int, checkin_id: int):
    """Clear a record's review mark, keeping its hours."""
    activity = activity_or_404(current_user, activity_id)
    record = record_or_404(activity, checkin_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        review.keep_hours(record, current_user, now=utcnow())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("Hours kept."), "success")
    return _back(activity, "#hours")


@bp.post("/activities/<int:activity_id>/confirm")
@login_required
def confirm(activity_id: int):
    """Confirm all pending hours of the activity (志愿服务时长确认)."""
    activity = activity_or_404(current_user, activity_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        n = review.confirm_hours(activity, current_user, now=utcnow())
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("Hours of %(num)d volunteers confirmed.", num=n), "success")
    return _back(activity, "#hours")


@bp.get("/activities/<int:activity_id>/poster")
@login_required
def poster(activity_id: int):
    """A printable A4 poster with the activity's (static) check-in code."""
    activity = activity_or_404(current_user, activity_id)
    url = checkin_url(activity)
    return render_template("activities/poster.html", activity=activity, qr_svg=qr.render_svg(url))


@bp.route(
    "/activities/<int:activity_id>/volunteers/<int:volunteer_id>/add-hours",
    methods=["GET", "POST"],
)
@login_required
def add_hours(activity_id: int, volunteer_id: int):
    """Record hours after the end for a volunteer who served but has no record."""
    activity = activity_or_404(current_user, activity_id)
    volunteer = db.session.get(Volunteer, volunteer_id)
    if volunteer is None:
        abort(404)
    form = AdjustHoursForm()
    if request.method == "GET":
        form.hours.data = (
            Decimal(int((activity.ends_at - activity.starts_at).total_seconds() // 60)) / 60
        )
    if form.validate_on_submit():
        try:
            minutes = hours_to_minutes(float(form.hours.data))
            review.add_hours(
                activity,
                volunteer,
                current_user,
                minutes=minutes,
                reason=form.reason.data,
                now=utcnow(),
            )
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
        else:
            flash(_("Hours added for %(name)s.", name=volunteer.name), "success")
            return _back(activity, "#hours")
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "activities/add_hours.html",
            form=form,
            activity=activity,
            volunteer=volunteer,
            mask_phone=mask_phone,
        ),
        status,
    )
