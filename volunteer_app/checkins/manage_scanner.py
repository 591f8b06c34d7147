"""Scanner mode: the organizer's phone reads volunteers' personal QR cards.

The camera and decoding run in the browser (static/js/scanner.js: BarcodeDetector where
the browser has it, else the vendored jsQR). Browsers give the camera only to secure
pages: HTTPS, or localhost while developing. The page also takes a typed card code, so
it works without a camera. A team leader's scanner (teams/lead.py) is the same page and
the same post (``answer_scan``), within the leader's team.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_app.auth.scoping import activity_or_404
from volunteer_app.checkins import bp, offline, organizer, queued
from volunteer_app.checkins.forms import CardCodeForm
from volunteer_app.checkins.offline import QueuedRecord
from volunteer_app.checkins.organizer import CardScan
from volunteer_app.checkins.rules import Action
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.formatting import format_hours

#: Records a scan: (the card code read, now, whether an early check-out is confirmed) → what
#: it did.
Scan = Callable[[str, datetime, bool], CardScan]
#: Records a scan queued offline: (code, the phone's action, its scan time, now) → result.
QueuedScan = Callable[[str, Action, datetime | None, datetime], QueuedRecord]


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
    return answer_scan(
        url_for("checkins.scanner", activity_id=activity.id),
        lambda code, now, confirmed: organizer.scan_card(
            activity, current_user, code, now=now, confirmed=confirmed
        ),
        lambda code, action, scanned_at, now: offline.record_queued_scan(
            activity, current_user, code, action=action, scanned_at=scanned_at, now=now
        ),
        {"activity": activity},
    )


def answer_scan(back_url: str, scan: Scan, queued_scan: QueuedScan, page: dict):
    """Answer a scanner's post (``CardCodeForm``): record the scan (or the scan queued
    offline, with its time) and answer in JSON for the page's script, or flash and go
    back to ``back_url`` for the plain form. An early check-out not yet confirmed is asked
    first, on the scanner page (``page``: its template's values). The organizer's and the
    leader's scanners."""
    form = CardCodeForm()
    back = redirect(back_url)
    if not form.validate_on_submit():
        code, message = "empty", _("Please scan or enter a volunteer card code.")
        if form.action.errors or form.scanned_at.errors:
            code, message = "bad_scan", (form.action.errors + form.scanned_at.errors)[0]
        if queued.wants_json():
            return jsonify(ok=False, code=code, message=message), 400
        flash(message, "error")
        return back
    if form.action.data:
        action = Action(form.action.data)
        return queued.answer(
            lambda scanned_at, now: queued_scan(form.code.data, action, scanned_at, now),
            form.scanned_at.data,
        )
    try:
        result = scan(form.code.data, utcnow(), form.confirmed.data == "1")
    except DomainError as error:
        if queued.wants_json():
            return jsonify(ok=False, code=error.code, message=error.message), error.status
        flash(error.message, "error")
        return back
    name = result.volunteer.name
    if result.confirm_since is not None:
        return _ask_to_confirm(page, form, result)
    if result.action == Action.CHECK_IN:
        message = _("%(name)s: checked in", name=name)
    else:
        message = _(
            "%(name)s: checked out, %(hours)s h", name=name, hours=format_hours(result.minutes)
        )
    if result.over_capacity:
        message += " · " + _("Over capacity")
    if result.note:
        message += " · " + result.note
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


def _ask_to_confirm(page: dict, form: CardCodeForm, result: CardScan):
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
        "checkins/scanner.html", **page, form=CardCodeForm(formdata=None),
        confirm=form.code.data, question=question,
    ), 409  # fmt: skip
