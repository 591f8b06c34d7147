"""Scanner mode: the organizer's phone reads volunteers' personal QR cards.

The camera and decoding run in the browser (static/js/scanner.js: BarcodeDetector where
the browser has it, else the vendored jsQR). Browsers give the camera only to secure
pages: HTTPS, or localhost while developing. The page also takes a typed card code, so
it works without a camera.
"""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.auth.scoping import activity_or_404
from volunteer_app.checkins import bp, offline, organizer, queued
from volunteer_app.checkins.forms import CardCodeForm
from volunteer_app.checkins.rules import Action
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.formatting import format_hours


@bp.get("/activities/<int:activity_id>/scanner")
@login_required
def scanner(activity_id: int):
    """The organizer's scanner page (camera, or a typed card code)."""
    activity = activity_or_404(current_user, activity_id)
    return render_template("checkins/scanner.html", activity=activity, form=CardCodeForm())


@bp.post("/activities/<int:activity_id>/scanner")
@login_required
def scan_card(activity_id: int):
    """Check in (or out) the volunteer whose card was scanned; JSON for the page's script."""
    activity = activity_or_404(current_user, activity_id)
    form = CardCodeForm()
    back = redirect(url_for("checkins.scanner", activity_id=activity.id))
    if not form.validate_on_submit():
        code, message = "empty", _("Please scan or enter a volunteer card code.")
        if form.action.errors or form.scanned_at.errors:
            code, message = "bad_scan", (form.action.errors + form.scanned_at.errors)[0]
        if queued.wants_json():
            return jsonify(ok=False, code=code, message=message), 400
        flash(message, "error")
        return back
    if form.action.data:
        return _queued_scan(activity, form)
    try:
        result = organizer.scan_card(
            activity,
            current_user,
            form.code.data,
            now=utcnow(),
            confirmed=form.confirmed.data == "1",
        )
    except DomainError as error:
        if queued.wants_json():
            return jsonify(ok=False, code=error.code, message=error.message), error.status
        flash(error.message, "error")
        return back
    name = result.volunteer.name
    if result.confirm_since is not None:
        return _ask_to_confirm(activity, form, result)
    if result.action == Action.CHECK_IN:
        message = _("%(name)s: checked in", name=name)
    else:
        message = _(
            "%(name)s: checked out, %(hours)s h", name=name, hours=format_hours(result.minutes)
        )
    if result.over_capacity:
        message += " · " + _("Over capacity")
    if queued.wants_json():
        return jsonify(
            ok=True,
            action=result.action.value,
            name=name,
            over_capacity=result.over_capacity,
            message=message,
        )
    flash(message, "success")
    return back


def _ask_to_confirm(activity, form: CardCodeForm, result: organizer.CardScan):
    """Ask before a check-out that credits less than the first hours step: JSON for the
    page's script (which asks, then sends the scan again confirmed), else a page whose
    button sends it confirmed."""
    question = _(
        "Check out %(name)s? Checked in at %(time)s: checking out now credits 0 h.",
        name=result.volunteer.name,
        time=format_time(result.confirm_since, "HH:mm"),
    )
    if queued.wants_json():
        return jsonify(
            ok=False, code="confirm_checkout", confirm=True, name=result.volunteer.name,
            message=question,
        ), 409  # fmt: skip
    return render_template(
        "checkins/scanner.html", activity=activity, form=CardCodeForm(formdata=None),
        confirm=form.code.data, question=question,
    ), 409  # fmt: skip


def _queued_scan(activity, form: CardCodeForm):
    """Record a scan the page queued while offline, at its (plausible) scan time; JSON."""
    return queued.answer(
        lambda scanned_at, now: offline.record_queued_scan(
            activity,
            current_user,
            form.code.data,
            action=Action(form.action.data),
            scanned_at=scanned_at,
            now=now,
        ),
        form.scanned_at.data,
    )
