"""Organizer actions of the volunteers area: one-time codes given in person, star preset."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from volunteer_app.activities.models import Activity
from volunteer_app.auth.models import Role
from volunteer_app.auth.scoping import role_required, visible_unit_ids
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.formatting import mask_phone
from volunteer_app.volunteers import bp, identity, records, stars
from volunteer_app.volunteers.forms import FindVolunteerForm, StarPresetForm
from volunteer_app.volunteers.models import Household, Volunteer
from volunteer_app.volunteers.rules import normalize_phone


def served_volunteer_or_none(user, phone: str) -> Volunteer | None:
    """The volunteer with this number if they have served at one of ``user``'s units."""
    served = (
        select(CheckIn.volunteer_id)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(Activity.unit_id.in_(visible_unit_ids(user)))
    )
    return db.session.scalar(
        select(Volunteer)
        .join(Volunteer.household)
        .where(Household.phone == phone, Volunteer.id.in_(served))
        .order_by(Volunteer.id)
        .limit(1)
    )


@bp.route("/manage/volunteers/code", methods=["GET", "POST"])
@login_required
def setup_code():
    """Give a volunteer standing here a one-time code (forgotten PIN, or no PIN yet)."""
    form = FindVolunteerForm()
    volunteer = None
    code = None
    status = 200
    if form.validate_on_submit():
        try:
            phone = normalize_phone(form.phone.data)
        except DomainError as error:
            form.phone.errors.append(error.message)
            return render_template("volunteers/manage_code.html", form=form), 400
        volunteer = served_volunteer_or_none(current_user, phone)
        if volunteer is None:
            flash(_("No volunteer with this number has served at your stations."), "error")
            status = 404
        elif request.form.get("issue") == "1":
            code = identity.issue_setup_code(volunteer, organizer_id=current_user.id, now=utcnow())
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "volunteers/manage_code.html",
            form=form,
            volunteer=volunteer,
            code=code,
            masked=mask_phone(volunteer.phone) if volunteer else None,
        ),
        status,
    )


@bp.route("/manage/stars", methods=["GET", "POST"])
@login_required
@role_required(Role.DISTRICT_ADMIN)
def star_settings():
    """The district admin picks the star thresholds (national default or a local preset)."""
    form = StarPresetForm()
    form.preset.choices = [
        (key, f"{stars.PRESET_LABELS[key]} ({' / '.join(str(h) for h in hours)} h)")
        for key, hours in stars.PRESETS.items()
    ]
    if request.method == "GET":
        form.preset.data = records.star_preset()
    if form.validate_on_submit():
        records.set_star_preset(form.preset.data, user_id=current_user.id, now=utcnow())
        flash(_("Star thresholds saved."), "success")
        return redirect(url_for("volunteers.star_settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("volunteers/manage_stars.html", form=form), status
