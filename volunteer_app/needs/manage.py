"""The station's queue of residents' orders (``/needs/queue``) and an order's page for the
organizers handling it (``/needs/<id>``): review (accept, reject, pass up), dispatch to a
team with a deadline, and, for a team without a leader on hand, take, decline or complete
it on its behalf.

Orders are reached through ``scoping.need_or_404``: held at, or placed at, one of the
organizer's units; only the organizers of the unit holding it now act on it
(``scoping.handles_need``), the others see its page read-only. The contact's full number and
the exact address are shown here, to the organizers handling it, and nowhere public.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from volunteer_app import lan, qr
from volunteer_app.auth.scoping import (
    handles_need,
    need_or_404,
    scoped_needs,
    scoped_teams,
    unit_or_404,
)
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.links import public_url
from volunteer_app.needs import bp, rules, services
from volunteer_app.needs.forms import DispatchForm, StepForm
from volunteer_app.needs.labels import STATUS_LABELS, STEP_LABELS
from volunteer_app.needs.models import Need, NeedPolicy, NeedStatus
from volunteer_app.needs.rules import Role, Step
from volunteer_app.needs.services import Actor
from volunteer_app.params import parse_id
from volunteer_app.teams.models import Team

#: The queue's tabs: what waits on the station, what is with a team, what has ended.
TABS = {
    "waiting": (NeedStatus.SUBMITTED, NeedStatus.ESCALATED, NeedStatus.ACCEPTED),
    "teams": (NeedStatus.DISPATCHED, NeedStatus.TAKEN, NeedStatus.IN_SERVICE),
    "done": (NeedStatus.COMPLETED, NeedStatus.RATED, NeedStatus.REJECTED, NeedStatus.WITHDRAWN),
}
#: Steps an organizer takes with the step form (dispatch has its own).
NOTE_STEPS = (Step.ACCEPT, Step.REJECT, Step.ESCALATE, Step.TAKE, Step.DECLINE, Step.COMPLETE)


def policy_for(unit_id: int) -> NeedPolicy:
    """The deadlines governing orders held at ``unit_id``: its centre's, or the district's,
    or the defaults (no national value exists; ``services.governing_policy``)."""
    return services.governing_policy(unit_id).policy


def due_of(need: Need, policies: dict[int, NeedPolicy] | None = None):
    """When the order's current wait is due (``rules.compute_due``); ``policies`` keeps the
    policy of each unit met, so a queue reads each unit's once, not once per order."""
    if policies is None:
        policies = {}
    if need.unit_id not in policies:
        policies[need.unit_id] = policy_for(need.unit_id)
    policy = policies[need.unit_id]
    return rules.compute_due(
        need.status,
        changed_at=need.changed_at,
        take_by=need.take_by,
        respond_hours=policy.respond_hours,
        dispatch_hours=policy.dispatch_hours,
    )


@bp.get("/needs/queue")
@login_required
def queue():
    """The orders of the organizer's units, by tab, oldest waiting first; overdue flagged."""
    tab = request.args.get("tab", "waiting")
    if tab not in TABS:
        tab = "waiting"
    now = utcnow()
    orders = list(
        db.session.scalars(
            scoped_needs(current_user)
            .where(Need.status.in_(TABS[tab]))
            .order_by(Need.changed_at)
            .limit(200)
        )
    )
    policies: dict[int, NeedPolicy] = {}
    rows = [(n, due_of(n, policies)) for n in orders]
    counts = {
        name: db.session.scalar(
            select(func.count()).select_from(
                scoped_needs(current_user).where(Need.status.in_(statuses)).subquery()
            )
        )
        for name, statuses in TABS.items()
    }
    overdue = sum(1 for _n, due in rows if rules.is_overdue(due, now=now))
    return render_template(
        "needs/queue.html",
        tab=tab,
        rows=rows,
        counts=counts,
        overdue=overdue,
        now=now,
        is_overdue=rules.is_overdue,
        status_labels=STATUS_LABELS,
    )


