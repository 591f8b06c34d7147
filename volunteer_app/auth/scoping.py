"""Scoping: which units, and so which activities, an organizer may see and change.

Every organizer query goes through here, so "another station's id in the URL" ends
in a 404 and never in someone else's data.
"""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, or_, select

from ..activities.models import Activity
from ..extensions import db
from ..stations.models import Unit
from .models import Role, User


def visible_unit_ids(user: User) -> Select:
    """A SELECT of the ids of the units ``user`` manages (own unit and those below it)."""
    if user.role == Role.DISTRICT_ADMIN:
        return select(Unit.id)
    if user.role == Role.CENTRE_ORGANIZER:
        return select(Unit.id).where(or_(Unit.id == user.unit_id, Unit.parent_id == user.unit_id))
    return select(Unit.id).where(Unit.id == user.unit_id)


def visible_units(user: User) -> list[Unit]:
    """The units ``user`` may hold activities for, by name."""
    return list(
        db.session.scalars(
            select(Unit).where(Unit.id.in_(visible_unit_ids(user))).order_by(Unit.level, Unit.name)
        )
    )


def scoped_activities(user: User) -> Select:
    """A SELECT of the activities ``user`` may see."""
    return select(Activity).where(Activity.unit_id.in_(visible_unit_ids(user)))


def activity_or_404(user: User, activity_id: int) -> Activity:
    """The activity if ``user`` may see it; 404 otherwise (never 403: ids are not confirmed)."""
    activity = db.session.scalar(scoped_activities(user).where(Activity.id == activity_id))
    if activity is None:
        abort(404)
    return activity
