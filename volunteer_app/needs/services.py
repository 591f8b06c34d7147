"""Residents' orders (点单): placing one, each step of its cycle, the rating and the urging,
each logged as a ``NeedEvent`` in the caller's transaction (services flush, the edge
commits).

The rules decide (``needs/rules.py``); here the order is locked (``_locked``: ``FOR UPDATE``
on PostgreSQL, SQLite's one writer), its status read again and the step applied, so two
organizers answering one order at once make one step and one event, and the second is told
the order has moved on ("wrong_status"). Who may act is decided by the caller's role for
the order (``Role``), which the routes find through the scoping helpers: organizers of the
unit holding it or above, the leaders of the team it was dispatched to, the resident by the
tracking link.

Taking an order makes its activity: the team's, published, for the team's members only,
at the time the resident wanted (``rules.compute_service_time``). Its place names the
station and says it is a home visit, never the resident's address, since activities are
public; the address stays on the order, for the organizers and the team handling it.

An order from the service menu (``submit(menu_item=...)``) takes one of the item's times
first (``menu.book``, one conditional UPDATE); rejecting or withdrawing it gives the time
back (``menu.release``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.audit import services as audit
from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import User
from volunteer_app.extensions import db
from volunteer_app.localtime import local_to_utc, utc_to_local
from volunteer_app.needs import menu, rules
from volunteer_app.needs.models import (
    DayPart,
    Need,
    NeedEvent,
    NeedPolicy,
    NeedRating,
    NeedStatus,
    ServiceItem,
)
from volunteer_app.needs.rules import NeedError, OrderFields, Role, Step
from volunteer_app.stations.models import Unit
from volunteer_app.teams.models import Team
from volunteer_app.volunteers.models import Volunteer


@dataclass(frozen=True)
class Actor:
    """Who takes a step, and in which role for this order."""

    role: Role
    user: User | None = None
    leader: Volunteer | None = None

    @classmethod
    def resident(cls) -> Actor:
        """The resident, by the order's tracking link."""
        return cls(Role.RESIDENT)

    @classmethod
    def organizer(cls, user: User) -> Actor:
        """An organizer of the unit holding the order (or one above it)."""
        return cls(Role.ORGANIZER, user=user)

    @classmethod
    def team_leader(cls, leader: Volunteer) -> Actor:
        """A leader of the team the order was dispatched to."""
        return cls(Role.LEADER, leader=leader)

    @classmethod
    def system(cls) -> Actor:
        """The app itself (the order's activity began)."""
        return cls(Role.SYSTEM)


def _log(
    need: Need,
    action: str,
    actor: Actor,
    *,
    before: NeedStatus | None,
    now: datetime,
    note: str = "",
) -> NeedEvent:
    """Append one event to the order's log."""
    event = NeedEvent(
        need_id=need.id,
        action=action,
        from_status=before,
        to_status=need.status,
        at=now,
        actor_user_id=actor.user.id if actor.user else None,
        actor_volunteer_id=actor.leader.id if actor.leader else None,
        by_resident=actor.role == Role.RESIDENT,
        unit_id=need.unit_id,
        team_id=need.team_id,
        note=note,
    )
    db.session.add(event)
    return event


def submit(
    station: Unit,
    fields: OrderFields,
    *,
    category_id: int,
    wanted_part: DayPart | None = None,
    proxy: User | None = None,
    proxy_note: str = "",
    menu_item: ServiceItem | None = None,
    now: datetime,
) -> Need:
    """Place an order at ``station`` (the resident's own, or by ``proxy`` for a resident
    without a smartphone: marked so, with who placed it). Logged "submit".

    An order from the menu (``menu_item``) takes one of the item's bookable times first
    (``menu.book``: MenuError "fully_booked" or "withdrawn", and no order, when it cannot)."""
    if menu_item is not None:
        menu.book(menu_item.id, station.id)
    need = Need(
        station_id=station.id,
        unit_id=station.id,
        status=NeedStatus.SUBMITTED,
        category_id=category_id,
        title=fields.title,
        description=fields.description,
        address=fields.address,
        wanted_date=fields.wanted_date,
        wanted_part=wanted_part,
        expected_minutes=fields.expected_minutes,
        notes=fields.notes,
        contact_name=fields.contact_name,
        contact_phone=fields.contact_phone,
        proxy_user_id=proxy.id if proxy else None,
        proxy_note=proxy_note.strip() if proxy else "",
        menu_item_id=menu_item.id if menu_item is not None else None,
        created_at=now,
        changed_at=now,
    )
    db.session.add(need)
    db.session.flush()
    actor = Actor.organizer(proxy) if proxy else Actor.resident()
    _log(need, "submit", actor, before=None, now=now, note=need.proxy_note)
    db.session.flush()
    return need


