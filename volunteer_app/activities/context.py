"""What the activity page's management sections show: status buttons, flags, audit log."""

from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from volunteer_app.activities import rules, signups
from volunteer_app.activities.labels import (
    ACTIVITY_FIELD_LABELS,
    AUDIT_LABELS,
    AUDIT_REASON_ACTIONS,
    HOURS_STATUS_LABELS,
    ORIGIN_LABELS,
    STATUS_LABELS,
    TRANSITION_LABELS,
)
from volunteer_app.activities.models import Activity, Category
from volunteer_app.audit.labels import team_name
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import User
from volunteer_app.checkins import review, voids
from volunteer_app.checkins.models import CheckIn
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.formatting import format_hours
from volunteer_app.stations.models import Unit
from volunteer_app.teams.models import Team
from volunteer_app.volunteers.models import Volunteer

#: Longest value of a changed field the change log shows (the description can be long).
VALUE_SHOWN = 40


def _minutes_text(minutes: int | None) -> str:
    return format_hours(minutes) if minutes is not None else "—"


def _field_value(name: str, value) -> str:
    """One field's value of an activity's audit entry, as people read it."""
    if value is None or value == "":
        return "—"
    if name in ("starts_at", "ends_at"):
        return format_datetime(datetime.fromisoformat(value), "yyyy-MM-dd HH:mm")
    if name == "category_id":
        category = db.session.get(Category, value)
        return category.display_name(str(get_locale())) if category else str(value)
    if name == "unit_id":
        unit = db.session.get(Unit, value)
        return unit.name if unit else str(value)
    if name == "team_id":
        team = db.session.get(Team, value)
        return team.name if team else str(value)
    if name in ("allow_static_code", "members_only"):
        return _("Yes") if value else _("No")
    text = str(value)
    return text if len(text) <= VALUE_SHOWN else text[: VALUE_SHOWN - 1] + "…"


def _describe_edit(old: dict, new: dict) -> str:
    """ "Field: old → new" for each field an activity edit changed."""
    return _("; ").join(
        _(
            "%(field)s: %(old)s → %(new)s",
            field=ACTIVITY_FIELD_LABELS.get(name, name),
            old=_field_value(name, old.get(name)),
            new=_field_value(name, new[name]),
        )
        for name in new
    )


def describe_change(entry: AuditEntry) -> str:
    """A short "old → new" text for an audit entry."""
    old, new = entry.old_value or {}, entry.new_value or {}
    if entry.action == "activity.update":
        return _describe_edit(old, new)
    if entry.action.startswith("team."):
        return team_name(entry)  # the label says what happened, this names the team
    if entry.action == "activity.create":
        if new.get("copied_from"):
            return _("copy of activity no. %(id)s", id=new["copied_from"])
        return ""
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


def audit_reason(entry: AuditEntry) -> str:
    """The typed reason an entry shows: its text, or "erased" once the volunteer deleted
    their account (the text lived in the entry's personal values, see audit/models.py)."""
    if entry.action not in AUDIT_REASON_ACTIONS:
        return ""
    text = entry.personal_value("reason")
    return _("Account deleted") if text is None else text


def audit_rows(
    activity_id: int,
) -> list[tuple[AuditEntry, User | None, Volunteer | None, Volunteer | None]]:
    """The activity's audit log, newest first: each entry with the organizer who did it, the
    volunteer it was about, and the volunteer who did it (a team leader, a volunteer's own
    request)."""
    actor = aliased(User)
    actor_volunteer = aliased(Volunteer)
    stmt = (
        select(AuditEntry, actor, Volunteer, actor_volunteer)
        .outerjoin(actor, actor.id == AuditEntry.actor_user_id)
        .outerjoin(Volunteer, Volunteer.id == AuditEntry.volunteer_id)
        .outerjoin(actor_volunteer, actor_volunteer.id == AuditEntry.actor_volunteer_id)
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
        "signups": signups.for_activity(activity.id),
        "describe_change": describe_change,
        "audit_reason": audit_reason,
        "over_capacity_ids": over,
        "is_full": bool(capacity) and len(records) >= capacity,
        "not_checked_out": [r for r in records if r.checked_out_at is None or r.needs_review],
        "hours_counts": counts,
        "reconfirm_ids": review.awaiting_reconfirmation(activity.id),
        "voided": voids.voided_records(activity.id),
        "has_ended": now >= activity.ends_at,
        "editable": activity.status.value not in (rules.FINISHED, rules.CANCELLED),
    }
