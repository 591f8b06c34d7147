"""The organizer's hours review after an activity: close forgotten check-outs, adjust or
keep one record's hours, add hours for someone without a record, confirm all.

Every handler loads the activity through ``activity_or_404`` (and a record through
``record_or_404``), so another station's ids end in a 404.
"""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.activities.models import Activity
from volunteer_app.auth.scoping import (
    activity_or_404,
    record_or_404,
    recordable_volunteer_or_404,
    visible_unit_ids,
    volunteer_or_404,
)
from volunteer_app.checkins import bp, review, voids
from volunteer_app.checkins.forms import AdjustHoursForm, VoidRecordForm, VoidRegistrationForm
from volunteer_app.checkins.review_rules import hours_to_minutes
from volunteer_app.checkins.rules import compute_minutes
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.forms import ActionForm


def _back(activity: Activity, anchor: str = "#hours"):
    return redirect(url_for("activities.detail", activity_id=activity.id) + anchor)


@bp.post("/activities/<int:activity_id>/close-checkins")
@login_required
def close_checkins(activity_id: int):
    """Close every open check-in at the end time, marked for review."""
    activity = activity_or_404(current_user, activity_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        closed = review.close_open_checkins(activity, utcnow(), actor=current_user)
    except DomainError as error:
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
        except DomainError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Hours saved."), "success")
            return _back(activity, "#hours")
    status = 400 if request.method == "POST" else 200
    return (
        render_template("checkins/adjust.html", form=form, activity=activity, record=record),
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
    except DomainError as error:
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
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Hours of %(num)d volunteers confirmed.", num=n), "success")
    return _back(activity, "#hours")


@bp.route(
    "/activities/<int:activity_id>/volunteers/<int:volunteer_id>/add-hours",
    methods=["GET", "POST"],
)
@login_required
def add_hours(activity_id: int, volunteer_id: int):
    """Record hours after the end for a volunteer who served but has no record."""
    activity = activity_or_404(current_user, activity_id)
    volunteer = recordable_volunteer_or_404(current_user, activity, volunteer_id)
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
        except DomainError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Hours added for %(name)s.", name=volunteer.name), "success")
            return _back(activity, "#hours")
    status = 400 if request.method == "POST" else 200
    return (
        render_template(
            "checkins/add_hours.html",
            form=form,
            activity=activity,
            volunteer=volunteer,
        ),
        status,
    )


@bp.route("/activities/<int:activity_id>/checkins/<int:checkin_id>/void", methods=["GET", "POST"])
@login_required
def void(activity_id: int, checkin_id: int):
    """Void a junk or test record with a reason: it then counts nowhere, but stays."""
    activity = activity_or_404(current_user, activity_id)
    record = record_or_404(activity, checkin_id)
    form = VoidRecordForm()
    if form.validate_on_submit():
        try:
            voids.void_record(record, current_user, reason=form.reason.data, now=utcnow())
        except DomainError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Record of %(name)s voided.", name=record.volunteer.name), "success")
            return _back(activity, "#voided")
    status = 400 if request.method == "POST" else 200
    return (
        render_template("checkins/void.html", form=form, activity=activity, record=record),
        status,
    )


@bp.post("/activities/<int:activity_id>/checkins/<int:checkin_id>/restore")
@login_required
def restore(activity_id: int, checkin_id: int):
    """Restore a voided record, unless it would now overlap another of the person's."""
    activity = activity_or_404(current_user, activity_id)
    record = voids.voided_record_or_404(activity, checkin_id)
    if record is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        voids.restore_record(record, current_user, now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("Record of %(name)s restored.", name=record.volunteer.name), "success")
    return _back(activity, "#hours")


@bp.route("/volunteers/<int:volunteer_id>/void", methods=["GET", "POST"])
@login_required
def void_registration(volunteer_id: int):
    """Void a registration made by mistake (a test, a mistyped walk-in): the person erased,
    their records voided and kept; only one made by an organizer and never used."""
    volunteer = volunteer_or_404(current_user, volunteer_id)
    form = VoidRegistrationForm()
    name = volunteer.name
    if form.validate_on_submit():
        try:
            voids.void_registration(
                volunteer,
                current_user,
                reason=form.reason.data,
                unit_ids=visible_unit_ids(current_user),
                now=utcnow(),
            )
        except DomainError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("The registration of %(name)s was voided.", name=name), "success")
            return redirect(url_for("volunteers.roster"))
    status = 400 if request.method == "POST" else 200
    page = render_template("checkins/void_registration.html", form=form, volunteer=volunteer)
    return page, status