def _locked(need: Need) -> Need:
    """The order's row, locked for this transaction and read afresh."""
    return db.session.get(Need, need.id, with_for_update=True, populate_existing=True)


def take_step(
    need: Need,
    step: Step,
    actor: Actor,
    *,
    note: str = "",
    team: Team | None = None,
    take_by: datetime | None = None,
    now: datetime,
) -> Need:
    """Take one step of the order's cycle as ``actor`` (``rules.compute_step`` decides) and
    log it; taking it makes its activity (``Need.activity``)."""
    need = _locked(need)
    before = need.status
    above = db.session.get(Unit, need.unit_id).parent_id if step == Step.ESCALATE else None
    target, kept = rules.compute_step(
        before,
        step,
        actor.role,
        note=note,
        has_unit_above=above is not None,
        team_id=team.id if team else None,
        take_by=take_by,
        now=now,
    )
    need.status = target
    need.changed_at = now
    if step == Step.ACCEPT:
        need.accepted_at = now
    elif step == Step.REJECT:
        need.rejection_reason = kept
    elif step == Step.ESCALATE:
        need.unit_id = above
    elif step == Step.DISPATCH:
        need.team_id, need.take_by, need.dispatched_at = team.id, take_by, now
        need.accepted_at = need.accepted_at or now
    elif step == Step.DECLINE:
        need.take_by = None
    elif step == Step.TAKE:
        need.taken_at = now
        need.activity_id = _make_activity(need, actor, now=now).id
    elif step == Step.COMPLETE:
        need.completed_at, need.completion_note = now, kept
    if step in (Step.REJECT, Step.WITHDRAW) and need.menu_item_id is not None:
        menu.release(need.menu_item_id)  # ended unserved: the menu's time is free again
    _log(need, step.value, actor, before=before, now=now, note=kept)
    if step == Step.DECLINE:
        need.team_id = None  # logged above with the team that declined it
    db.session.flush()
    return need


def start_due(now: datetime) -> int:
    """Put in service (服务中) every taken order whose activity has begun, as the app
    itself; the number started. Safe to repeat and to race: each order is locked and a
    step the order has moved past is skipped."""
    due = db.session.scalars(
        select(Need)
        .join(Activity, Activity.id == Need.activity_id)
        .where(
            Need.status == NeedStatus.TAKEN,
            Activity.starts_at <= now,
            Activity.status.in_((ActivityStatus.PUBLISHED, ActivityStatus.FINISHED)),
        )
        .order_by(Need.id)
    ).all()
    started = 0
    for need in due:
        try:
            take_step(need, Step.START, Actor.system(), now=now)
        except NeedError:
            continue  # taken further (completed) meanwhile
        started += 1
    return started


def _make_activity(need: Need, actor: Actor, *, now: datetime) -> Activity:
    """The activity a taken order is served by (see the module docstring). Audited
    "activity.create" as the one who took the order."""
    station = db.session.get(Unit, need.station_id)
    day, start, minutes = rules.compute_service_time(
        need.wanted_date,
        need.wanted_part.value if need.wanted_part else None,
        need.expected_minutes,
        taken_on=utc_to_local(now).date(),
    )
    starts_at = local_to_utc(datetime.combine(day, start))
    place = _("%(station)s · home visit", station=station.name) if need.address else station.name
    activity = Activity(
        title=need.title,
        category_id=need.category_id,
        unit_id=need.station_id,
        place=place,
        description=need.description,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        status=ActivityStatus.PUBLISHED,
        team_id=need.team_id,
        members_only=True,
        created_by_id=actor.user.id if actor.user else None,
        created_at=now,
    )
    db.session.add(activity)
    db.session.flush()
    audit.record(
        "activity.create",
        now=now,
        actor_user_id=actor.user.id if actor.user else None,
        actor_volunteer_id=actor.leader.id if actor.leader else None,
        activity_id=activity.id,
        new={"need_id": need.id, "title": activity.title, "team_id": activity.team_id},
    )
    return activity


