"""Scoping: what an organizer or a volunteer may reach, and every ``*_or_404`` of the app.

Every query for something a request names by id goes through here, so "another station's
id in the URL" ends in a 404, never in someone else's data, and never in a 403 that would
confirm the id exists.

The unit tree
-------------
Units are three levels deep: the district, its centres (所), their stations (站). An
organizer manages their own unit and every unit below it; that one rule gives both the
units an organizer may see (``visible_unit_ids``) and the units a report on a unit covers
(``subtree_unit_ids``). One instance may serve several districts (a city's): each is a
tree of its own, and a district admin reaches their district's tree alone.

Who is whose
------------
An organizer may see and act for a volunteer when the volunteer is *theirs*
(``visible_volunteer_ids``):

- registered through one of the organizer's units: registered themselves at one of its
  activities, or registered there by one of its organizers (a walk-in, an import);
- or the volunteer came to one of its activities on their own: a record they made
  themselves (their own scan, ``CheckIn.self_made``) or a sign-up (only volunteers sign up).

Nothing an organizer does alone makes a volunteer theirs: a record the organizer made for
someone (a desk check-in, added hours, an API check-in by card) is not self-made, and a
walk-in with a number that already exists never changes whom the number's people are
registered with. Deleted accounts are nobody's. Every page, form and API endpoint that
takes a volunteer by id, phone, card or name looks them up through this set; any other
volunteer is "not found", with the message an unknown one gets.

Records are the activity's: at an activity the organizer may see, they may also record
anyone who already has a record there (``volunteer_may_be_recorded``), so that whoever
stands in their attendance list can be checked out; a new record is only ever made for
one of theirs. docs/security.md ("Who may see and act for whom") lists each route family;
tests/routes/test_volunteer_scope_walk.py walks them all.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, or_, select
from sqlalchemy.orm import aliased, joinedload

from volunteer_app.activities.models import Activity, ActivityStatus, Signup
from volunteer_app.auth.models import Invite, Role, User
from volunteer_app.checkins.models import CheckIn, Correction
from volunteer_app.extensions import db
from volunteer_app.jobs.models import Job
from volunteer_app.needs.models import Need, NeedStatus, ServiceItem
from volunteer_app.stations.models import Unit
from volunteer_app.teams.models import MemberStatus, Team, TeamMember
from volunteer_app.volunteers.models import Certificate, Volunteer

# --- the unit tree -------------------------------------------------------------------------


def subtree_unit_ids(unit: Unit) -> Select:
    """A SELECT of the ids of ``unit`` and the units below it."""
    children = select(Unit.id).where(Unit.parent_id == unit.id)
    return select(Unit.id).where(
        or_(Unit.id == unit.id, Unit.parent_id == unit.id, Unit.parent_id.in_(children))
    )


def visible_unit_ids(user: User) -> Select:
    """A SELECT of the ids of the units ``user`` manages: their unit's subtree."""
    return _visible_unit_ids(user.role).params(scope_unit_id=user.unit_id)


@lru_cache(maxsize=8)
def _visible_unit_ids(role: Role) -> Select:
    """The subtree of the unit a role manages, by the role's level (``:scope_unit_id``).

    The same set as ``subtree_unit_ids`` of the user's unit, written per level so that it
    is built once per role with the unit bound when it runs (every organizer page runs it):
    a district is itself, its centres and their stations; a centre is itself and its
    stations; a station is itself.
    """
    unit_id = bindparam("scope_unit_id")
    if role == Role.DISTRICT_ADMIN:
        # One instance may serve a city's districts: a district admin's reach ends at the
        # district's own tree, never another district's.
        centres = aliased(Unit)
        return select(Unit.id).where(
            or_(
                Unit.id == unit_id,
                Unit.parent_id == unit_id,
                Unit.parent_id.in_(select(centres.id).where(centres.parent_id == unit_id)),
            )
        )
    if role == Role.CENTRE_ORGANIZER:
        return select(Unit.id).where(or_(Unit.id == unit_id, Unit.parent_id == unit_id))
    return select(Unit.id).where(Unit.id == unit_id)


