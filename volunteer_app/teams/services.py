"""Teams as an organizer manages them: creating and editing a team, disabling and enabling
it, renewing its join key, and the lists the organizer's pages show.

The callers pass what they reached in scope (``auth.scoping.unit_or_404`` for the unit of
a new team, ``team_or_404`` for a team); the services check the unit again, flush and never
commit, and audit every change ("team.create", "team.update", "team.disable",
"team.enable", "team.renew_key"). Audit entries have no team column: the team's id is in
their old and new values. The join code is never written to the log (only that it
changed), nor the join key.

Memberships (adding, answering, removing, leaders) are teams/membership.py's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Activity, Category
from volunteer_app.audit import services as audit
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import scoped_activities, scoped_teams, visible_unit_ids
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit
from volunteer_app.teams import rules
from volunteer_app.teams.models import (
    MAX_CATEGORIES,
    HostType,
    JoinMode,
    MemberStatus,
    Team,
    TeamKind,
    TeamMember,
    new_join_key,
)
from volunteer_app.teams.rules import TeamError
from volunteer_app.volunteers.models import Volunteer

#: The fields of a team its audit entries record (the join code only as "changed").
AUDITED_FIELDS = (
    "name",
    "kind",
    "host_type",
    "host_name",
    "contact_name",
    "contact_phone",
    "intro",
    "join_mode",
)

#: The team page lists this many of the team's activities, the latest first.
ACTIVITIES_SHOWN = 20


def categories() -> list[Category]:
    """The service categories a team may list, in display order (the activity form's)."""
    return list(db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)))


def _categories(ids: list[int]) -> list[Category]:
    """The categories ``ids`` name, in display order; TeamError("unknown_category") for an
    id of none, "too_many_categories" beyond four."""
    wanted = set(ids)
    if len(wanted) > MAX_CATEGORIES:
        error = TeamError("too_many_categories")
        error.problems = {"categories": error}
        raise error
    found = list(
        db.session.scalars(
            select(Category)
            .where(Category.id.in_(wanted))
            .order_by(Category.sort_order, Category.id)
        )
    )
    if len(found) != len(wanted):
        error = TeamError("unknown_category")
        error.problems = {"categories": error}
        raise error
    return found


def _fields(fields: dict, category_count: int) -> dict:
    """The team's fields validated by ``rules.validate_team_fields`` (TeamError with every
    problem in ``problems``), with its kind and host type."""
    checked = rules.validate_team_fields(
        name=fields.get("name") or "",
        host_name=fields.get("host_name") or "",
        contact_name=fields.get("contact_name") or "",
        contact_phone=fields.get("contact_phone") or "",
        intro=fields.get("intro") or "",
        join_mode=fields.get("join_mode") or JoinMode.APPROVAL.value,
        join_code=fields.get("join_code") or "",
        category_count=category_count,
    )
    return {
        "name": checked.name,
        "kind": TeamKind(fields["kind"]),
        "host_type": HostType(fields["host_type"]),
        "host_name": checked.host_name,
        "contact_name": checked.contact_name,
        "contact_phone": checked.contact_phone,
        "intro": checked.intro,
        "join_mode": JoinMode(checked.join_mode),
        "join_code": checked.join_code,
    }


def _name_taken() -> TeamError:
    """TeamError("name_taken"), shown beside the name field."""
    error = TeamError("name_taken", status=409)
    error.problems = {"name": error}
    return error