def rate(
    need: Need, *, quality: int | None, attitude: int | None, comment: str = "", now: datetime
) -> NeedRating:
    """The resident's one rating of a completed order (评单); logged "rate"."""
    rating = rules.validate_rating(quality, attitude, comment)
    need = take_step(need, Step.RATE, Actor.resident(), now=now)
    row = NeedRating(
        need_id=need.id,
        quality=rating.quality,
        attitude=rating.attitude,
        comment=rating.comment,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # pragma: no cover - the order's lock lets one rating through
        raise NeedError("wrong_status") from None
    return row


def urge(need: Need, *, now: datetime) -> NeedEvent:
    """The resident's 催单: at most once a calendar day while the order waits."""
    need = _locked(need)
    rules.validate_urge(
        need.status,
        last_urged_on=utc_to_local(need.urged_at).date() if need.urged_at else None,
        today=utc_to_local(now).date(),
    )
    need.urged_at = now
    event = _log(need, "urge", Actor.resident(), before=need.status, now=now)
    db.session.flush()
    return event


#: What an erased order's contact reads as.
ERASED = "已删除"


def erase_contact(need: Need, *, now: datetime) -> Need:
    """The resident erases their name, number and address from an ended order (PIPL); the
    order, its log and its rating stay for the figures. Logged "erase"."""
    need = _locked(need)
    rules.validate_erase(need.status, erased=need.erased_at is not None)
    need.contact_name, need.contact_phone, need.address = ERASED, "", ""
    need.erased_at = now
    _log(need, "erase", Actor.resident(), before=need.status, now=now)
    db.session.flush()
    return need


def export_for_resident(need: Need) -> dict:
    """Everything the order holds about the resident and its course, for their export."""
    return {
        "title": need.title,
        "station": need.station.name,
        "category": need.category.code,
        "status": need.status.value,
        "description": need.description,
        "address": need.address,
        "wanted_date": need.wanted_date.isoformat() if need.wanted_date else None,
        "wanted_part": need.wanted_part.value if need.wanted_part else None,
        "expected_minutes": need.expected_minutes,
        "notes": need.notes,
        "contact_name": need.contact_name,
        "contact_phone": need.contact_phone,
        "created_at": need.created_at.isoformat(),
        "rejection_reason": need.rejection_reason,
        "completion_note": need.completion_note,
        "rating": (
            {
                "quality": need.rating.quality,
                "attitude": need.rating.attitude,
                "comment": need.rating.comment,
            }
            if need.rating
            else None
        ),
        "log": [
            {"action": e.action, "status": e.to_status.value, "at": e.at.isoformat()}
            for e in log_of(need)
        ],
    }


def log_of(need: Need) -> list[NeedEvent]:
    """The order's log, oldest first."""
    return list(
        db.session.scalars(
            select(NeedEvent).where(NeedEvent.need_id == need.id).order_by(NeedEvent.id)
        )
    )


def by_tracking_key(key: str) -> Need | None:
    """The order a resident's tracking link names, or None."""
    return db.session.scalar(select(Need).where(Need.tracking_key == key))


def _placed_facts(unit_ids, start: datetime, end: datetime) -> tuple[list, list, list]:
    """The facts the figures are folded from, for the orders placed at ``unit_ids``'
    stations in [start, end): the orders (id, station, times), their log's (order, step)
    pairs and their ratings (order, stars). Three statements, whatever the units."""
    placed = [Need.station_id.in_(unit_ids), Need.created_at >= start, Need.created_at < end]
    orders = db.session.execute(
        select(
            Need.id,
            Need.station_id,
            Need.created_at,
            Need.accepted_at,
            Need.dispatched_at,
            Need.completed_at,
        ).where(*placed)
    ).all()
    events = db.session.execute(
        select(NeedEvent.need_id, NeedEvent.action)
        .join(Need, Need.id == NeedEvent.need_id)
        .where(*placed)
    ).all()
    ratings = db.session.execute(
        select(NeedRating.need_id, NeedRating.quality, NeedRating.attitude)
        .join(Need, Need.id == NeedRating.need_id)
        .where(*placed)
    ).all()
    return orders, events, ratings


def _fold(orders, events, ratings) -> rules.Figures:
    """The figures of some orders from their facts (``_placed_facts``)."""
    did: dict[str, set[int]] = {}
    for need_id, action in events:
        did.setdefault(action, set()).add(need_id)
    accepted = {n.id for n in orders if n.accepted_at is not None}
    return rules.Figures(
        received=len(orders),
        rejected=len(did.get("reject", set())),
        accepted=len(accepted),
        withdrawn=len(accepted & did.get("withdraw", set())),
        dispatched=len(did.get("dispatch", set())),
        taken=len(did.get("take", set())),
        completed=sum(1 for n in orders if n.completed_at is not None),
        rated=len(ratings),
        satisfied=sum(1 for r in ratings if rules.is_satisfied(r.quality, r.attitude)),
        hours_to_accept=rules.median_hours(
            [n.accepted_at - n.created_at for n in orders if n.accepted_at]
        ),
        hours_to_dispatch=rules.median_hours(
            [n.dispatched_at - n.created_at for n in orders if n.dispatched_at]
        ),
        hours_to_complete=rules.median_hours(
            [n.completed_at - n.created_at for n in orders if n.completed_at]
        ),
    )


def figures(unit_ids, start: datetime, end: datetime) -> rules.Figures:
    """The order figures of the orders placed at ``unit_ids``' stations in [start, end).

    Orders are read whole: a district receives hundreds a year, not the millions of its
    check-ins, so the rates and medians are computed here rather than in SQL."""
    return _fold(*_placed_facts(unit_ids, start, end))


def no_figures() -> rules.Figures:
    """The figures of no orders at all (zeros, no rates, no medians)."""
    return _fold([], [], [])


def figures_by(
    unit_ids, start: datetime, end: datetime, group_of: Callable[[int], Hashable | None]
) -> dict[Hashable, rules.Figures]:
    """``figures`` of the same orders, by group: ``group_of(station_id)`` names the group of
    the orders placed at each station (None leaves them out). The same three statements as
    one ``figures`` (an export's line per unit costs no query per unit), folded the same
    way, so each group's figures are what ``figures`` gives for its stations. Groups
    without orders are absent."""
    orders, events, ratings = _placed_facts(unit_ids, start, end)
    group_by_need = {}
    grouped: dict[Hashable, tuple[list, list, list]] = {}
    for order in orders:
        group = group_of(order.station_id)
        if group is None:
            continue
        group_by_need[order.id] = group
        grouped.setdefault(group, ([], [], []))[0].append(order)
    for event in events:
        if event.need_id in group_by_need:
            grouped[group_by_need[event.need_id]][1].append(event)
    for rating in ratings:
        if rating.need_id in group_by_need:
            grouped[group_by_need[rating.need_id]][2].append(rating)
    return {group: _fold(*facts) for group, facts in grouped.items()}


# --- deadlines (need_policies) ------------------------------------------------------------


@dataclass(frozen=True)
class Governing:
    """The policy governing a unit's orders and where it comes from: the row of the unit
    itself, of its centre or of its district (``source``), or the defaults (``source`` is
    None and ``policy`` an unsaved row holding them)."""

    policy: NeedPolicy
    source: Unit | None

    @property
    def is_default(self) -> bool:
        """Whether no unit above (or the unit itself) has set one."""
        return self.source is None


def default_policy() -> NeedPolicy:
    """An unsaved policy holding the defaults (no national value exists)."""
    return NeedPolicy(
        respond_hours=rules.DEFAULT_RESPOND_HOURS,
        dispatch_hours=rules.DEFAULT_DISPATCH_HOURS,
        take_hours=rules.DEFAULT_TAKE_HOURS,
    )


def _lineage(unit: Unit) -> list[Unit]:
    """The unit and the units above it, nearest first."""
    chain = []
    while unit is not None:
        chain.append(unit)
        unit = unit.parent
    return chain


def governing_policies(units: list[Unit], *, skip_own: bool = False) -> dict[int, Governing]:
    """The policy governing each of ``units``, by unit id, read in one query: the nearest
    row up the tree held by a centre or the district (a station's row, should one exist,
    is never read: only centres and districts hold policies). ``skip_own`` leaves each
    unit's own row out: what it would inherit."""
    chains = {unit.id: _lineage(unit) for unit in units}
    held = {
        u.id for chain in chains.values() for u in chain if u.level.value in rules.POLICY_LEVELS
    }
    rows = {}
    if held:
        rows = {
            row.unit_id: row
            for row in db.session.scalars(select(NeedPolicy).where(NeedPolicy.unit_id.in_(held)))
        }
    found = {}
    for unit_id, chain in chains.items():
        above = chain[1:] if skip_own else chain
        source = next((u for u in above if u.id in rows), None)
        found[unit_id] = Governing(rows[source.id] if source else default_policy(), source)
    return found


def governing_policy(unit_id: int) -> Governing:
    """The policy governing the orders held at unit ``unit_id`` (``governing_policies``)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        return Governing(default_policy(), None)
    return governing_policies([unit])[unit.id]


def _policy_values(row: NeedPolicy) -> dict:
    """What the audit log records of a policy."""
    return {name: getattr(row, name) for name in rules.POLICY_FIELDS}


def set_policy(unit: Unit, hours: rules.PolicyHours, *, user: User, now: datetime) -> NeedPolicy:
    """Set the unit's own deadlines (a centre's or the district's). Audited
    "need_policy.set" with the old values (None for a first policy) when anything changed.

    Two organizers saving at once make no IntegrityError: the first row is inserted with
    ON CONFLICT DO NOTHING, and a row that exists is locked (``FOR UPDATE``) and read
    afresh before it is changed, so the audit's old values are the ones overwritten."""
    rules.validate_policy_holder(unit.level.value)
    values = {name: getattr(hours, name) for name in rules.POLICY_FIELDS}
    insert = postgresql_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    table = NeedPolicy.__table__
    created = db.session.execute(
        insert(table)
        .values(unit_id=unit.id, updated_at=now, updated_by_id=user.id, **values)
        .on_conflict_do_nothing(index_elements=["unit_id"])
        .returning(table.c.unit_id)
    ).first()
    row = db.session.get(NeedPolicy, unit.id, with_for_update=True, populate_existing=True)
    old = None if created is not None else _policy_values(row)
    if old == values:
        return row
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_at, row.updated_by_id = now, user.id
    audit.record(
        "need_policy.set",
        now=now,
        actor_user_id=user.id,
        old={"unit_id": unit.id, **old} if old else None,
        new={"unit_id": unit.id, **values},
    )
    db.session.flush()
    return row


def reset_policy(unit: Unit, *, user: User, now: datetime) -> bool:
    """Delete the unit's own deadlines, so that it follows the unit above (or the
    defaults) again; whether it had any. Audited "need_policy.reset" with the old values."""
    row = db.session.get(NeedPolicy, unit.id, with_for_update=True, populate_existing=True)
    if row is None:
        return False
    old = {"unit_id": unit.id, **_policy_values(row)}
    db.session.delete(row)
    audit.record(
        "need_policy.reset", now=now, actor_user_id=user.id, old=old, new={"unit_id": unit.id}
    )
    db.session.flush()
    return True


#: The audit actions of the deadlines (audit/labels.py ``NEED_POLICY_AUDIT_LABELS``).
POLICY_ACTIONS = ("need_policy.set", "need_policy.reset")


def policy_history(unit_id: int, *, limit: int = 10) -> list[tuple[AuditEntry, str]]:
    """The latest changes of the unit's own deadlines, newest first, with who made them.

    The entries name their unit in their values; a unit's deadlines change a few times a
    year, so the policy entries are read and picked here."""
    rows = db.session.execute(
        select(AuditEntry, User.display_name)
        .outerjoin(User, User.id == AuditEntry.actor_user_id)
        .where(AuditEntry.action.in_(POLICY_ACTIONS))
        .order_by(AuditEntry.id.desc())
    ).all()
    mine = [
        (entry, name or "")
        for entry, name in rows
        if unit_id
        in ((entry.new_value or {}).get("unit_id"), (entry.old_value or {}).get("unit_id"))
    ]
    return mine[:limit]
