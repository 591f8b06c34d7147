"""Team memberships: joining, adding, answering requests, removing, leaving, naming leaders,
and what a team's member list shows. Every change is audited ("team.*", the member as the
entry's volunteer) in the caller's transaction.

The callers pass a team already reached in scope: an organizer's through
``auth.scoping.team_or_404``, a leader's through ``auth.scoping.led_team_or_404``, a
volunteer's own through the team's join key. ``By`` says who acts; ``teams.rules`` decides.

One row per (team, volunteer) pair (a unique constraint) changes status rather than being
deleted. Each change locks that row first (``_locked``), and a first row is inserted in a
savepoint whose unique violation means a concurrent request made it: the row is then read
and locked, so two taps of "加入" make one membership and one audit entry, on SQLite (one
writer at a time) and on PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from volunteer_app.activities.models import Activity
from volunteer_app.audit import services as audit
from volunteer_app.auth.models import User
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.extensions import db
from volunteer_app.teams import rules
from volunteer_app.teams.models import MemberStatus, Team, TeamMember
from volunteer_app.teams.rules import TeamError
from volunteer_app.volunteers.models import Volunteer


@dataclass(frozen=True)
class By:
    """Who changes a membership: an organizer, a leader of the team, or the volunteer."""

    user: User | None = None
    leader: Volunteer | None = None
    volunteer: Volunteer | None = None

    @classmethod
    def organizer(cls, user: User) -> By:
        """An organizer whose scope covers the team."""
        return cls(user=user)

    @classmethod
    def team_leader(cls, leader: Volunteer) -> By:
        """A leader of the team now."""
        return cls(leader=leader)

    @classmethod
    def themselves(cls, volunteer: Volunteer) -> By:
        """The volunteer, for their own membership."""
        return cls(volunteer=volunteer)

    @property
    def is_organizer(self) -> bool:
        """Whether an organizer acts."""
        return self.user is not None

    def audit_actor(self) -> dict:
        """The audit entry's actor fields."""
        if self.user is not None:
            return {"actor_user_id": self.user.id}
        acting = self.leader or self.volunteer
        return {"actor_volunteer_id": acting.id if acting else None}


