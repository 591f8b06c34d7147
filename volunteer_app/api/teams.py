"""Teams over the API: the teams of the caller's units, one team, and its active members
with the hours they served at the team's activities. Read only; phones masked."""

from __future__ import annotations

from flask import g, jsonify

from volunteer_app.api import bp, queries
from volunteer_app.api.routes import _page, _paging, _query_int
from volunteer_app.api.schemas import TeamMemberOut, TeamOut
from volunteer_app.formatting import mask_phone
from volunteer_app.params import ID_MAX
from volunteer_app.teams.models import Team, TeamMember
from volunteer_app.volunteers.models import Volunteer


def _team_out(team: Team, members: int) -> dict:
    return TeamOut(
        id=team.id,
        name=team.name,
        unit_id=team.unit_id,
        unit=team.unit.name,
        kind=team.kind.value,
        host_type=team.host_type.value,
        host_name=team.host_name,
        categories=[c.code for c in team.categories],
        contact_name=team.contact_name,
        contact_phone=mask_phone(team.contact_phone) if team.contact_phone else "",
        intro=team.intro,
        join_mode=team.join_mode.value,
        active=team.is_active,
        members=members,
    ).model_dump(mode="json")


def _member_out(member: TeamMember, volunteer: Volunteer, minutes: int) -> dict:
    return TeamMemberOut(
        volunteer_id=volunteer.id,
        name=volunteer.name,
        phone=mask_phone(volunteer.phone),
        is_leader=member.is_leader,
        joined_at=member.changed_at,
        confirmed_minutes=minutes,
        confirmed_hours=minutes / 60,
    ).model_dump(mode="json")


@bp.get("/teams")
def list_teams():
    """The teams of the caller's units, by name; ``unit`` keeps one unit's."""
    paging = _paging()
    rows, total = queries.teams(g.api_user, paging, unit_id=_query_int("unit", None, 1, ID_MAX))
    return jsonify(_page([_team_out(t, n) for t, n in rows], total, paging))


@bp.get("/teams/<int:team_id>")
def get_team(team_id: int):
    """One team of the caller's units."""
    team, members = queries.team_or_404(g.api_user, team_id)
    return jsonify(_team_out(team, members))


@bp.get("/teams/<int:team_id>/members")
def list_team_members(team_id: int):
    """A team's active members, leaders first, with their confirmed hours for the team."""
    team, _members = queries.team_or_404(g.api_user, team_id)
    paging = _paging()
    rows, total = queries.team_members(team.id, paging)
    return jsonify(_page([_member_out(m, v, n) for m, v, n in rows], total, paging))
