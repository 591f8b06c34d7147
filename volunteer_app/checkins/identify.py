"""Identify this phone, then check in or out: the one flow behind the scan page's form and
the API's self-scan. The identifying half (``volunteers.identity.identify``) is also what
sign-in and registration use.

Everything is read and checked first, and a wrong PIN is counted aside; only then does the
writing begin: the views that use this flow are ``@reads_first``, so on SQLite the write
lock is held for the writes alone (``volunteer_app.transactions``).
"""

from __future__ import annotations

from datetime import datetime

from volunteer_app.activities.models import Activity
from volunteer_app.checkins import services
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.rules import Action
from volunteer_app.volunteers.identity import Identified, identify
from volunteer_app.volunteers.models import Volunteer


def record(activity: Activity, volunteer: Volunteer, action: Action, *, now: datetime) -> CheckIn:
    """Check the volunteer in or out by their own scan (CheckInError when the rules refuse;
    MembersOnlyError for a check-in at an activity of its team's members only by someone
    else, unless they already have a record there, which an organizer made)."""
    if action == Action.CHECK_IN:
        if activity.members_only and services.find_record(activity.id, volunteer.id) is None:
            services.check_members_only(activity, volunteer)
        return services.check_in(activity, volunteer, now=now)
    return services.check_out(activity, volunteer, now=now)


def identify_and_record(
    activity: Activity, action: Action, *, now: datetime, **who
) -> tuple[Identified, CheckIn]:
    """Identify the phone (``who``: as ``volunteers.identity.identify`` takes it), then
    check its volunteer in or out at ``activity``."""
    identified = identify(now=now, **who)
    return identified, record(activity, identified.volunteer, action, now=now)
