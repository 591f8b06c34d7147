"""A team leader's orders (``/lead/needs``): the orders dispatched to a team they lead, to
take (接单, which makes the activity they then run as any led activity), to decline with a
reason (不方便接单) or to complete with a note (办结).

A leader is a volunteer signed in on their phone (``volunteer_required``). They reach only
the orders of teams they lead now (``scoping.led_need_or_404``: a 404 for any other) and
see what serving needs: the request, the address and the contact's name; the number is
masked, as everywhere but for the organizers handling the order.

Registered by ``create_app`` from ``BLUEPRINTS`` in volunteer_app/__init__.py.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _

from volunteer_app.auth.scoping import led_need_or_404, led_needs
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db
from volunteer_app.needs import rules, services
from volunteer_app.needs.forms import StepForm
from volunteer_app.needs.labels import STATUS_LABELS, STEP_LABELS
from volunteer_app.needs.models import Need
from volunteer_app.needs.rules import Role, Step
from volunteer_app.needs.services import Actor
from volunteer_app.volunteers.session import volunteer_required

needs_lead_bp = Blueprint("needs_lead", __name__, url_prefix="/lead/needs")

#: The steps a leader takes here.
LEADER_STEPS = (Step.TAKE, Step.DECLINE, Step.COMPLETE)


def _no_store(page, status: int = 200):
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@needs_lead_bp.get("")
@volunteer_required
def index():
    """The orders dispatched to the leader's teams, newest change first."""
    orders = list(
        db.session.scalars(led_needs(g.volunteer).order_by(Need.changed_at.desc()).limit(100))
    )
    return _no_store(
        render_template("needs/lead_index.html", orders=orders, status_labels=STATUS_LABELS)
    )


def _page(need: Need, form: StepForm, status: int = 200):
    steps = [s for s in rules.steps_from(need.status, Role.LEADER) if s in LEADER_STEPS]
    page = render_template(
        "needs/lead_detail.html",
        need=need,
        form=form,
        steps=steps,
        status_label=STATUS_LABELS[need.status],
        step_labels=STEP_LABELS,
        log=services.log_of(need),
    )
    return _no_store(page, status)


@needs_lead_bp.get("/<int:need_id>")
@volunteer_required
def detail(need_id: int):
    """An order dispatched to the leader's team: what is asked, where, and the next step."""
    return _page(led_need_or_404(g.volunteer, need_id), StepForm(formdata=None))


@needs_lead_bp.post("/<int:need_id>/steps/<step>")
@volunteer_required
def step(need_id: int, step: str):
    """Take, decline or complete the order, as the team's leader."""
    need = led_need_or_404(g.volunteer, need_id)
    try:
        chosen = Step(step)
    except ValueError:
        abort(404)
    if chosen not in LEADER_STEPS:
        abort(404)
    form = StepForm()
    if not form.validate_on_submit():
        return _page(need, form, status=400)
    try:
        need = services.take_step(
            need, chosen, Actor.team_leader(g.volunteer), note=form.note.data or "", now=utcnow()
        )
    except DomainError as error:
        form.note.errors = [error.message]
        return _page(need, form, status=error.status)
    flash(_("Done: %(step)s.", step=STEP_LABELS[chosen.value]), "success")
    if chosen == Step.DECLINE:
        return redirect(url_for("needs_lead.index"))
    return redirect(url_for("needs_lead.detail", need_id=need.id))