def lineage_unit_ids(unit_id: int) -> Select:
    """A SELECT of the ids of unit ``unit_id`` and the units above it (its centre, its
    district): whose teams may run the unit's activities."""
    parent = select(Unit.parent_id).where(Unit.id == unit_id).scalar_subquery()
    grandparent = select(Unit.parent_id).where(Unit.id == parent).scalar_subquery()
    return select(Unit.id).where(or_(Unit.id == unit_id, Unit.id == parent, Unit.id == grandparent))


def visible_units(user: User) -> list[Unit]:
    """The units ``user`` may hold activities for, by level and name: the form pickers'.

    Archived units are left out (they take no new activities); pages that show history,
    reports and the unit tree reach them through ``visible_unit_ids``.
    """
    return list(
        db.session.scalars(
            select(Unit)
            .where(Unit.id.in_(visible_unit_ids(user)), Unit.archived_at.is_(None))
            .order_by(Unit.level, Unit.name)
        )
    )


def unit_or_404(user: User, unit_id: int | None) -> Unit:
    """The unit ``unit_id`` if ``user`` may see it (404 otherwise); their own unit if None."""
    wanted = unit_id if unit_id is not None else user.unit_id
    unit = db.session.scalar(
        select(Unit).where(Unit.id == wanted, Unit.id.in_(visible_unit_ids(user)))
    )
    if unit is None:
        abort(404)
    return unit


def job_or_404(user: User, job_id: int) -> Job:
    """One of ``user``'s own jobs whose unit they may still see; 404 otherwise.

    The scope is checked again on every look (the progress page, its file): an organizer
    moved to another unit since starting an export no longer reaches its file, and nobody
    reaches another user's job.
    """
    job = db.session.scalar(
        select(Job).where(
            Job.id == job_id,
            Job.owner_id == user.id,
            Job.unit_id.in_(visible_unit_ids(user)),
        )
    )
    if job is None:
        abort(404)
    return job


def scope_unit_ids(user: User, unit: Unit) -> Select:
    """A SELECT of the ids of ``unit``'s subtree that ``user`` may see (a report's scope).

    Whoever may see a unit sees its whole subtree, so this is the subtree; the filter keeps
    that true should visibility ever change.
    """
    return subtree_unit_ids(unit).where(Unit.id.in_(visible_unit_ids(user)))


def scope_unit_id_list(user: User, unit: Unit) -> list[int]:
    """The ids of ``scope_unit_ids``, read once: what a report's statements filter on.

    A literal list, not the subquery: PostgreSQL cannot estimate how many units the subtree's
    ``id = u OR parent_id = u OR parent_id IN (…)`` keeps (it guessed half of a city's 2,110
    units for one station) and then plans a scan of every check-in; with the ids listed it
    reads the statistics of each. A district's list is about two hundred ids.
    """
    return sorted(db.session.scalars(scope_unit_ids(user, unit)))


# --- activities and their records ----------------------------------------------------------


def scoped_activities(user: User) -> Select:
    """A SELECT of the activities ``user`` may see."""
    return select(Activity).where(Activity.unit_id.in_(visible_unit_ids(user)))


def activity_or_404(user: User, activity_id: int) -> Activity:
    """The activity if ``user`` may see it; 404 otherwise."""
    activity = db.session.scalar(
        _scoped_activity(user.role), {"scope_unit_id": user.unit_id, "activity_id": activity_id}
    )
    if activity is None:
        abort(404)
    return activity


@lru_cache(maxsize=8)
def _scoped_activity(role: Role) -> Select:
    """One activity by id within a role's scope, built once per role (every check-in by an
    organizer, and every organizer page of an activity, runs it)."""
    return select(Activity).where(
        Activity.unit_id.in_(_visible_unit_ids(role)), Activity.id == bindparam("activity_id")
    )


def record_or_404(activity: Activity, checkin_id: int) -> CheckIn:
    """A record of this (already scoped) activity, or 404."""
    record = db.session.scalar(
        select(CheckIn).where(CheckIn.id == checkin_id, CheckIn.activity_id == activity.id)
    )
    if record is None:
        abort(404)
    return record


