"""Hours over the API: list, close open check-ins, adjust or keep one record, confirm all.

The same services as the organizer's pages (``checkins.review``): the rules, the audit
entries and the messages are theirs. This module only adds what an API needs: status codes
and harmless repeats.
"""

from __future__ import annotations

from flask import g, jsonify, request
from flask_babel import gettext as _

from volunteer_app.activities.models import Activity
from volunteer_app.api import bp, queries
from volunteer_app.api.routes import _body, _paging, _record_out
from volunteer_app.api.schemas import (
    CloseResult,
    Confirmation,
    ConfirmResult,
    HoursAdjustment,
    HoursOut,
    HoursPage,
    HoursResult,
    HoursSummary,
)
from volunteer_app.auth.scoping import activity_or_404, record_or_404
from volunteer_app.checkins import review, review_rules
from volunteer_app.checkins.models import CheckIn, HoursOrigin
from volunteer_app.checkins.review_rules import HoursError, hours_to_minutes
from volunteer_app.database import utcnow

#: Refusals about the values sent (422) rather than about the activity's state (409).
INPUT_CODES = {"hours_invalid", "hours_exceed_duration", "reason_required", "reason_too_long"}


def _refuse(error: HoursError):
    """Re-raise a review refusal with the status an API client expects."""
    if error.code in INPUT_CODES:
        raise HoursError(error.code, status=422) from None
    raise error


def _hours_out(record: CheckIn, model=HoursOut, **extra) -> dict:
    return _record_out(record, record.volunteer, model, needs_review=record.needs_review, **extra)


@bp.get("/activities/<int:activity_id>/hours")
def list_hours(activity_id: int):
    """An activity's records with their hours and review marks, in arrival order."""
    activity = activity_or_404(g.api_user, activity_id)
    paging = _paging()
    rows, total = queries.checkins(activity.id, paging)
    counts = review.counts(activity.id)
    return jsonify(
        HoursPage(
            items=[_hours_out(r) for r in rows],
            total=total,
            page=paging.page,
            per_page=paging.per_page,
            summary=HoursSummary(
                open=counts["open"], needs_review=counts["review"], pending=counts["pending"]
            ),
        ).model_dump(mode="json")
    )


@bp.post("/activities/<int:activity_id>/hours/<int:checkin_id>")
def adjust_hours(activity_id: int, checkin_id: int):
    """Set one record's hours with a reason (``review.adjust_hours``, audited)."""
    activity = activity_or_404(g.api_user, activity_id)
    record = record_or_404(activity, checkin_id)
    body = _body(HoursAdjustment)
    try:
        minutes = hours_to_minutes(body.hours)
    except HoursError as error:
        _refuse(error)
    if review_rules.is_repeat_adjustment(
        minutes=record.minutes,
        new_minutes=minutes,
        by_organizer=record.origin == HoursOrigin.ORGANIZER,
        needs_review=record.needs_review,
        checked_out=record.checked_out_at is not None,
    ):
        return jsonify(_hours_out(record, HoursResult, changed=False))
    try:
        review.adjust_hours(record, g.api_user, minutes=minutes, reason=body.reason, now=utcnow())
    except HoursError as error:
        _refuse(error)
    return jsonify(_hours_out(record, HoursResult, changed=True))


@bp.post("/activities/<int:activity_id>/hours/<int:checkin_id>/keep")
def keep_hours(activity_id: int, checkin_id: int):
    """Clear a record's review mark keeping its hours (``review.keep_hours``, audited)."""
    activity = activity_or_404(g.api_user, activity_id)
    record = record_or_404(activity, checkin_id)
    if request.get_data():
        _body(Confirmation)
    if review_rules.is_repeat_keep(
        needs_review=record.needs_review, checked_out=record.checked_out_at is not None
    ):
        return jsonify(_hours_out(record, HoursResult, changed=False))
    try:
        changed = review.keep_hours(record, g.api_user, now=utcnow())
    except HoursError as error:
        _refuse(error)
    return jsonify(_hours_out(record, HoursResult, changed=changed))


@bp.post("/activities/<int:activity_id>/hours/close")
def close_open(activity_id: int):
    """Close the open check-ins at the end time, 0 h and marked for review (audited).

    A repeat closes nothing more and answers ``closed: 0``.
    """
    activity = activity_or_404(g.api_user, activity_id)
    if request.get_data():
        _body(Confirmation)
    try:
        closed = review.close_open_checkins(activity, utcnow(), actor=g.api_user)
    except HoursError as error:
        _refuse(error)
    return jsonify(
        CloseResult(
            activity_id=activity.id,
            closed=len(closed),
            message=_("%(num)d open check-ins closed and marked for review.", num=len(closed)),
        ).model_dump(mode="json")
    )


@bp.post("/activities/<int:activity_id>/hours/confirm")
def confirm_hours(activity_id: int):
    """Confirm all pending hours (``review.confirm_hours``); a repeat answers 200, already."""
    activity = activity_or_404(g.api_user, activity_id)
    if request.get_data():
        _body(Confirmation)
    try:
        confirmed = review.confirm_hours(activity, g.api_user, now=utcnow())
    except HoursError as error:
        if error.code != "nothing_to_confirm" or not queries.record_count(activity.id):
            _refuse(error)
        return jsonify(_confirm_out(activity, 0, already=True))
    return jsonify(_confirm_out(activity, confirmed, already=False))


def _confirm_out(activity: Activity, confirmed: int, *, already: bool) -> dict:
    if already:
        message = _("These hours were already confirmed. Nothing changed.")
    else:
        message = _("Hours of %(num)d volunteers confirmed.", num=confirmed)
    return ConfirmResult(
        activity_id=activity.id,
        status=activity.status.value,
        confirmed=confirmed,
        already=already,
        message=message,
    ).model_dump(mode="json")