def _locked(team: Team, volunteer_id: int) -> TeamMember | None:
    """The membership row of the pair, locked for this transaction, or None."""
    return db.session.scalar(
        select(TeamMember)
        .where(TeamMember.team_id == team.id, TeamMember.volunteer_id == volunteer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _claim(
    team: Team, volunteer_id: int, decide: Callable[[str | None], MemberStatus], *, now: datetime
) -> tuple[TeamMember, str | None]:
    """The pair's row, locked, with the status ``decide`` gives it from its old status
    (None when there was no row), and that old status. ``decide`` raises to refuse, before
    anything is written; a first row is inserted in a savepoint, and a concurrent insert
    of the same pair makes this one decide again on the row that request made."""
    member = _locked(team, volunteer_id)
    if member is None:
        member = TeamMember(
            team_id=team.id,
            volunteer_id=volunteer_id,
            status=decide(None),
            changed_at=now,
            created_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(member)
        except IntegrityError:
            member = _locked(team, volunteer_id)
            if member is None:  # pragma: no cover - the violation names this very pair
                raise
        else:
            return member, None
    old = member.status.value
    member.status = decide(old)
    return member, old


def _change(member: TeamMember, status: MemberStatus, by: By, *, now: datetime) -> None:
    """Set the membership's status and who changed it."""
    member.status = status
    member.changed_at = now
    member.changed_by_user_id = by.user.id if by.user else None
    member.changed_by_volunteer_id = by.leader.id if by.leader else None
    if status != MemberStatus.ACTIVE:
        member.is_leader = False


def _audit(action: str, member: TeamMember, by: By, *, old: str | None, now: datetime) -> None:
    """One audit entry for a membership change, about the member."""
    audit.record(
        action,
        now=now,
        volunteer_id=member.volunteer_id,
        old={"team_id": member.team_id, "status": old} if old else None,
        new={"team_id": member.team_id, "status": member.status.value, "leader": member.is_leader},
        **by.audit_actor(),
    )


def status_of(team: Team, volunteer: Volunteer) -> MemberStatus | None:
    """The volunteer's membership status in the team, or None (no row)."""
    return db.session.scalar(
        select(TeamMember.status).where(
            TeamMember.team_id == team.id, TeamMember.volunteer_id == volunteer.id
        )
    )


def join(team: Team, volunteer: Volunteer, *, code: str = "", now: datetime) -> TeamMember:
    """The volunteer's own request by the join link: a member at once or a waiting request,
    by the team's join mode (``rules.compute_join``). Audited "team.join" or "team.request"."""
    by = By.themselves(volunteer)

    def decide(old: str | None) -> MemberStatus:
        return MemberStatus(
            rules.compute_join(
                join_mode=team.join_mode.value,
                team_disabled=not team.is_active,
                current_status=old,
                code_given=code,
                team_code=team.join_code,
            )
        )

    member, old = _claim(team, volunteer.id, decide, now=now)
    _change(member, member.status, by, now=now)
    db.session.flush()
    action = "team.join" if member.status == MemberStatus.ACTIVE else "team.request"
    _audit(action, member, by, old=old, now=now)
    return member


def add(team: Team, volunteer: Volunteer, by: By, *, now: datetime) -> TeamMember:
    """An organizer or a leader adds a volunteer who stands in front of them (found by
    their card, or among the organizer's own): a member at once, in any join mode.
    Audited "team.add"."""

    def decide(old: str | None) -> MemberStatus:
        rules.validate_add(team_disabled=not team.is_active, current_status=old)
        return MemberStatus.ACTIVE

    member, old = _claim(team, volunteer.id, decide, now=now)
    _change(member, MemberStatus.ACTIVE, by, now=now)
    db.session.flush()
    _audit("team.add", member, by, old=old, now=now)
    return member


def member_or_none(team: Team, member_id: int) -> TeamMember | None:
    """The team's membership row ``member_id`` (any status), or None for another team's."""
    return db.session.scalar(
        select(TeamMember).where(TeamMember.id == member_id, TeamMember.team_id == team.id)
    )


def answer(team: Team, member_id: int, by: By, *, approve: bool, now: datetime) -> TeamMember:
    """Approve or reject a waiting request. Audited "team.approve" / "team.reject"."""
    member = _row(team, member_id)
    old = member.status.value
    rules.validate_answer(current_status=old)
    _change(member, MemberStatus.ACTIVE if approve else MemberStatus.REJECTED, by, now=now)
    db.session.flush()
    _audit("team.approve" if approve else "team.reject", member, by, old=old, now=now)
    return member


def remove(team: Team, member_id: int, by: By, *, now: datetime) -> TeamMember:
    """Remove an active member; a leader only by an organizer. Audited "team.remove"."""
    member = _row(team, member_id)
    old = member.status.value
    rules.validate_remove(
        current_status=old, is_leader=member.is_leader, by_organizer=by.is_organizer
    )
    _change(member, MemberStatus.REMOVED, by, now=now)
    db.session.flush()
    _audit("team.remove", member, by, old=old, now=now)
    return member


def leave(team: Team, volunteer: Volunteer, *, now: datetime) -> TeamMember:
    """The volunteer leaves the team (or withdraws a waiting request); a leader who leaves
    is a leader no more. Audited "team.leave"."""
    member = _locked(team, volunteer.id)
    if member is None:
        raise TeamError("not_member", status=409)
    old = member.status.value
    rules.validate_leave(current_status=old)
    _change(member, MemberStatus.LEFT, By.themselves(volunteer), now=now)
    db.session.flush()
    _audit("team.leave", member, By.themselves(volunteer), old=old, now=now)
    return member


def name_leader(team: Team, member_id: int, by: By, *, leader: bool, now: datetime) -> TeamMember:
    """Name (or unname) an active member as leader; only an organizer. Audited
    "team.leader" / "team.unleader"; naming a leader twice changes nothing."""
    member = _row(team, member_id)
    rules.validate_name_leader(
        current_status=member.status.value,
        team_disabled=not team.is_active,
        by_organizer=by.is_organizer,
    )
    if member.is_leader == leader:
        return member
    member.is_leader = leader
    member.changed_at = now
    member.changed_by_user_id = by.user.id if by.user else None
    member.changed_by_volunteer_id = None
    db.session.flush()
    _audit("team.leader" if leader else "team.unleader", member, by, old=None, now=now)
    return member


def _row(team: Team, member_id: int) -> TeamMember:
    """The team's membership ``member_id``, locked; TeamError("not_member") for another
    team's id or none (a route turns it into the same answer as an unknown id)."""
    member = db.session.scalar(
        select(TeamMember)
        .where(TeamMember.id == member_id, TeamMember.team_id == team.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if member is None:
        raise TeamError("not_member", status=404)
    return member


# --- what the pages show --------------------------------------------------------------------


@dataclass(frozen=True)
class MemberRow:
    """One row of a team's member list: the membership, its volunteer, and the member's
    confirmed minutes at the team's activities."""

    member: TeamMember
    volunteer: Volunteer
    confirmed_minutes: int


def confirmed_minutes_by_member(team: Team) -> dict[int, int]:
    """Each volunteer's confirmed minutes at the activities the team runs (voided records
    are left out by the loader criterion of checkins/models.py), by volunteer id."""
    rows = db.session.execute(
        select(CheckIn.volunteer_id, func.coalesce(func.sum(CheckIn.minutes), 0))
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(Activity.team_id == team.id, CheckIn.status == HoursStatus.CONFIRMED)
        .group_by(CheckIn.volunteer_id)
    )
    return {volunteer_id: int(minutes) for volunteer_id, minutes in rows}


def member_rows(team: Team, statuses: tuple[MemberStatus, ...]) -> list[MemberRow]:
    """The team's memberships in ``statuses`` with their volunteers and confirmed minutes:
    leaders first, then by name. Deleted accounts are left out."""
    minutes = confirmed_minutes_by_member(team)
    found = db.session.execute(
        select(TeamMember, Volunteer)
        .join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
        .where(
            TeamMember.team_id == team.id,
            TeamMember.status.in_(statuses),
            Volunteer.deleted_at.is_(None),
        )
        .order_by(TeamMember.is_leader.desc(), Volunteer.name, Volunteer.id)
    )
    return [MemberRow(m, v, minutes.get(v.id, 0)) for m, v in found]


def counts(team: Team) -> dict[str, int]:
    """The team's members now and its waiting requests."""
    rows = dict(
        db.session.execute(
            select(TeamMember.status, func.count())
            .join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
            .where(TeamMember.team_id == team.id, Volunteer.deleted_at.is_(None))
            .group_by(TeamMember.status)
        ).all()
    )
    return {
        "active": rows.get(MemberStatus.ACTIVE, 0),
        "pending": rows.get(MemberStatus.PENDING, 0),
    }


def teams_of(volunteer: Volunteer) -> list[TeamMember]:
    """The volunteer's memberships that are current (active) or waiting, with their teams,
    for their own page: active ones first, then by team name."""
    return list(
        db.session.scalars(
            select(TeamMember)
            .join(Team, Team.id == TeamMember.team_id)
            .where(
                TeamMember.volunteer_id == volunteer.id,
                TeamMember.status.in_((MemberStatus.ACTIVE, MemberStatus.PENDING)),
            )
            .order_by(TeamMember.status, Team.name)
        )
    )


def confirmed_minutes_of(volunteer: Volunteer) -> dict[int, int]:
    """The volunteer's confirmed minutes at each team's activities, by team id (voided
    records left out, as in ``confirmed_minutes_by_member``)."""
    rows = db.session.execute(
        select(Activity.team_id, func.coalesce(func.sum(CheckIn.minutes), 0))
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(
            CheckIn.volunteer_id == volunteer.id,
            CheckIn.status == HoursStatus.CONFIRMED,
            Activity.team_id.is_not(None),
        )
        .group_by(Activity.team_id)
    )
    return {team_id: int(minutes) for team_id, minutes in rows}