def scoped_corrections(user: User) -> Select:
    """A SELECT of the correction requests about records at ``user``'s activities."""
    return (
        select(Correction)
        .join(CheckIn, CheckIn.id == Correction.checkin_id)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(Activity.unit_id.in_(visible_unit_ids(user)))
        .options(
            joinedload(Correction.record).joinedload(CheckIn.activity).joinedload(Activity.unit),
            joinedload(Correction.record).joinedload(CheckIn.volunteer),
        )
    )


def correction_or_404(user: User, correction_id: int) -> Correction:
    """A correction request about a record at one of ``user``'s activities, or 404."""
    correction = db.session.scalar(scoped_corrections(user).where(Correction.id == correction_id))
    if correction is None:
        abort(404)
    return correction


# --- volunteers: who is whose -------------------------------------------------------------


def visible_volunteer_ids(user: User) -> Select:
    """A SELECT of the ids of the live volunteers ``user`` may see and act for."""
    return select(Volunteer.id).where(volunteer_is_theirs(user))


def volunteer_is_theirs(user: User) -> ColumnElement[bool]:
    """The condition, on a ``volunteers`` row of the enclosing query, that ``user`` may see
    and act for that volunteer (the module docstring); deleted accounts never pass.

    Written on the outer row rather than as ``id IN (...)`` so that a lookup by id, phone
    or card checks just the rows it found: ``registered_unit_id`` and the EXISTS over the
    volunteer's own records and sign-ups use the indexes on those columns. A district admin
    is no exception: in an instance serving a city's districts, another district's people
    are not theirs.

    Built once per role and unit (``_theirs_in``): every organizer check-in by phone or card
    runs it, and building the expression costs more than running it.
    """
    return _theirs_in(user.role, user.unit_id)


@lru_cache(maxsize=256)
def _theirs_in(role: Role, unit_id: int | None) -> ColumnElement[bool]:
    """``volunteer_is_theirs`` for a role and its unit."""
    live = Volunteer.deleted_at.is_(None)
    units = _visible_unit_ids(role).params(scope_unit_id=unit_id)
    activities = select(Activity.id).where(Activity.unit_id.in_(units))
    came_themselves = exists().where(
        CheckIn.volunteer_id == Volunteer.id,
        CheckIn.self_made.is_(True),
        CheckIn.activity_id.in_(activities),
    )
    signed_up = exists().where(
        Signup.volunteer_id == Volunteer.id, Signup.activity_id.in_(activities)
    )
    return and_(live, or_(Volunteer.registered_unit_id.in_(units), came_themselves, signed_up))


def volunteer_may_be_recorded(user: User, activity: Activity) -> ColumnElement[bool]:
    """The condition that ``user`` may record the volunteer of the row at ``activity`` (an
    activity already scoped by ``activity_or_404``): one of theirs, or anyone who already
    has a record there, since records are scoped by activity and that record is theirs.

    So an organizer checks out, or is told "already checked in", whoever stands in their
    own attendance list, but never makes a new record for someone who is not theirs (a
    volunteer has one record per activity). Built once per role, unit and activity (a
    check-in burst at one activity asks the same question thousands of times).
    """
    return _recordable_at(user.role, user.unit_id, activity.id)


@lru_cache(maxsize=256)
def _recordable_at(role: Role, unit_id: int | None, activity_id: int) -> ColumnElement[bool]:
    has_record = exists().where(
        CheckIn.volunteer_id == Volunteer.id, CheckIn.activity_id == activity_id
    )
    return and_(Volunteer.deleted_at.is_(None), or_(_theirs_in(role, unit_id), has_record))


def scoped_volunteers(user: User) -> Select:
    """A SELECT of the volunteers ``user`` may see and act for."""
    return select(Volunteer).where(volunteer_is_theirs(user))


def may_act_for(user: User, volunteer: Volunteer) -> bool:
    """Whether ``volunteer`` is one of ``user``'s (see the module docstring)."""
    return volunteer_in_scope(user, volunteer.id) is not None


def volunteer_in_scope(user: User, volunteer_id: int) -> Volunteer | None:
    """The volunteer ``volunteer_id`` if ``user`` may see them, else None."""
    return db.session.scalar(scoped_volunteers(user).where(Volunteer.id == volunteer_id))


