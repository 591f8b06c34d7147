"""Scoping: which units, and so which activities, an organizer may see and change.

Every organizer query goes through here, so "another station's id in the URL" ends
in a 404 and never in someone else's data.
"""

from __future__ import annotations

from functools import lru_cache

from flask import abort
from sqlalchemy import Select, bindparam, or_, select

from ..activities.models import Activity
from ..extensions import db
from ..stations.models import Unit
from .models import Role, User


def visible_unit_ids(user: User) -> Select:
    """A SELECT of the ids of the units ``user`` manages (own unit and those below it)."""
    statement = _visible_unit_ids(user.role)
    if user.role == Role.DISTRICT_ADMIN:
        return statement
    return statement.params(scope_unit_id=user.unit_id)


@lru_cache(maxsize=8)
def _visible_unit_ids(role: Role) -> Select:
    """The units a role manages, relative to the user's unit (``:scope_unit_id``).

    The one definition of scope; built once per role, the unit bound when it runs.
    """
    unit_id = bindparam("scope_unit_id")
    if role == Role.DISTRICT_ADMIN:
        return select(Unit.id)
    if role == Role.CENTRE_ORGANIZER:
        return select(Unit.id).where(or_(Unit.id == unit_id, Unit.parent_id == unit_id))
    return select(Unit.id).where(Unit.id == unit_id)


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
    activity = db.session.scalar(
        _scoped_activity(user.role), {"scope_unit_id": user.unit_id, "activity_id": activity_id}
    )
    if activity is None:
        abort(404)
    return activity


@lru_cache(maxsize=8)
def _scoped_activity(role: Role) -> Select:
    """One activity by id within a role's scope, built once per role (every check-in by an
    organizer, and every organizer page of an activity, runs it)."""
    return select(Activity).where(
        Activity.unit_id.in_(_visible_unit_ids(role)), Activity.id == bindparam("activity_id")
    )
