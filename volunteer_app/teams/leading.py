"""A team leader's check-in at their team's activities: the team's members, their records,
and check-in by card, by tick or in a group, all on the members' behalf.

Every function takes an activity already reached through ``scoping.led_activity_or_404``
(the leader leads its team now). Whom a leader may record is the team's active members
(``scoping.is_team_member``): anyone else, by id or by card, is answered as no one at all
is. The records are made on the member's behalf by no organizer (origin ``organizer``,
never self-made, so they make no one an organizer's, auth/scoping.py "who is whose") and
audited as the leader's (``actor_volunteer_id``; "checkin.by_leader", "checkout.by_leader").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from volunteer_app.activities.models import Activity
from volunteer_app.auth import scoping
from volunteer_app.checkins import offline, organizer
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.offline import QueuedRecord
from volunteer_app.checkins.organizer import CardScan, Outcome, Recorder
from volunteer_app.checkins.rules import Action
from volunteer_app.extensions import db
from volunteer_app.formatting import mask_phone
from volunteer_app.teams import lead_rules
from volunteer_app.teams.models import Team
from volunteer_app.volunteers.models import Household, Volunteer


@dataclass(frozen=True)
class MemberAt:
    """One active member of the team and their record at the activity, phone masked."""

    id: int
    name: str
    #: The masked number (138****1234): a leader never sees a member's full number.
    phone: str
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    minutes: int

    @property
    def state(self) -> str:
        """``in`` (here now), ``out`` (checked out) or ``""`` (not checked in)."""
        if self.checked_in_at is None:
            return ""
        return "out" if self.checked_out_at is not None else "in"


def team_of(activity: Activity) -> Team:
    """The team that runs the activity (a led activity always names one)."""
    return db.session.get(Team, activity.team_id)


def members_at(activity: Activity) -> list[MemberAt]:
    """The team's active members with their record at ``activity``, by name."""
    rows = db.session.execute(
        select(
            Volunteer.id,
            Volunteer.name,
            Household.phone,
            CheckIn.checked_in_at,
            CheckIn.checked_out_at,
            CheckIn.minutes,
        )
        .join(Household, Household.id == Volunteer.household_id)
        .outerjoin(
            CheckIn,
            (CheckIn.volunteer_id == Volunteer.id) & (CheckIn.activity_id == activity.id),
        )
        .where(scoping.is_team_member(activity.team_id))
        .order_by(Volunteer.name, Volunteer.id)
    )
    return [
        MemberAt(id_, name, mask_phone(phone), in_at, out_at, minutes or 0)
        for id_, name, phone, in_at, out_at, minutes in rows
    ]


def counts(activity: Activity) -> dict[str, int]:
    """The activity's attendance in numbers (everyone's, no one named): checked in, here
    now, checked out, and the minutes credited so far."""
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(CheckIn.checked_out_at.is_(None)),
            func.coalesce(func.sum(CheckIn.minutes), 0),
        ).where(CheckIn.activity_id == activity.id)
    ).one()
    return {
        "checked_in": row[0],
        "here": row[1],
        "checked_out": row[0] - row[1],
        "minutes": int(row[2]),
    }


def check_group(
    activity: Activity,
    leader: Volunteer,
    volunteer_ids: list[int],
    action: Action,
    *,
    now: datetime,
) -> list[Outcome]:
    """Check the ticked members in or out, as the leader's; ids of non-members are left out
    as ids of no one are (``organizer.check_group_within``)."""
    return organizer.check_group_within(
        activity,
        Recorder.leader(leader),
        scoping.team_members(activity.team_id),
        volunteer_ids,
        action,
        now=now,
    )


def scan_card(
    activity: Activity, leader: Volunteer, code: str, *, now: datetime, confirmed: bool = False
) -> CardScan:
    """Check the card's member in (or out), as the leader's; a card of anyone not a member
    is refused as a forged or unknown card is (``organizer.scan_card_within``). An early
    check-out is done only ``confirmed``, as on the organizer's scanner."""
    return organizer.scan_card_within(
        activity,
        Recorder.leader(leader),
        scoping.is_team_member(activity.team_id),
        code,
        now=now,
        confirmed=confirmed,
    )


def record_queued_scan(
    activity: Activity,
    leader: Volunteer,
    code: str,
    *,
    action: Action,
    scanned_at: datetime | None,
    now: datetime,
) -> QueuedRecord:
    """A scan queued offline on the leader's scanner, as ``scan_card`` would record it."""
    return offline.record_queued_scan_within(
        activity,
        Recorder.leader(leader),
        scoping.is_team_member(activity.team_id),
        code,
        action=action,
        scanned_at=scanned_at,
        now=now,
    )


def listed_activities(leader: Volunteer, *, now: datetime) -> list[Activity]:
    """The current and upcoming activities the leader runs, soonest first: their page's
    "我带队的活动" (``lead_rules.listed_as_led``)."""
    margin = checkins.checkout_margin()
    found = db.session.scalars(
        scoping.led_activities(leader)
        .where(Activity.ends_at >= now - margin)
        .order_by(Activity.starts_at, Activity.id)
        .limit(50)
    )
    return [
        a
        for a in found
        if lead_rules.listed_as_led(
            status=a.status.value, ends_at=a.ends_at, now=now, checkout_margin=margin
        )
    ]
