"""Unit services: setting up a district, the tree an organizer sees with its figures, and
adding, changing, moving and archiving units. Every change is audited ("unit.*").

The caller (a route, through ``auth.scoping.unit_or_404``) passes units the actor may see;
the services decide with ``stations.rules`` what the actor may do with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.audit import services as audit
from volunteer_app.auth import rules as account_rules
from volunteer_app.auth.models import Role, User
from volunteer_app.auth.scoping import visible_unit_ids
from volunteer_app.auth.services import create_user
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.extensions import db
from volunteer_app.localtime import local_zone
from volunteer_app.stations import rules
from volunteer_app.stations.models import Unit, UnitLevel
from volunteer_app.stations.rules import Node, UnitError
from volunteer_app.volunteers.models import Volunteer

#: The fields of a unit its audit entries record ("unit.update"; the name is "unit.rename").
DETAIL_FIELDS = ("address", "contact_name", "contact_phone", "intro")


# --- setting up -----------------------------------------------------------------------------


def create_district(
    name: str,
    admin_username: str,
    password: str,
    *,
    confirm: str | None = None,
    now: datetime,
    another: bool = False,
) -> tuple[Unit, User]:
    """Create the district unit and its first district admin in an empty database.

    UnitError("district_exists") once there is a district, unless ``another``: an instance
    serving a city's districts holds several, each a tree of its own whose admin reaches
    no other (``auth.scoping``); two districts never share a name ("district_name_taken").
    The password follows the rules of an organizer's own password
    (``auth.rules.validate_new_password``). Audited ("unit.create", "account.create") with
    no actor: it is done on the server.
    """
    existing = db.session.scalars(select(Unit.name).where(Unit.level == UnitLevel.DISTRICT))
    names = set(existing)
    if names and not another:
        raise UnitError("district_exists")
    name = rules.validate_name(name)
    if name in names:
        raise UnitError("district_name_taken")
    username = rules.validate_username(admin_username)
    account_rules.validate_new_password(
        password, password if confirm is None else confirm, username=username, current=""
    )
    district = Unit(name=name, level=UnitLevel.DISTRICT, created_at=now)
    db.session.add(district)
    db.session.flush()
    admin = create_user(username, password, role=Role.DISTRICT_ADMIN, unit=district)
    audit.record("unit.create", now=now, new=_snapshot(district))
    audit.record(
        "account.create",
        now=now,
        new={"username": admin.username, "role": admin.role.value, "unit_id": district.id},
    )
    db.session.flush()
    return district, admin


# --- the tree and its figures ---------------------------------------------------------------


@dataclass
class UnitTree:
    """The units an organizer sees, as trees, with each unit's figures for this year."""

    roots: list[Node]
    units: dict[int, Unit]
    year: int


def unit_tree(actor: User, *, now: datetime) -> UnitTree:
    """The actor's units (archived ones too) with their figures, summed over each subtree:
    live stations, active organizer accounts, live volunteers registered there, and this
    local year's activities (cancelled ones aside) and confirmed minutes.

    Five statements whatever the size of the tree: the units, then one grouped count per
    figure.
    """
    visible = visible_unit_ids(actor)
    units = list(
        db.session.scalars(select(Unit).where(Unit.id.in_(visible)).order_by(Unit.level, Unit.name))
    )
    start, end = rules.year_bounds(now, local_zone())
    held = [
        Activity.unit_id.in_(visible),
        Activity.starts_at >= start,
        Activity.starts_at < end,
        Activity.status != ActivityStatus.CANCELLED,
    ]
    own = {
        "organizers": _grouped(
            select(User.unit_id, func.count(User.id))
            .where(User.unit_id.in_(visible), User.is_active.is_(True))
            .group_by(User.unit_id)
        ),
        "volunteers": _grouped(
            select(Volunteer.registered_unit_id, func.count(Volunteer.id))
            .where(Volunteer.registered_unit_id.in_(visible), Volunteer.deleted_at.is_(None))
            .group_by(Volunteer.registered_unit_id)
        ),
        "activities": _grouped(
            select(Activity.unit_id, func.count(Activity.id))
            .where(*held)
            .group_by(Activity.unit_id)
        ),
        "confirmed_minutes": _grouped(
            select(Activity.unit_id, func.sum(CheckIn.minutes))
            .join(CheckIn, CheckIn.activity_id == Activity.id)
            .where(*held, CheckIn.status == HoursStatus.CONFIRMED)
            .group_by(Activity.unit_id)
        ),
    }
    rows = [(u.id, u.parent_id, u.level.value, u.is_archived) for u in _tree_order(units)]
    return UnitTree(
        roots=rules.compute_tree(rows, own),
        units={u.id: u for u in units},
        year=now.astimezone(local_zone()).year,
    )


