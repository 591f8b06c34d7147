"""Organizer pages that manage an activity: edit, status, duplicate, hours review, audit log.

Every handler loads the activity through ``activity_or_404`` (and a record through
``record_or_404``), so another station's ids end in a 404.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app import lan, qr
from volunteer_app.activities import bp, services
from volunteer_app.activities.forms import ActivityEditForm, DuplicateForm, StatusForm
from volunteer_app.activities.labels import STATUS_LABELS
from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.activities.routes import _fill_choices, checkin_url, show_activity_error
from volunteer_app.auth.scoping import activity_or_404
from volunteer_app.checkins import keys
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.forms import ActionForm


def _back(activity: Activity, anchor: str = ""):
    return redirect(url_for("activities.detail", activity_id=activity.id) + anchor)


@bp.route("/activities/<int:activity_id>/edit", methods=["GET", "POST"])
@login_required
def edit(activity_id: int):
    """Change an activity's details and projector settings."""
    activity = activity_or_404(current_user, activity_id)
    form = ActivityEditForm(obj=activity)
    _fill_choices(form, activity)
    if activity.unit.is_archived:  # it stays where its history is; no other may take it
        label = _("%(name)s (archived)", name=activity.unit.name)
        form.unit_id.choices = [(activity.unit_id, label), *form.unit_id.choices]
    if form.validate_on_submit():
        try:
            services.update_activity(
                activity,
                current_user,
                **form.activity_fields(),
                rotate_seconds=form.rotate_seconds.data,
                allow_static_code=form.allow_static_code.data,
                now=utcnow(),
            )
        except DomainError as error:
            show_activity_error(form, error)
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
    except DomainError as error:
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
        form.starts_at.data = activity.starts_at
    if form.validate_on_submit():
        try:
            copy = services.duplicate_activity(
                activity, current_user, new_starts_at=form.starts_at.data, now=utcnow()
            )
        except DomainError as error:
            form.form_errors.append(error.message)
        else:
            flash(_("Copy created as a draft. Check it and publish it."), "success")
            return redirect(url_for("activities.detail", activity_id=copy.id))
    status = 400 if request.method == "POST" else 200
    return render_template("activities/duplicate.html", form=form, activity=activity), status


@bp.post("/activities/<int:activity_id>/checkin-code/renew")
@login_required
def renew_checkin_code(activity_id: int):
    """Replace the activity's check-in QR code: the old one, printed or shared, stops working."""
    activity = activity_or_404(current_user, activity_id)
    if not ActionForm().validate_on_submit():
        flash(_("Please check the form and try again."), "error")
        return _back(activity)
    keys.renew_checkin_key(activity, current_user, now=utcnow())
    flash(
        _("The QR code has been replaced. Print the new poster: the old code no longer works."),
        "success",
    )
    if request.form.get("back") == "poster":
        return redirect(url_for("activities.poster", activity_id=activity.id))
    return _back(activity, "#checkin-code")


@bp.get("/activities/<int:activity_id>/poster")
@login_required
def poster(activity_id: int):
    """A printable A4 poster with the activity's (static) check-in code."""
    activity = activity_or_404(current_user, activity_id)
    url = checkin_url(activity)
    return render_template(
        "activities/poster.html",
        activity=activity,
        qr_svg=qr.render_svg(url),
        host_warning=lan.host_warning(url, request.url),
    )
