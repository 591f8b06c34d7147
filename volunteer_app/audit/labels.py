"""Names of audit actions that more than one area's change log shows.

The teams' actions are about a volunteer (their membership) and a team: the volunteer's own
account log (volunteers/routes.py), the organizers' change logs (activities/labels.py) and
the team pages all name them, and the areas below the teams area cannot import it, so the
names live here, at the bottom. The entry's team is named beside the label (its
``team_id``, ``team_name``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from volunteer_app.extensions import db
from volunteer_app.teams.models import Team

#: The teams' audit actions (teams/membership.py and the organizer's team pages).
TEAM_AUDIT_LABELS = {
    "team.create": _l("Team created"),
    "team.update": _l("Team edited"),
    "team.disable": _l("Team disabled"),
    "team.enable": _l("Team enabled again"),
    "team.renew_key": _l("Team's join link replaced (the old links no longer work)"),
    "team.join": _l("Joined the team"),
    "team.request": _l("Asked to join the team"),
    "team.add": _l("Added to the team"),
    "team.approve": _l("Request to join the team approved"),
    "team.reject": _l("Request to join the team turned down"),
    "team.remove": _l("Removed from the team"),
    "team.leave": _l("Left the team"),
    "team.leader": _l("Named team leader"),
    "team.unleader": _l("No longer team leader"),
}

#: The service menu's audit actions (needs/menu.py); the item's id is in the values.
MENU_AUDIT_LABELS = {
    "menu.create": _l("Service added to the menu"),
    "menu.update": _l("Menu service edited"),
    "menu.withdraw": _l("Service withdrawn from the menu"),
    "menu.restore": _l("Service back on the menu"),
}


def team_name(entry) -> str:
    """The name of the team a "team.*" entry is about ("" for another entry, or a team id
    that names no team)."""
    if not entry.action.startswith("team."):
        return ""
    values = [v for v in (entry.new_value, entry.old_value) if isinstance(v, dict)]
    team_id = next((v["team_id"] for v in values if v.get("team_id")), None)
    if team_id is None:
        return ""
    name = db.session.scalar(select(Team.name).where(Team.id == team_id))
    return name or ""


#: The deadlines of residents' orders (needs/deadlines.py): a centre's or the district's
#: policy set or deleted; the entry's values name the unit (``unit_id``).
NEED_POLICY_AUDIT_LABELS = {
    "need_policy.set": _l("Order deadlines set"),
    "need_policy.reset": _l("Order deadlines reset to the level above's"),
}