def _page(need: Need, *, step_form=None, dispatch_form=None, status: int = 200):
    """The order's page for an organizer, with the steps they may take now."""
    acting = handles_need(current_user, need)
    steps = rules.steps_from(need.status, Role.ORGANIZER) if acting else []
    dispatch_form = dispatch_form or DispatchForm(
        formdata=None, hours=policy_for(need.unit_id).take_hours
    )
    teams = list(
        db.session.scalars(
            scoped_teams(current_user).where(Team.disabled_at.is_(None)).order_by(Team.name)
        )
    )
    dispatch_form.team.choices = [(t.id, f"{t.name}（{t.unit.name}）") for t in teams]
    if dispatch_form.team.data is None and need.menu_item is not None:
        dispatch_form.team.data = need.menu_item.team_id  # the menu's provider, preselected
    page = render_template(
        "needs/detail.html",
        need=need,
        log=services.log_of(need),
        status_label=STATUS_LABELS[need.status],
        step_labels=STEP_LABELS,
        steps=[s for s in steps if s in NOTE_STEPS],
        can_dispatch=Step.DISPATCH in steps,
        step_form=step_form or StepForm(formdata=None),
        dispatch_form=dispatch_form,
        due=due_of(need),
        now=utcnow(),
        is_overdue=rules.is_overdue,
    )
    return page, status


@bp.get("/needs/<int:need_id>")
@login_required
def detail(need_id: int):
    """An order's page: the resident's request and contact, its log and the next steps."""
    return _page(need_or_404(current_user, need_id))


@bp.post("/needs/<int:need_id>/steps/<step>")
@login_required
def step(need_id: int, step: str):
    """Take one step on the order as its organizer (accept, reject, pass up, take, …)."""
    need = need_or_404(current_user, need_id)
    try:
        chosen = Step(step)
    except ValueError:
        abort(404)
    if chosen not in NOTE_STEPS or not handles_need(current_user, need):
        abort(404)
    form = StepForm()
    if not form.validate_on_submit():
        return _page(need, step_form=form, status=400)
    try:
        services.take_step(
            need, chosen, Actor.organizer(current_user), note=form.note.data or "", now=utcnow()
        )
    except DomainError as error:
        form.note.errors = [error.message]
        return _page(need, step_form=form, status=error.status)
    flash(_("Done: %(step)s.", step=STEP_LABELS[chosen.value]), "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.post("/needs/<int:need_id>/dispatch")
@login_required
def dispatch(need_id: int):
    """派单: send the order to one of the organizer's teams, with the hours to take it."""
    need = need_or_404(current_user, need_id)
    if not handles_need(current_user, need):
        abort(404)
    form = DispatchForm()
    form.team.choices = []
    if not form.validate_on_submit():
        return _page(need, dispatch_form=form, status=400)
    team_id = parse_id(str(form.team.data)) if form.team.data is not None else None
    team = db.session.scalar(
        scoped_teams(current_user).where(Team.id == team_id, Team.disabled_at.is_(None))
    )
    now = utcnow()
    try:
        services.take_step(
            need,
            Step.DISPATCH,
            Actor.organizer(current_user),
            team=team,
            take_by=now + timedelta(hours=form.hours.data),
            note=form.note.data or "",
            now=now,
        )
    except DomainError as error:
        form.team.errors = [error.message]
        return _page(need, dispatch_form=form, status=error.status)
    flash(_("Dispatched to %(team)s.", team=team.name), "success")
    return redirect(url_for("needs.detail", need_id=need.id))


@bp.get("/needs/poster")
@login_required
def poster():
    """A station's printable "扫码点单" poster: the order form's QR code, the station chosen."""
    unit_id = parse_id(request.args.get("unit"))
    unit = unit_or_404(current_user, unit_id) if unit_id or not request.args.get("unit") else None
    if unit is None:
        abort(404)
    url = public_url("needs.new", station=unit.id)
    page = render_template(
        "needs/poster.html",
        unit=unit,
        order_url=url,
        qr_svg=qr.render_svg(url),
        host_warning=lan.host_warning(url, request.url),
    )
    return page
