"""The deadlines of residents' orders (``/needs/deadlines``): how long a unit has to review
a new order (受理), to dispatch an accepted one (派单), and how long a team has to take it
(接单) — the hours after which the queue flags an order overdue.

No national value exists, so each centre (所) sets its own, or the district sets one for
the centres that set none; a station follows its centre's (only centres and the district
hold a policy: ``rules.POLICY_LEVELS``). Every organizer sees the deadlines governing each
of their units and where they come from; the organizers of a centre or of the district set
them, or reset them to the level above's, for the centres and district in their scope.
Units are reached through ``scoping.unit_or_404``: another centre's is "not found".
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from volunteer_app.audit.labels import NEED_POLICY_AUDIT_LABELS
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import unit_or_404, visible_unit_ids
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.forms import ActionForm, show_errors
from volunteer_app.needs import bp, rules, services
from volunteer_app.needs.forms import DeadlinesForm
from volunteer_app.stations.manage import LEVEL_LABELS
from volunteer_app.stations.models import Unit, UnitLevel

#: The page lists the district first, then the centres, then the stations.
_LEVEL_ORDER = {UnitLevel.DISTRICT: 0, UnitLevel.CENTRE: 1, UnitLevel.STATION: 2}


def _may_hold(unit: Unit) -> bool:
    """Whether ``unit`` may hold deadlines of its own (a centre or the district)."""
    return unit.level.value in rules.POLICY_LEVELS


def _settable_or_404(user: User, unit_id: int) -> Unit:
    """A centre or district the user manages, whose deadlines they may set; 404 otherwise
    (a station's, or a unit they do not manage)."""
    unit = unit_or_404(user, unit_id)
    if not _may_hold(unit):
        abort(404)
    return unit


@bp.get("/needs/deadlines")
@login_required
def deadlines():
    """The deadlines governing each of the organizer's units, and where they come from."""
    units = sorted(
        db.session.scalars(select(Unit).where(Unit.id.in_(visible_unit_ids(current_user)))),
        key=lambda u: (_LEVEL_ORDER[u.level], u.name),
    )
    governing = services.governing_policies(units)
    return render_template(
        "needs/deadlines.html",
        units=units,
        governing=governing,
        may_hold=_may_hold,
        settable=any(_may_hold(u) for u in units),
        level_labels=LEVEL_LABELS,
        max_hours=rules.POLICY_MAX_HOURS,
    )


def _edit_page(unit: Unit, form: DeadlinesForm | None = None, *, status: int = 200):
    """The form for a unit's own deadlines, with what it would follow without them."""
    current = services.governing_policies([unit])[unit.id]
    inherited = services.governing_policies([unit], skip_own=True)[unit.id]
    if form is None:
        form = DeadlinesForm(
            formdata=None,
            **{name: str(getattr(current.policy, name)) for name in rules.POLICY_FIELDS},
        )
    own = current.policy if current.source is not None and current.source.id == unit.id else None
    page = render_template(
        "needs/deadlines_edit.html",
        unit=unit,
        form=form,
        reset_form=ActionForm(formdata=None),
        own=own,
        inherited=inherited,
        history=services.policy_history(unit.id),
        audit_labels=NEED_POLICY_AUDIT_LABELS,
        level_labels=LEVEL_LABELS,
        max_hours=rules.POLICY_MAX_HOURS,
    )
    return page, status


@bp.get("/needs/deadlines/<int:unit_id>")
@login_required
def deadlines_edit(unit_id: int):
    """The form for a centre's or the district's own deadlines."""
    return _edit_page(_settable_or_404(current_user, unit_id))


@bp.post("/needs/deadlines/<int:unit_id>")
@login_required
def deadlines_save(unit_id: int):
    """Save a centre's or the district's deadlines; every field's problem shown at once."""
    unit = _settable_or_404(current_user, unit_id)
    form = DeadlinesForm()
    if not form.validate_on_submit():
        return _edit_page(unit, form, status=400)
    try:
        hours = rules.validate_policy(
            respond_hours=form.respond_hours.data,
            dispatch_hours=form.dispatch_hours.data,
            take_hours=form.take_hours.data,
        )
        services.set_policy(unit, hours, user=current_user, now=utcnow())
    except DomainError as error:
        show_errors(form, error.problems or {"respond_hours": error}, {})
        return _edit_page(unit, form, status=error.status)
    flash(_("The deadlines of %(unit)s were saved.", unit=unit.name), "success")
    return redirect(url_for("needs.deadlines"))


@bp.post("/needs/deadlines/<int:unit_id>/reset")
@login_required
def deadlines_reset(unit_id: int):
    """Delete the unit's own deadlines: it follows the level above (or the defaults)."""
    unit = _settable_or_404(current_user, unit_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _edit_page(unit, status=400)
    if services.reset_policy(unit, user=current_user, now=utcnow()):
        flash(_("%(unit)s follows the level above's deadlines again.", unit=unit.name), "success")
    return redirect(url_for("needs.deadlines"))