def _grouped(statement) -> dict[int, int]:
    return {unit_id: int(value or 0) for unit_id, value in db.session.execute(statement)}


def _tree_order(units: list[Unit]) -> list[Unit]:
    """Live units before archived ones, each by name (children keep this order)."""
    return sorted(units, key=lambda u: (u.is_archived, u.name))


def children_of(unit: Unit) -> list[Unit]:
    """The units right under ``unit``: live ones first, each by name."""
    return _tree_order(list(unit.children))


def move_targets(actor: User, unit: Unit) -> list[Unit]:
    """Where the actor may move ``unit``: their live centres (and the district) other than
    its parent. Empty for anything but a station, and for a centre organizer (their only
    centre is the station's parent already)."""
    if unit.level != UnitLevel.STATION:
        return []
    return list(
        db.session.scalars(
            select(Unit)
            .where(
                Unit.id.in_(visible_unit_ids(actor)),
                Unit.level.in_([UnitLevel.DISTRICT, UnitLevel.CENTRE]),
                Unit.archived_at.is_(None),
                Unit.id != unit.parent_id,
            )
            .order_by(Unit.level, Unit.name)
        )
    )


def may_manage(actor: User, unit: Unit) -> bool:
    """Whether the actor may change this unit they see (pages show or hide its forms)."""
    return rules.may_manage(actor.role.value, is_own_unit=unit.id == actor.unit_id)


def may_add_under(unit: Unit) -> bool:
    """Whether a unit may be added under ``unit`` (a live district or centre)."""
    return bool(rules.child_levels(unit.level.value)) and not unit.is_archived


# --- changes --------------------------------------------------------------------------------


def _snapshot(unit: Unit) -> dict:
    return {
        "unit_id": unit.id,
        "name": unit.name,
        "level": unit.level.value,
        "parent_id": unit.parent_id,
        **{name: getattr(unit, name) for name in DETAIL_FIELDS},
    }


def _check_free_name(parent_id: int | None, name: str, *, unit_id: int | None = None) -> None:
    """UnitError("name_taken") when a sibling (archived ones too) has this name."""
    query = select(Unit.id).where(Unit.parent_id == parent_id, Unit.name == name)
    if unit_id is not None:
        query = query.where(Unit.id != unit_id)
    if db.session.scalar(query.limit(1)) is not None:
        raise UnitError("name_taken")


