"""Every mapped table, imported in one place.

The factory imports this module before the first request so that relationships named by
string resolve, Alembic sees the whole schema, and ``flask shell`` starts with the models.
"""

from volunteer_app.activities.models import Activity, ActivityStatus, Category, Signup
from volunteer_app.api.models import ApiToken
from volunteer_app.audit.models import AuditEntry, AuditPersonal
from volunteer_app.auth.models import Invite, LoginThrottle, Role, User, UserSession
from volunteer_app.checkins.models import (
    CheckIn,
    Correction,
    CorrectionStatus,
    HoursOrigin,
    HoursStatus,
)
from volunteer_app.jobs.models import Job, JobStatus
from volunteer_app.needs.models import (
    Need,
    NeedEvent,
    NeedPolicy,
    NeedRating,
    NeedStatus,
    ServiceItem,
)
from volunteer_app.reports.models import ActivityStats, VolunteerSet
from volunteer_app.settings.models import Setting
from volunteer_app.stations.models import Unit, UnitLevel
from volunteer_app.teams.models import HostType, JoinMode, MemberStatus, Team, TeamKind, TeamMember
from volunteer_app.volunteers.models import Certificate, Device, Household, PinThrottle, Volunteer

__all__ = [
    "Activity",
    "ActivityStats",
    "ActivityStatus",
    "ApiToken",
    "AuditEntry",
    "AuditPersonal",
    "Category",
    "Certificate",
    "CheckIn",
    "Correction",
    "CorrectionStatus",
    "Device",
    "HostType",
    "HoursOrigin",
    "HoursStatus",
    "Household",
    "Invite",
    "Job",
    "JobStatus",
    "JoinMode",
    "LoginThrottle",
    "MemberStatus",
    "Need",
    "NeedEvent",
    "NeedPolicy",
    "NeedRating",
    "NeedStatus",
    "PinThrottle",
    "Role",
    "ServiceItem",
    "Setting",
    "Signup",
    "Team",
    "TeamKind",
    "TeamMember",
    "Unit",
    "UnitLevel",
    "User",
    "UserSession",
    "Volunteer",
    "VolunteerSet",
]
