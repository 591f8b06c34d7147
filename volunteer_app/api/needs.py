"""Residents' orders over the API: the organizer's queue, one order with its log, and the
steps an organizer takes on it, with the rules of the pages (needs/manage.py)."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, g, jsonify, request
from sqlalchemy import func, select

from volunteer_app.api import bp
from volunteer_app.api.routes import ApiRequestError, _body, _page, _paging
from volunteer_app.api.schemas import NeedDetailOut, NeedEventOut, NeedOut, NeedStep
from volunteer_app.auth.scoping import (
    handles_need,
    need_or_404,
    scoped_needs,
    scoped_teams,
    visible_unit_ids,
)
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.formatting import mask_phone
from volunteer_app.needs import rules, services
from volunteer_app.needs.manage import due_of, policy_for
from volunteer_app.needs.models import Need, NeedStatus
from volunteer_app.needs.rules import Step
from volunteer_app.needs.services import Actor
from volunteer_app.teams.models import Team


def _need_out(
    need: Need,
    *,
    now,
    log: bool = False,
    policies: dict | None = None,
    mine: set[int] | None = None,
) -> dict:
    here = need.unit_id in mine if mine is not None else handles_need(g.api_user, need)
    due = due_of(need, policies)
    fields = dict(
        id=need.id,
        title=need.title,
        status=need.status.value,
        station_id=need.station_id,
        station=need.station.name,
        unit_id=need.unit_id,
        category=need.category.code,
        created_at=need.created_at,
        changed_at=need.changed_at,
        due_at=due,
        overdue=rules.is_overdue(due, now=now),
        handled_here=here,
        proxy=need.is_proxy,
        contact_name=need.contact_name,
        contact_phone=need.contact_phone if here else mask_phone(need.contact_phone),
        address=need.address if here else "",
        team_id=need.team_id,
        activity_id=need.activity_id,
    )
    if not log:
        return NeedOut(**fields).model_dump(mode="json")
    events = [
        NeedEventOut(
            action=e.action,
            from_status=e.from_status.value if e.from_status else None,
            to_status=e.to_status.value,
            at=e.at,
            note=e.note if here or e.action in ("reject", "complete") else "",
        )
        for e in services.log_of(need)
    ]
    return NeedDetailOut(**fields, log=events).model_dump(mode="json")


@bp.get("/needs")
def list_needs():
    """The orders of the caller's units, latest change first; ``status`` keeps one status."""
    paging = _paging()
    stmt = scoped_needs(g.api_user)
    status = request.args.get("status")
    if status:
        try:
            stmt = stmt.where(Need.status == NeedStatus(status))
        except ValueError:
            raise ApiRequestError("invalid_parameter") from None
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = db.session.scalars(
        stmt.order_by(Need.changed_at.desc(), Need.id.desc())
        .offset(paging.offset)
        .limit(paging.per_page)
    )
    now = utcnow()
    policies: dict = {}
    mine = set(db.session.scalars(visible_unit_ids(g.api_user)))  # once, not per order
    items = [_need_out(n, now=now, policies=policies, mine=mine) for n in page]
    return jsonify(_page(items, total, paging))


@bp.get("/needs/<int:need_id>")
def get_need(need_id: int):
    """One order of the caller's units, with its log."""
    return jsonify(_need_out(need_or_404(g.api_user, need_id), now=utcnow(), log=True))


@bp.post("/needs/<int:need_id>/steps")
def take_need_step(need_id: int):
    """Take a step on an order the caller's unit holds; the order and its log after it."""
    need = need_or_404(g.api_user, need_id)
    body = _body(NeedStep)
    if not handles_need(g.api_user, need):
        abort(404)
    now = utcnow()
    team = None
    take_by = None
    if body.step == Step.DISPATCH.value:
        if body.team_id is not None:
            team = db.session.scalar(
                scoped_teams(g.api_user).where(Team.id == body.team_id, Team.disabled_at.is_(None))
            )
        hours = body.hours or policy_for(need.unit_id).take_hours
        take_by = now + timedelta(hours=hours)
    need = services.take_step(
        need,
        Step(body.step),
        Actor.organizer(g.api_user),
        note=body.note,
        team=team,
        take_by=take_by,
        now=now,
    )
    return jsonify(_need_out(need, now=now, log=True))