def _check_free_name(unit_id: int, name: str, *, team_id: int | None = None) -> None:
    """TeamError("name_taken") when another team of the unit (disabled ones too) has it."""
    query = select(Team.id).where(Team.unit_id == unit_id, Team.name == name)
    if team_id is not None:
        query = query.where(Team.id != team_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise _name_taken()


def _write_unique(change: Callable[[], None]) -> None:
    """Make ``change`` and flush it in a savepoint: a team of the same name written at the
    same moment by someone else (the unique constraint) is "name_taken", not a 500. The
    change is made inside the savepoint, since opening one flushes what is pending."""
    try:
        with db.session.begin_nested():
            change()
            db.session.flush()
    except IntegrityError:
        raise _name_taken() from None


def _check_unit(actor: User, unit: Unit) -> None:
    """Refuse a unit the organizer does not manage, and an archived one."""
    visible = db.session.scalar(
        select(Unit.id).where(Unit.id == unit.id, Unit.id.in_(visible_unit_ids(actor)))
    )
    if visible is None:
        raise TeamError("unit_not_allowed", status=403)
    if unit.is_archived:
        raise TeamError("unit_archived")


def _audit_value(value):
    """A field's value as the audit log keeps it (enums as their national codes)."""
    return getattr(value, "value", value)


def snapshot(team: Team) -> dict:
    """The audited fields of a team, its categories' codes and whether it has a join code."""
    return {
        "team_id": team.id,
        "unit_id": team.unit_id,
        **{name: _audit_value(getattr(team, name)) for name in AUDITED_FIELDS},
        "categories": [c.code for c in team.categories],
        "join_code_set": bool(team.join_code),
    }


def create_team(
    actor: User, unit: Unit, fields: dict, categories: list[int], *, now: datetime
) -> Team:
    """A new team of ``unit`` (one the organizer manages, not archived) with ``fields``
    (the form's: name, kind, host_type, host_name, contact_name, contact_phone, intro,
    join_mode, join_code) and up to four categories by id. Audited "team.create"."""
    _check_unit(actor, unit)
    values = _fields(fields, len(set(categories)))
    chosen = _categories(categories)
    _check_free_name(unit.id, values["name"])
    team = Team(unit=unit, created_by_id=actor.id, created_at=now, **values)
    team.categories = chosen
    _write_unique(lambda: db.session.add(team))
    audit.record("team.create", now=now, actor_user_id=actor.id, new=snapshot(team))
    db.session.flush()
    return team


def _locked(team: Team) -> Team:
    """Re-read the team under a row lock, so a change and its audit entry start from what is
    stored, never from what another request changed meanwhile."""
    db.session.get(Team, team.id, with_for_update={"key_share": True}, populate_existing=True)
    return team


def update_team(
    actor: User, team: Team, fields: dict, categories: list[int], *, now: datetime
) -> Team:
    """Change a team's fields and categories; audited "team.update" with the old and new
    values of what changed (the join code only as ``join_code_changed``), nothing when
    nothing did."""
    _locked(team)
    values = _fields(fields, len(set(categories)))
    chosen = _categories(categories)
    if values["name"] != team.name:
        _check_free_name(team.unit_id, values["name"], team_id=team.id)
    old, new = {}, {}
    for name in AUDITED_FIELDS:
        before, after = _audit_value(getattr(team, name)), _audit_value(values[name])
        if before != after:
            old[name], new[name] = before, after
    before_codes = [c.code for c in team.categories]
    after_codes = [c.code for c in chosen]
    if before_codes != after_codes:
        old["categories"], new["categories"] = before_codes, after_codes
    if values["join_code"] != team.join_code:
        new["join_code_changed"] = True
    if not new:
        return team

    def change() -> None:
        for name in AUDITED_FIELDS:
            setattr(team, name, values[name])
        team.join_code = values["join_code"]
        if "categories" in new:
            team.categories = chosen

    _write_unique(change)
    audit.record(
        "team.update",
        now=now,
        actor_user_id=actor.id,
        old={"team_id": team.id, **old},
        new={"team_id": team.id, **new},
    )
    db.session.flush()
    return team


def disable_team(actor: User, team: Team, *, now: datetime) -> Team:
    """Disable a team: it keeps its members and history, takes no new members and no new
    activities, and its leaders lose their check-in pages. Audited "team.disable"; a
    disabled team stays as it is."""
    _locked(team)
    if team.disabled_at is not None:
        return team
    team.disabled_at = now
    audit.record(
        "team.disable",
        now=now,
        actor_user_id=actor.id,
        old={"team_id": team.id, "disabled": False},
        new={"team_id": team.id, "disabled": True},
    )
    db.session.flush()
    return team


def enable_team(actor: User, team: Team, *, now: datetime) -> Team:
    """Enable a disabled team again. Audited "team.enable"; an active team stays as it is."""
    _locked(team)
    if team.disabled_at is None:
        return team
    team.disabled_at = None
    audit.record(
        "team.enable",
        now=now,
        actor_user_id=actor.id,
        old={"team_id": team.id, "disabled": True},
        new={"team_id": team.id, "disabled": False},
    )
    db.session.flush()
    return team


def renew_join_key(actor: User, team: Team, *, now: datetime) -> Team:
    """Give the team a new join key: every join link and printed card given out stops
    working at once (the join page answers 404). Audited "team.renew_key", without keys."""
    _locked(team)
    team.join_key = new_join_key()
    audit.record(
        "team.renew_key",
        now=now,
        actor_user_id=actor.id,
        new={"team_id": team.id, "renewed": True},
    )
    db.session.flush()
    return team


# --- what the pages show --------------------------------------------------------------------


@dataclass(frozen=True)
class TeamRow:
    """One team of the organizer's list with its members now, its waiting requests and
    its leaders' names."""

    team: Team
    active: int
    pending: int
    leaders: list[str]


def team_rows(actor: User, unit: Unit | None = None) -> list[TeamRow]:
    """The teams the organizer manages (of ``unit`` only, when given), active ones first,
    then by unit and name, with their counts and leaders (deleted accounts left out)."""
    statement = scoped_teams(actor).options(joinedload(Team.unit))
    if unit is not None:
        statement = statement.where(Team.unit_id == unit.id)
    teams = list(
        db.session.scalars(
            statement.join(Unit, Unit.id == Team.unit_id).order_by(
                Team.disabled_at.is_not(None), Unit.level, Unit.name, Team.name, Team.id
            )
        ).unique()
    )
    ids = [team.id for team in teams]
    counted: dict[tuple[int, MemberStatus], int] = {}
    leaders: dict[int, list[str]] = defaultdict(list)
    if ids:
        live = Volunteer.deleted_at.is_(None)
        for team_id, status, count in db.session.execute(
            select(TeamMember.team_id, TeamMember.status, func.count())
            .join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
            .where(TeamMember.team_id.in_(ids), live)
            .group_by(TeamMember.team_id, TeamMember.status)
        ):
            counted[(team_id, status)] = count
        for team_id, name in db.session.execute(
            select(TeamMember.team_id, Volunteer.name)
            .join(Volunteer, Volunteer.id == TeamMember.volunteer_id)
            .where(
                TeamMember.team_id.in_(ids),
                TeamMember.is_leader.is_(True),
                TeamMember.status == MemberStatus.ACTIVE,
                live,
            )
            .order_by(Volunteer.name, Volunteer.id)
        ):
            leaders[team_id].append(name)
    return [
        TeamRow(
            team,
            counted.get((team.id, MemberStatus.ACTIVE), 0),
            counted.get((team.id, MemberStatus.PENDING), 0),
            leaders[team.id],
        )
        for team in teams
    ]


def team_activities(actor: User, team: Team, *, limit: int = ACTIVITIES_SHOWN) -> list[Activity]:
    """The latest activities the team runs that the organizer may see, newest first."""
    return list(
        db.session.scalars(
            scoped_activities(actor)
            .where(Activity.team_id == team.id)
            .order_by(Activity.starts_at.desc(), Activity.id.desc())
            .limit(limit)
        )
    )
