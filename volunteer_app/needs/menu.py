"""The service menu (服务菜单 / 项目库): the organizers' items, and booking one.

An organizer adds items to the menu of one of their units: a service one of the teams they
reach provides (``menu_rules.validate_item`` decides what is valid), edits, withdraws and
restores them; each change is audited ("menu.create", "menu.update", "menu.withdraw",
"menu.restore", with the item's id in the values). A station's residents see the live
items of the station and of the units above it (its 所, its 中心) on the order form.

Booking takes one of an item's ``remaining`` times in one conditional UPDATE (``book``):
``remaining - 1 WHERE (remaining IS NULL OR remaining > 0) AND withdrawn_at IS NULL``. The
database decides, so two residents ordering the last time at once make one order and one
"fully booked": on PostgreSQL the second UPDATE waits for the first's row lock and then
finds nothing left; on SQLite writers take turns. A withdrawn or rejected order gives its
time back (``release``). Services flush, the request edge commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Category
from volunteer_app.audit import services as audit
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import (
    lineage_unit_ids,
    scoped_teams,
    team_serves_unit,
)
from volunteer_app.extensions import db
from volunteer_app.needs import menu_rules
from volunteer_app.needs.menu_rules import ItemFields, MenuError
from volunteer_app.needs.models import ServiceItem
from volunteer_app.stations.models import Unit
from volunteer_app.teams.models import Team

#: The item's fields an "menu.update" entry compares.
AUDITED_FIELDS = ("unit_id", "team_id", "category_id", "title", "description", "audience")


def _reachable_team(actor: User, team_id: int | None) -> Team | None:
    """Team ``team_id`` if ``actor`` may name it as a provider: one of their units' teams, or
    a team of a unit above their own (as for an activity's team); None otherwise, so that
    another centre's team reads as no team at all."""
    if team_id is None:
        return None
    team = db.session.get(Team, team_id)
    if team is None:
        return None
    mine = db.session.scalar(scoped_teams(actor).where(Team.id == team_id)) is not None
    above = actor.unit_id is not None and (
        db.session.scalar(
            select(Unit.id).where(
                Unit.id == team.unit_id, Unit.id.in_(lineage_unit_ids(actor.unit_id))
            )
        )
        is not None
    )
    return team if mine or above else None


def check_item(
    actor: User,
    unit: Unit,
    *,
    team_id: int | None,
    category_id: int | None,
    title: str,
    description: str,
    audience: str,
    remaining: int | None,
) -> ItemFields:
    """The item's fields, validated against the database's answers (the team's reach, the
    category); a MenuError with every problem otherwise."""
    team = _reachable_team(actor, team_id)
    category = db.session.get(Category, category_id) if category_id is not None else None
    return menu_rules.validate_item(
        title=title,
        description=description,
        audience=audience,
        remaining=remaining,
        has_team=team is not None,
        team_active=team is not None and team.disabled_at is None,
        team_in_reach=team is not None and team_serves_unit(team.id, unit.id),
        has_category=category is not None,
    )


def snapshot(item: ServiceItem) -> dict:
    """What an audit entry keeps of an item."""
    return {
        "item_id": item.id,
        "unit_id": item.unit_id,
        "team_id": item.team_id,
        "category_id": item.category_id,
        "title": item.title,
        "audience": item.audience,
        "remaining": item.remaining,
    }


def create_item(
    actor: User,
    unit: Unit,
    *,
    team_id: int | None,
    category_id: int | None,
    title: str,
    description: str = "",
    audience: str = menu_rules.DEFAULT_AUDIENCE,
    remaining: int | None = None,
    now: datetime,
) -> ServiceItem:
    """A new item on the menu of ``unit`` (one ``actor`` manages, already scoped). Audited
    "menu.create"."""
    fields = check_item(
        actor,
        unit,
        team_id=team_id,
        category_id=category_id,
        title=title,
        description=description,
        audience=audience,
        remaining=remaining,
    )
    item = ServiceItem(
        unit_id=unit.id,
        team_id=team_id,
        category_id=category_id,
        title=fields.title,
        description=fields.description,
        audience=fields.audience,
        remaining=fields.remaining,
        created_by_id=actor.id,
        created_at=now,
    )
    db.session.add(item)
    db.session.flush()
    audit.record("menu.create", now=now, actor_user_id=actor.id, new=snapshot(item))
    db.session.flush()
    return item


def _locked(item: ServiceItem) -> ServiceItem:
    """The item's row, locked for this transaction and read afresh (a booking may have
    changed ``remaining`` meanwhile)."""
    return db.session.get(ServiceItem, item.id, with_for_update=True, populate_existing=True)


def update_item(
    actor: User,
    item: ServiceItem,
    unit: Unit,
    *,
    team_id: int | None,
    category_id: int | None,
    title: str,
    description: str = "",
    audience: str = menu_rules.DEFAULT_AUDIENCE,
    remaining: int | None = None,
    now: datetime,
) -> ServiceItem:
    """Change an item (moved to ``unit``, already scoped); audited "menu.update" with the
    old and new values of what changed, nothing when nothing did. Orders already made from
    it keep what they were made with."""
    item = _locked(item)
    fields = check_item(
        actor,
        unit,
        team_id=team_id,
        category_id=category_id,
        title=title,
        description=description,
        audience=audience,
        remaining=remaining,
    )
    values = {
        "unit_id": unit.id,
        "team_id": team_id,
        "category_id": category_id,
        "title": fields.title,
        "description": fields.description,
        "audience": fields.audience,
        "remaining": fields.remaining,
    }
    old, new = {}, {}
    for name, after in values.items():
        before = getattr(item, name)
        if before != after:
            old[name], new[name] = before, after
    if not new:
        return item
    for name, after in values.items():
        setattr(item, name, after)
    audit.record(
        "menu.update",
        now=now,
        actor_user_id=actor.id,
        old={"item_id": item.id, **old},
        new={"item_id": item.id, **new},
    )
    db.session.flush()
    return item


def withdraw_item(actor: User, item: ServiceItem, *, now: datetime) -> ServiceItem:
    """Take an item off the menu: residents no longer see or book it; orders made from it
    go on. Audited "menu.withdraw"; a withdrawn item stays as it is."""
    item = _locked(item)
    if item.withdrawn_at is not None:
        return item
    item.withdrawn_at = now
    audit.record(
        "menu.withdraw",
        now=now,
        actor_user_id=actor.id,
        old={"item_id": item.id, "withdrawn": False},
        new={"item_id": item.id, "withdrawn": True},
    )
    db.session.flush()
    return item


def restore_item(actor: User, item: ServiceItem, *, now: datetime) -> ServiceItem:
    """Put a withdrawn item back on the menu. Audited "menu.restore"; a live item stays."""
    item = _locked(item)
    if item.withdrawn_at is None:
        return item
    item.withdrawn_at = None
    audit.record(
        "menu.restore",
        now=now,
        actor_user_id=actor.id,
        old={"item_id": item.id, "withdrawn": True},
        new={"item_id": item.id, "withdrawn": False},
    )
    db.session.flush()
    return item


# --- the residents' side ----------------------------------------------------------------------


def station_menu(station_id: int) -> Select:
    """A SELECT of the live items a station's residents may order: those of the station and
    of the units above it, fully booked ones included (shown as such), by title."""
    return (
        select(ServiceItem)
        .options(
            joinedload(ServiceItem.team),
            joinedload(ServiceItem.unit),
            joinedload(ServiceItem.category),
        )
        .where(
            ServiceItem.unit_id.in_(lineage_unit_ids(station_id)),
            ServiceItem.withdrawn_at.is_(None),
        )
        .order_by(ServiceItem.title, ServiceItem.id)
    )


def offered_at(station_id: int, item_id: int) -> ServiceItem | None:
    """Item ``item_id`` if it is on the menu of station ``station_id`` or a unit above it
    (withdrawn or not), else None."""
    return db.session.scalar(
        select(ServiceItem).where(
            ServiceItem.id == item_id, ServiceItem.unit_id.in_(lineage_unit_ids(station_id))
        )
    )


def book(item_id: int, station_id: int) -> ServiceItem:
    """Take one of the item's bookable times for an order placed at ``station_id``, in one
    conditional UPDATE (the module docstring); MenuError "not_here", "withdrawn" or
    "fully_booked" when it cannot be booked, and nothing changed."""
    item = offered_at(station_id, item_id)
    menu_rules.validate_booking(
        withdrawn=item is not None and item.withdrawn_at is not None,
        remaining=item.remaining if item is not None else None,
        offered_here=item is not None,
    )
    taken = db.session.execute(
        update(ServiceItem)
        .where(
            ServiceItem.id == item_id,
            (ServiceItem.remaining.is_(None)) | (ServiceItem.remaining > 0),
            ServiceItem.withdrawn_at.is_(None),
        )
        .values(remaining=ServiceItem.remaining - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(item)
    if taken.rowcount != 1:
        # someone else took the last time (or withdrew the item) since it was read
        menu_rules.validate_booking(
            withdrawn=item.withdrawn_at is not None, remaining=item.remaining, offered_here=True
        )
        raise MenuError("fully_booked", status=409)  # the rule above raises first
    return item


def release(item_id: int) -> None:
    """Give back the time an order took from item ``item_id`` (its order was withdrawn or
    rejected); an unlimited item has nothing to give back."""
    db.session.execute(
        update(ServiceItem)
        .where(ServiceItem.id == item_id, ServiceItem.remaining.is_not(None))
        .values(remaining=ServiceItem.remaining + 1)
        .execution_options(synchronize_session=False)
    )
    item = db.session.get(ServiceItem, item_id)
    if item is not None:
        db.session.refresh(item)
