"""The volunteer's own teams (``/me``): the "我的队伍" section of their page, and leaving a
team (or withdrawing a waiting request).

The volunteers area sits below the teams area and cannot import it, so the section's data
comes from this blueprint's context processor (``my_teams()``), as the leader's activities
come from teams/lead.py. Registered by ``create_app`` from ``BLUEPRINTS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, url_for
from flask_babel import gettext as _

from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.forms import ActionForm
from volunteer_app.teams import membership
from volunteer_app.teams.models import MemberStatus, Team, TeamMember
from volunteer_app.teams.rules import TeamError
from volunteer_app.volunteers.models import Volunteer
from volunteer_app.volunteers.session import volunteer_required

mine_bp = Blueprint("my_teams", __name__)


@dataclass(frozen=True)
class MyTeam:
    """One of the volunteer's memberships as their page shows it."""

    member: TeamMember
    team: Team
    #: Confirmed minutes at the activities the team runs.
    confirmed_minutes: int
    #: Whether they lead it now (a leader of a disabled team leads nothing).
    leads: bool
    #: Requests waiting for a leader's answer, counted only for a team they lead.
    waiting: int = 0


def my_team_rows(volunteer: Volunteer) -> list[MyTeam]:
    """The volunteer's current and waiting memberships with their hours with each team."""
    found = membership.teams_of(volunteer)
    minutes = membership.confirmed_minutes_of(volunteer)
    rows = []
    for m in found:
        leads = m.is_leader and m.is_active and m.team.is_active
        waiting = membership.counts(m.team)["pending"] if leads else 0
        rows.append(MyTeam(m, m.team, minutes.get(m.team_id, 0), leads, waiting))
    return rows


@mine_bp.app_context_processor
def _my_teams() -> dict:
    """``my_teams()`` for the volunteer's own page: their teams and waiting requests."""

    def my_teams() -> list[MyTeam]:
        volunteer = g.get("volunteer")
        if volunteer is None or volunteer.deleted_at is not None:
            return []
        return my_team_rows(volunteer)

    return {"my_teams": my_teams}


@mine_bp.post("/me/teams/<int:team_id>/leave")
@volunteer_required
def leave(team_id: int):
    """Leave one of my teams, or withdraw my waiting request to join it."""
    volunteer = g.volunteer
    team = db.session.get(Team, team_id)
    # Only the volunteer's own current or waiting membership: any other id is no one's.
    status = membership.status_of(team, volunteer) if team is not None else None
    if status not in (MemberStatus.ACTIVE, MemberStatus.PENDING):
        abort(404)
    back = url_for("volunteers.me", _anchor="my-teams")
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        membership.leave(team, volunteer, now=utcnow())
    except TeamError as error:  # answered a moment ago (a double tap, a leader's removal)
        flash(error.message, "error")
        return redirect(back)
    if status == MemberStatus.PENDING:
        flash(_("Your request to join %(team)s is withdrawn.", team=team.name), "success")
    else:
        flash(_("You have left %(team)s.", team=team.name), "success")
    return redirect(back)