def volunteer_or_404(user: User, volunteer_id: int) -> Volunteer:
    """The volunteer ``volunteer_id`` if ``user`` may see them; 404 otherwise."""
    volunteer = volunteer_in_scope(user, volunteer_id)
    if volunteer is None:
        abort(404)
    return volunteer


def recordable_volunteers(user: User, activity: Activity) -> Select:
    """A SELECT of the volunteers ``user`` may record at ``activity``
    (``volunteer_may_be_recorded``)."""
    return select(Volunteer).where(volunteer_may_be_recorded(user, activity))


def recordable_volunteer_or_404(user: User, activity: Activity, volunteer_id: int) -> Volunteer:
    """The volunteer ``volunteer_id`` if ``user`` may record them at ``activity``; 404
    otherwise."""
    volunteer = db.session.scalar(
        recordable_volunteers(user, activity).where(Volunteer.id == volunteer_id)
    )
    if volunteer is None:
        abort(404)
    return volunteer


# --- organizer accounts --------------------------------------------------------------------


def scoped_accounts(user: User) -> Select:
    """A SELECT of the accounts of the units ``user`` manages (their own included)."""
    return (
        select(User)
        .join(Unit, Unit.id == User.unit_id)
        .where(User.unit_id.in_(visible_unit_ids(user)))
    )


def account_or_404(user: User, account_id: int) -> User:
    """An account of the units ``user`` manages, or 404."""
    account = db.session.scalar(scoped_accounts(user).where(User.id == account_id))
    if account is None:
        abort(404)
    return account


def scoped_invites(user: User) -> Select:
    """A SELECT of the invite links for the units ``user`` manages."""
    return (
        select(Invite)
        .where(Invite.unit_id.in_(visible_unit_ids(user)))
        .options(joinedload(Invite.unit), joinedload(Invite.created_by), joinedload(Invite.used_by))
    )


def invite_or_404(user: User, invite_id: int) -> Invite:
    """An invite for one of the units ``user`` manages, or 404."""
    invite = db.session.scalar(scoped_invites(user).where(Invite.id == invite_id))
    if invite is None:
        abort(404)
    return invite


def role_required(*roles: Role) -> Callable:
    """Let only organizers with one of ``roles`` into a view; others get a 403.

    Use under ``login_required``, on pages that name no object (their URL is no secret):
    refusals of something named by id are 404s, through the helpers above.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


# --- what a volunteer may reach: their own things ------------------------------------------


def own_record_or_404(volunteer: Volunteer, checkin_id: int) -> CheckIn:
    """One of the volunteer's own records, with its activity; 404 for anyone else's."""
    record = db.session.scalar(
        select(CheckIn)
        .options(joinedload(CheckIn.activity).joinedload(Activity.unit))
        .where(CheckIn.id == checkin_id, CheckIn.volunteer_id == volunteer.id)
    )
    if record is None:
        abort(404)
    return record


def own_certificate_or_404(volunteer: Volunteer, certificate_id: int) -> Certificate:
    """One of the volunteer's own certificates; 404 for anyone else's."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.volunteer_id != volunteer.id:
        abort(404)
    return certificate


# --- team leaders ---------------------------------------------------------------------------
# A team leader (队长) is a volunteer who runs check-in for their team's activities and
# nothing else (docs/security.md, "Team leaders"). These are the SQL forms of the rules of
# teams/lead_rules.py: a leader now is a named leader, an active member, of a team not
# disabled; they reach only the published or finished activities their team runs; they
# record only the team's active members. Anything else is a 404, or, for a card or an id of
# someone else, the answer no one at all gets.

#: Activity statuses a leader's pages open for (teams/lead_rules.py, RUNNABLE_STATUSES).
_LEADER_RUNNABLE = (ActivityStatus.PUBLISHED, ActivityStatus.FINISHED)


