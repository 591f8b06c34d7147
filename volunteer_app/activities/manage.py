"""Organizer pages that manage an activity: edit, status, duplicate, hours review, audit log.

Every handler loads the activity through ``activity_or_404`` (and a record through
``record_or_404``), so another station's ids end in a 404.
"""

from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..audit.models import AuditEntry
from ..auth.models import User
from ..auth.scoping import activity_or_404
from ..checkins import qr, review
from ..checkins.models import CheckIn, HoursOrigin, HoursStatus
from ..checkins.review_rules import hours_to_minutes
from ..checkins.rules import compute_minutes
from ..database import utcnow
from ..errors import DomainError
from ..extensions import db
from ..i18n import local_to_utc, utc_to_local
from ..volunteers.models import Volunteer
from . import bp, rules, services
from .forms import ActionForm, ActivityEditForm, AdjustHoursForm, DuplicateForm, StatusForm
from .models import Activity, ActivityStatus
from .routes import _fill_choices

STATUS_LABELS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "finished": _l("Finished"),
    "cancelled": _l("Cancelled"),
}

#: The button that moves an activity to each status.
TRANSITION_LABELS = {
    "published": _l("Publish"),
    "finished": _l("Mark as finished"),
    "draft": _l("Back to draft"),
    "cancelled": _l("Cancel activity"),
}

ORIGIN_LABELS = {
    HoursOrigin.SCAN.value: _l("Own scan"),
    HoursOrigin.ORGANIZER.value: _l("By organizer"),
}

HOURS_STATUS_LABELS = {
    HoursStatus.PENDING.value: _l("Pending"),
    HoursStatus.CONFIRMED.value: _l("Confirmed"),
}

AUDIT_LABELS = {
    "activity.status": _l("Status changed"),
    "checkin.close_at_end": _l("Closed at the end (no check-out)"),
    "hours.adjust": _l("Hours adjusted"),
    "hours.review_keep": _l("Hours kept after review"),
    "hours.confirm": _l("Hours confirmed"),
    "checkin.by_organizer": _l("Checked in by organizer"),
    "checkout.by_organizer": _l("Checked out by organizer"),
    "volunteer.walk_in": _l("Walk-in registered"),
}


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


def _minutes_text(minutes) -> str:
    return f"{Decimal(minutes) / 60:.1f}".rstrip("0").rstrip(".") if minutes is not None else "—"


def describe_change(entry: AuditEntry) -> str:
    """A short "old → new" text for an audit entry."""
    old, new = entry.old_value or {}, entry.new_value or {}
    if "status" in new and entry.action == "activity.status":
        return f"{STATUS_LABELS.get(old.get('status'), '—')} → {STATUS_LABELS[new['status']]}"
    if "minutes" in new and "minutes" in old:
        return _(
            "%(old)s h → %(new)s h",
            old=_minutes_text(old["minutes"]),
            new=_minutes_text(new["minutes"]),
        )
    if "minutes" in new:
        return _("%(new)s h", new=_minutes_text(new["minutes"]))
    return ""


def audit_rows(activity_id: int) -> list[tuple[AuditEntry, User | None, Volunteer | None]]:
    """The activity's audit log with who did it and whom it was about, newest first."""
    actor = aliased(User)
    stmt = (
        select(AuditEntry, actor, Volunteer)
        .outerjoin(actor, actor.id == AuditEntry.actor_user_id)
        .outerjoin(Volunteer, Volunteer.id == AuditEntry.volunteer_id)
        .where(AuditEntry.activity_id == activity_id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def _possible_targets(activity: Activity, checkin_count: int, now) -> list[str]:
    """The status buttons worth showing: those the rules would accept right now."""
    possible = []
    for target in rules.allowed_targets(activity.status.value):
        try:
            rules.validate_transition(
                activity.status.value,
                target,
                now=now,
                ends_at=activity.ends_at,
                checkin_count=checkin_count,
            )
        except rules.LifecycleError:
            continue
        possible.append(target)
    return possible


def detail_context(activity: Activity, records: list[CheckIn]) -> dict:
    """What the activity page's management sections need."""
    capacity = activity.capacity
    over = {r.id for i, r in enumerate(records) if capacity and i >= capacity}
    now = utcnow()
    counts = review.counts(activity.id)
    return {
        "status_labels": STATUS_LABELS,
        "transition_labels": TRANSITION_LABELS,
        "targets": _possible_targets(activity, len(records), now),
        "origin_labels": ORIGIN_LABELS,
        "hours_status_labels": HOURS_STATUS_LABELS,
        "audit_labels": AUDIT_LABELS,
        "audit": audit_rows(activity.id),
        "describe_change": describe_change,
        "over_capacity_ids": over,
        "is_full": bool(capacity) and len(records) >= capacity,
        "not_checked_out": [r for r in records if r.checked_out_at is None or r.needs_review],
        "hours_counts": counts,
        "has_ended": now >= activity.ends_at,
        "editable": activity.status.value not in (rules.FINISHED, rules.CANCELLED),
        "action_form": ActionForm(),
    }


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
                title=form.title.data,
                category_id=form.category_id.data,
                unit_id=form.unit_id.data,
                place=form.place.data,
                starts_at=local_to_utc(form.starts_at.data),
                ends_at=local_to_utc(form.ends_at.data),
                capacity=form.capacity.data,
                description=form.description.data or "",
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
    from .routes import checkin_url

    activity = activity_or_404(current_user, activity_id)
    url = checkin_url(activity)
    return render_template("activities/poster.html", activity=activity, qr_svg=qr.render_svg(url))
