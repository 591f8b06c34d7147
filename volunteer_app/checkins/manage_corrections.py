"""The organizer's answers to volunteers' correction requests (Art. 13 of the national rule)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.auth.scoping import correction_or_404
from volunteer_app.checkins import bp, corrections
from volunteer_app.checkins.forms import CorrectionDecisionForm
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.formatting import mask_phone


@bp.get("/manage/corrections")
@login_required
def corrections_index():
    """Correction requests for the organizer's stations: open ones first, then answered."""
    open_, decided = corrections.for_organizer(current_user)
    return render_template("checkins/corrections.html", open_=open_, decided=decided)


@bp.route("/manage/corrections/<int:correction_id>", methods=["GET", "POST"])
@login_required
def correction_decide(correction_id: int):
    """Accept a correction with the right times, or decline it with a reason."""
    correction = correction_or_404(current_user, correction_id)
    record = correction.record
    form = CorrectionDecisionForm()
    if request.method == "GET":
        form.checked_in_at.data = correction.proposed_in_at or record.checked_in_at
        form.checked_out_at.data = correction.proposed_out_at or record.checked_out_at
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
                    checked_in_at=form.checked_in_at.data,
                    checked_out_at=form.checked_out_at.data,
                    reason=form.reason.data or "",
                    now=now,
                )
                message = _("Correction accepted; the hours have been updated.")
            else:
                corrections.decline(correction, current_user, reason=form.reason.data, now=now)
                message = _("Correction declined; the volunteer will see your reason.")
        except DomainError as error:
            form.form_errors.append(error.message)
            status = error.status
            correction = correction_or_404(current_user, correction_id)
        else:
            flash(message, "success")
            return redirect(url_for("checkins.corrections_index"))
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "checkins/correction_decide.html",
            form=form,
            correction=correction,
            record=correction.record,
            masked=mask_phone(correction.record.volunteer.phone),
        ),
        status,
    )