def led_team_ids(volunteer: Volunteer) -> Select:
    """A SELECT of the ids of the teams ``volunteer`` leads now."""
    return (
        select(TeamMember.team_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(
            TeamMember.volunteer_id == volunteer.id,
            TeamMember.is_leader.is_(True),
            TeamMember.status == MemberStatus.ACTIVE,
            Team.disabled_at.is_(None),
        )
    )


def led_activities(volunteer: Volunteer) -> Select:
    """A SELECT of the activities ``volunteer`` may run as a team leader."""
    return select(Activity).where(
        Activity.team_id.in_(led_team_ids(volunteer)), Activity.status.in_(_LEADER_RUNNABLE)
    )


def led_activity_or_404(volunteer: Volunteer, activity_id: int) -> Activity:
    """An activity ``volunteer`` may run as a team leader; 404 for any other (another
    team's, a unit's own, a draft or cancelled one, or when they lead no more)."""
    if volunteer.deleted_at is not None:
        abort(404)
    activity = db.session.scalar(
        led_activities(volunteer)
        .options(joinedload(Activity.unit))
        .where(Activity.id == activity_id)
    )
    if activity is None:
        abort(404)
    return activity


def is_team_member(team_id: int) -> ColumnElement[bool]:
    """The condition, on a ``volunteers`` row of the enclosing query, that the volunteer is
    an active member of team ``team_id`` with a live account: whom its leader may record."""
    return and_(
        Volunteer.deleted_at.is_(None),
        exists().where(
            TeamMember.volunteer_id == Volunteer.id,
            TeamMember.team_id == team_id,
            TeamMember.status == MemberStatus.ACTIVE,
        ),
    )


def team_members(team_id: int) -> Select:
    """A SELECT of the volunteers a leader of team ``team_id`` may record (``is_team_member``)."""
    return select(Volunteer).where(is_team_member(team_id))


# --- teams --------------------------------------------------------------------------------
# An organizer manages the teams of the units they manage; a leader reaches the member list
# of a team they lead now; anyone reaches a team's join page by its join key only (never by
# id). Anything else is a 404.


def scoped_teams(user: User) -> Select:
    """A SELECT of the teams ``user`` manages: those of the units they manage."""
    return select(Team).where(Team.unit_id.in_(visible_unit_ids(user)))


def team_or_404(user: User, team_id: int) -> Team:
    """The team ``team_id`` if ``user`` manages its unit; 404 otherwise."""
    team = db.session.scalar(
        scoped_teams(user).options(joinedload(Team.unit)).where(Team.id == team_id)
    )
    if team is None:
        abort(404)
    return team


def led_team_or_404(volunteer: Volunteer, team_id: int) -> Team:
    """A team ``volunteer`` leads now (``led_team_ids``); 404 for any other."""
    if volunteer.deleted_at is not None:
        abort(404)
    team = db.session.scalar(
        select(Team).where(Team.id == team_id, Team.id.in_(led_team_ids(volunteer)))
    )
    if team is None:
        abort(404)
    return team


def team_by_join_key_or_404(join_key: str) -> Team:
    """The team whose join link or card carries ``join_key``; 404 for an unknown or renewed
    key (a disabled team is found, and its page says it takes no members)."""
    team = db.session.scalar(
        select(Team).options(joinedload(Team.unit)).where(Team.join_key == join_key)
    )
    if team is None:
        abort(404)
    return team


# --- residents' orders ----------------------------------------------------------------------
# An organizer handles the orders held at the units they manage (``Need.unit_id``) and sees,
# without acting on them, the orders placed at their stations that went up the tree.


def scoped_needs(user: User) -> Select:
    """A SELECT of the orders ``user`` may see: held at, or placed at, a unit they manage."""
    units = visible_unit_ids(user)
    return select(Need).where(or_(Need.unit_id.in_(units), Need.station_id.in_(units)))


def need_or_404(user: User, need_id: int) -> Need:
    """The order ``need_id`` if ``user`` may see it; 404 otherwise."""
    need = db.session.scalar(scoped_needs(user).where(Need.id == need_id))
    if need is None:
        abort(404)
    return need


def handles_need(user: User, need: Need) -> bool:
    """Whether ``user`` manages the unit holding the order now (and so may act on it)."""
    return (
        db.session.scalar(
            select(Unit.id).where(Unit.id == need.unit_id, Unit.id.in_(visible_unit_ids(user)))
        )
        is not None
    )


#: Statuses in which a team's leader reaches an order dispatched to their team.
_LEADER_NEED_STATUSES = (
    NeedStatus.DISPATCHED,
    NeedStatus.TAKEN,
    NeedStatus.IN_SERVICE,
    NeedStatus.COMPLETED,
    NeedStatus.RATED,
)


def led_needs(volunteer: Volunteer) -> Select:
    """A SELECT of the orders dispatched to a team ``volunteer`` leads now (from dispatch
    on; a declined order leaves the team and the leader's reach)."""
    return select(Need).where(
        Need.team_id.in_(led_team_ids(volunteer)), Need.status.in_(_LEADER_NEED_STATUSES)
    )


def led_need_or_404(volunteer: Volunteer, need_id: int) -> Need:
    """An order dispatched to a team ``volunteer`` leads now; 404 for any other."""
    if volunteer.deleted_at is not None:
        abort(404)
    need = db.session.scalar(led_needs(volunteer).where(Need.id == need_id))
    if need is None:
        abort(404)
    return need


# --- teams that may run an organizer's activities ------------------------------------------


def activity_team_choices(user: User) -> list[Team]:
    """The active teams ``user`` may name as an activity's team (the form's picker): those of
    the units they manage and of the units above their own, by level and name. Which of
    them fits the activity's unit is checked when it is saved (``team_fits_unit``)."""
    above = lineage_unit_ids(user.unit_id) if user.unit_id is not None else select(Unit.id)
    return list(
        db.session.scalars(
            select(Team)
            .join(Unit, Unit.id == Team.unit_id)
            .options(joinedload(Team.unit))
            .where(
                Team.disabled_at.is_(None),
                or_(Team.unit_id.in_(visible_unit_ids(user)), Team.unit_id.in_(above)),
            )
            .order_by(Unit.level, Unit.name, Team.name)
        )
    )


def team_fits_unit(team_id: int, unit_id: int) -> Team | None:
    """Team ``team_id`` if it belongs to unit ``unit_id`` or a unit above it, else None (a
    team of another station or centre cannot run this unit's activities)."""
    return db.session.scalar(
        select(Team).where(Team.id == team_id, Team.unit_id.in_(lineage_unit_ids(unit_id)))
    )


def is_active_member(team_id: int, volunteer_id: int) -> bool:
    """Whether the volunteer is an active member of team ``team_id`` (``is_team_member``)."""
    return (
        db.session.scalar(
            select(Volunteer.id).where(Volunteer.id == volunteer_id, is_team_member(team_id))
        )
        is not None
    )


# --- the service menu -----------------------------------------------------------------------
# An organizer manages the menu items of the units they manage (``ServiceItem.unit_id``),
# withdrawn ones included; another unit's item is a 404.


def scoped_menu_items(user: User) -> Select:
    """A SELECT of the menu items ``user`` manages: those of the units they manage."""
    return select(ServiceItem).where(ServiceItem.unit_id.in_(visible_unit_ids(user)))


def menu_item_or_404(user: User, item_id: int) -> ServiceItem:
    """The menu item ``item_id`` if ``user`` manages its unit; 404 otherwise."""
    item = db.session.scalar(
        scoped_menu_items(user)
        .options(joinedload(ServiceItem.unit), joinedload(ServiceItem.team))
        .where(ServiceItem.id == item_id)
    )
    if item is None:
        abort(404)
    return item


def team_serves_unit(team_id: int, unit_id: int) -> bool:
    """Whether team ``team_id`` may provide a menu item of unit ``unit_id``: it belongs to
    the unit, to a unit above it (``team_fits_unit``) or to a unit below it (a centre's menu
    lists its stations' teams)."""
    if team_fits_unit(team_id, unit_id) is not None:
        return True
    unit = db.session.get(Unit, unit_id)
    return unit is not None and (
        db.session.scalar(
            select(Team.id).where(Team.id == team_id, Team.unit_id.in_(subtree_unit_ids(unit)))
        )
        is not None
    )
