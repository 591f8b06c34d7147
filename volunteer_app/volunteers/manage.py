"""Organizer actions of the volunteers area: one-time codes given in person, star preset."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.auth.models import Role
from volunteer_app.auth.scoping import role_required, scoped_volunteers, volunteer_or_404
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.formatting import mask_phone
from volunteer_app.volunteers import bp, identity, records, stars
from volunteer_app.volunteers.forms import FindVolunteerForm, StarPresetForm
from volunteer_app.volunteers.models import Household, Volunteer
from volunteer_app.volunteers.rules import normalize_phone


def my_volunteers_on(user, phone: str) -> list[Volunteer]:
    """The live people of this number that ``user`` may see and act for (auth.scoping)."""
    return list(
        db.session.scalars(
            scoped_volunteers(user)
            .join(Volunteer.household)
            .where(Household.phone == phone)
            .order_by(Volunteer.id)
        )
    )


def _code_page(form, *, people=(), volunteer=None, code=None, status=200):
    return (
        render_template(
            "volunteers/manage_code.html",
            form=form,
            people=people,
            volunteer=volunteer,
            code=code,
            masked=mask_phone(volunteer.phone if volunteer else people[0].phone)
            if (volunteer or people)
            else None,
        ),
        status,
    )


@bp.route("/manage/volunteers/code", methods=["GET", "POST"])
@login_required
def setup_code():
    """Find a volunteer standing here by number, to give them a one-time code (forgotten
    PIN, or no PIN yet); only volunteers the organizer may see are found."""
    form = FindVolunteerForm()
    if not form.validate_on_submit():
        return _code_page(form, status=400 if request.method == "POST" else 200)
    try:
        phone = normalize_phone(form.phone.data)
    except DomainError as error:
        form.phone.errors.append(error.message)
        return _code_page(form, status=400)
    people = my_volunteers_on(current_user, phone)
    if not people:
        flash(_("No volunteer with this number has served at your stations."), "error")
        return _code_page(form, status=404)
    if request.form.get("issue") == "1":
        return _give(form, people[0])
    return _code_page(form, people=people)


@bp.post("/manage/volunteers/<int:volunteer_id>/code")
@login_required
def give_code(volunteer_id: int):
    """Give one of my volunteers, standing here, a one-time code (404 for anyone else)."""
    volunteer = volunteer_or_404(current_user, volunteer_id)
    form = FindVolunteerForm()
    if not form.validate_on_submit():
        abort(400)
    return _give(form, volunteer)


def _give(form, volunteer: Volunteer):
    """Issue the code (or refuse a long-standing account's reset at station level)."""
    try:
        code = identity.give_setup_code(current_user, volunteer, now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
        return _code_page(form, volunteer=volunteer, status=error.status)
    return _code_page(form, volunteer=volunteer, code=code)


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
