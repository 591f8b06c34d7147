"""The words for a team's national codes (kind, host unit type, join mode), for forms and
pages; the codes themselves are in teams/models.py (../shared/NATIONAL-CODES.md, "Teams")."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from volunteer_app.teams.models import HostType, JoinMode, TeamKind

KIND_LABELS = {
    TeamKind.GROUP.value: _l("Volunteer service group (approved by a unit or community)"),
    TeamKind.ORGANIZATION.value: _l("Volunteer service organization (registered)"),
    TeamKind.LEGAL_PERSON.value: _l("Other legal person doing volunteer service"),
}

HOST_TYPE_LABELS = {
    HostType.PARTY_GOVERNMENT.value: _l("Party or government body"),
    HostType.EDUCATION.value: _l("Educational institution"),
    HostType.HEALTH.value: _l("Health institution"),
    HostType.SCIENCE.value: _l("Science and technology institution"),
    HostType.CULTURE.value: _l("Cultural institution"),
    HostType.WELFARE.value: _l("Social welfare institution"),
    HostType.OTHER_PUBLIC.value: _l("Other public institution"),
    HostType.MASS_ORGANIZATION.value: _l("Mass organization"),
    HostType.RESIDENTS_COMMITTEE.value: _l("Residents' committee"),
    HostType.VILLAGERS_COMMITTEE.value: _l("Villagers' committee"),
    HostType.STATE_ENTERPRISE.value: _l("State-owned enterprise"),
    HostType.PRIVATE_ENTERPRISE.value: _l("Non-state enterprise"),
    HostType.SOCIAL_GROUP.value: _l("Social group"),
    HostType.SOCIAL_SERVICE.value: _l("Social service agency"),
    HostType.FOUNDATION.value: _l("Foundation"),
    HostType.SOCIAL_ORGANIZATION.value: _l("Social organization"),
    HostType.OTHER.value: _l("Other"),
}

JOIN_MODE_LABELS = {
    JoinMode.APPROVAL.value: _l("Apply to join; a leader or the station approves"),
    JoinMode.OPEN.value: _l("Anyone may join without approval"),
    JoinMode.CLOSED.value: _l("No one may join on their own"),
    JoinMode.CODE.value: _l("Join with the team's join code, without approval"),
}