def _flush_unique() -> None:
    """Flush in a savepoint: a sibling of the same name written at the same moment by
    someone else (the unique constraint) is "name_taken", not a 500."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise UnitError("name_taken") from None


def _locked(unit: Unit) -> Unit:
    """Re-read the unit under a row lock (PostgreSQL), so a change and its audit entry start
    from what is stored, never from what another request changed meanwhile."""
    db.session.get(Unit, unit.id, with_for_update={"key_share": True}, populate_existing=True)
    return unit


def add_unit(
    actor: User,
    parent: Unit,
    *,
    name: str,
    level: str,
    address: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    intro: str = "",
    now: datetime,
) -> Unit:
    """Add a unit under ``parent`` (one the actor sees), audited "unit.create"."""
    rules.validate_new_unit(parent.level.value, level, parent_archived=parent.is_archived)
    name = rules.validate_name(name)
    _check_free_name(parent.id, name)
    unit = Unit(
        name=name,
        level=UnitLevel(level),
        parent_id=parent.id,
        address=(address or "").strip(),
        contact_name=(contact_name or "").strip(),
        contact_phone=rules.validate_phone(contact_phone),
        intro=(intro or "").strip(),
        created_at=now,
    )
    db.session.add(unit)
    _flush_unique()
    audit.record("unit.create", now=now, actor_user_id=actor.id, new=_snapshot(unit))
    db.session.flush()
    return unit


def update_unit(
    actor: User,
    unit: Unit,
    *,
    name: str,
    address: str,
    contact_name: str,
    contact_phone: str,
    intro: str,
    now: datetime,
) -> Unit:
    """Change a unit's name and details; audited "unit.rename" for the name and
    "unit.update" for the other fields that changed (nothing when nothing did)."""
    _locked(unit)
    rules.validate_manage(
        actor.role.value, is_own_unit=unit.id == actor.unit_id, is_archived=unit.is_archived
    )
    name = rules.validate_name(name)
    details = {
        "address": (address or "").strip(),
        "contact_name": (contact_name or "").strip(),
        "contact_phone": rules.validate_phone(contact_phone),
        "intro": (intro or "").strip(),
    }
    old_name = unit.name
    if name != old_name:
        _check_free_name(unit.parent_id, name, unit_id=unit.id)
        unit.name = name
        _flush_unique()
        audit.record(
            "unit.rename",
            now=now,
            actor_user_id=actor.id,
            old={"unit_id": unit.id, "name": old_name},
            new={"unit_id": unit.id, "name": name},
        )
    changed = {key: value for key, value in details.items() if getattr(unit, key) != value}
    if changed:
        old = {key: getattr(unit, key) for key in changed}
        for key, value in changed.items():
            setattr(unit, key, value)
        audit.record(
            "unit.update",
            now=now,
            actor_user_id=actor.id,
            old={"unit_id": unit.id, **old},
            new={"unit_id": unit.id, **changed},
        )
    db.session.flush()
    return unit


def move_unit(actor: User, unit: Unit, target_id: int, *, now: datetime) -> Unit:
    """Move a station under another of the actor's centres (or the district), audited
    "unit.move". A target the actor does not see is refused like an archived one."""
    _locked(unit)
    rules.validate_manage(
        actor.role.value, is_own_unit=unit.id == actor.unit_id, is_archived=unit.is_archived
    )
    target = db.session.scalar(
        select(Unit).where(Unit.id == target_id, Unit.id.in_(visible_unit_ids(actor)))
    )
    if target is None or target.id in (unit.id, unit.parent_id):
        raise UnitError("move_target_invalid")
    rules.validate_move(unit.level.value, target.level.value, target_archived=target.is_archived)
    _check_free_name(target.id, unit.name, unit_id=unit.id)
    old_parent = unit.parent_id
    unit.parent_id = target.id
    _flush_unique()
    db.session.expire(unit, ["parent"])
    audit.record(
        "unit.move",
        now=now,
        actor_user_id=actor.id,
        old={"unit_id": unit.id, "parent_id": old_parent},
        new={"unit_id": unit.id, "parent_id": target.id},
    )
    db.session.flush()
    return unit


def archive_unit(actor: User, unit: Unit, *, now: datetime) -> Unit:
    """Archive a unit, audited "unit.archive": it keeps its history, reports and
    certificates and takes no new activities. Refused while live units are under it.

    ``UPDATE … WHERE archived_at IS NULL``: two organizers archiving it at the same moment
    write one entry.
    """
    rules.validate_manage(
        actor.role.value, is_own_unit=unit.id == actor.unit_id, is_archived=unit.is_archived
    )
    live_children = db.session.scalar(
        select(func.count(Unit.id)).where(Unit.parent_id == unit.id, Unit.archived_at.is_(None))
    )
    rules.validate_archive(unit.level.value, live_children=live_children or 0)
    changed = db.session.execute(
        update(Unit)
        .where(Unit.id == unit.id, Unit.archived_at.is_(None))
        .values(archived_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(unit)
    if changed.rowcount != 1:
        return unit
    audit.record(
        "unit.archive",
        now=now,
        actor_user_id=actor.id,
        new={"unit_id": unit.id, "name": unit.name, "archived_at": now.isoformat()},
    )
    db.session.flush()
    return unit


def restore_unit(actor: User, unit: Unit, *, now: datetime) -> Unit:
    """Bring an archived unit back, audited "unit.restore": it takes new activities again
    and comes back to the forms' lists. Refused while the unit above it is archived.

    ``UPDATE … WHERE archived_at IS NOT NULL``: two organizers restoring it at the same
    moment write one entry.
    """
    rules.validate_manage(actor.role.value, is_own_unit=unit.id == actor.unit_id, is_archived=False)
    rules.validate_restore(
        is_archived=unit.is_archived,
        parent_archived=unit.parent is not None and unit.parent.is_archived,
    )
    archived_at = unit.archived_at
    changed = db.session.execute(
        update(Unit)
        .where(Unit.id == unit.id, Unit.archived_at.is_not(None))
        .values(archived_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(unit)
    if changed.rowcount != 1:
        return unit
    audit.record(
        "unit.restore",
        now=now,
        actor_user_id=actor.id,
        old={"unit_id": unit.id, "name": unit.name, "archived_at": archived_at.isoformat()},
        new={"unit_id": unit.id, "name": unit.name, "archived_at": None},
    )
    db.session.flush()
    return unit
