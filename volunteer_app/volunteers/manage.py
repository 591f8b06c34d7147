"""Organizer actions of the volunteers area: one-time codes given in person, star preset."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..activities.models import Activity
from ..auth.models import Role
from ..auth.scoping import visible_unit_ids
from ..checkins.models import CheckIn
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..i18n import local_to_utc, utc_to_local
from . import bp, corrections, identity, records, stars
from .forms import CorrectionDecisionForm, FindVolunteerForm, StarPresetForm
from .models import Volunteer
from .rules import mask_phone, normalize_phone


def served_volunteer_or_none(user, phone: str) -> Volunteer | None:
    """The volunteer with this number if they have served at one of ``user``'s units."""
    served = (
        select(CheckIn.volunteer_id)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(Activity.unit_id.in_(visible_unit_ids(user)))
    )
    return db.session.scalar(
        select(Volunteer).where(Volunteer.phone == phone, Volunteer.id.in_(served))
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
            db.session.commit()
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
def star_settings():
    """The district admin picks the star thresholds (national default or a local preset)."""
    if current_user.role != Role.DISTRICT_ADMIN:
        abort(403)
    form = StarPresetForm()
    form.preset.choices = [
        (key, f"{stars.PRESET_LABELS[key]} ({' / '.join(str(h) for h in hours)} h)")
        for key, hours in stars.PRESETS.items()
    ]
    if request.method == "GET":
        form.preset.data = records.star_preset()
    if form.validate_on_submit():
        records.set_star_preset(form.preset.data, user_id=current_user.id, now=utcnow())
        db.session.commit()
        flash(_("Star thresholds saved."), "success")
        return redirect(url_for("volunteers.star_settings"))
    status = 400 if request.method == "POST" else 200
    return render_template("volunteers/manage_stars.html", form=form), status


def _local_naive(moment):
    return utc_to_local(moment).replace(tzinfo=None) if moment else None


@bp.get("/manage/corrections")
@login_required
def corrections_index():
    """Correction requests for the organizer's stations: open ones first, then answered."""
    open_, decided = corrections.for_organizer(current_user)
    return render_template("volunteers/manage_corrections.html", open_=open_, decided=decided)


@bp.route("/manage/corrections/<int:correction_id>", methods=["GET", "POST"])
@login_required
def correction_decide(correction_id: int):
    """Accept a correction with the right times, or decline it with a reason."""
    correction = corrections.correction_or_404(current_user, correction_id)
    record = correction.record
    form = CorrectionDecisionForm()
    if request.method == "GET":
        form.checked_in_at.data = _local_naive(correction.proposed_in_at or record.checked_in_at)
        form.checked_out_at.data = _local_naive(correction.proposed_out_at or record.checked_out_at)
    status = 200
    if form.validate_on_submit():
        now = utcnow()
        try:
            if form.decision.data == "accept":
                if not (form.checked_in_at.data and form.checked_out_at.data):
                    raise corrections.CorrectionError("times_invalid")
                corrections.accept(
                    correction,
                    current_user,
                    checked_in_at=local_to_utc(form.checked_in_at.data),
                    checked_out_at=local_to_utc(form.checked_out_at.data),
                    reason=form.reason.data or "",
                    now=now,
                )
                message = _("Correction accepted; the hours have been updated.")
            else:
                corrections.decline(correction, current_user, reason=form.reason.data, now=now)
                message = _("Correction declined; the volunteer will see your reason.")
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            form.form_errors.append(error.message)
            status = error.status
            correction = corrections.correction_or_404(current_user, correction_id)
        else:
            flash(message, "success")
            return redirect(url_for("volunteers.corrections_index"))
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "volunteers/manage_correction.html",
            form=form,
            correction=correction,
            record=correction.record,
            masked=mask_phone(correction.record.volunteer.phone),
        ),
        status,
    )
