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

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from volunteer_app.activities.models import Activity, ActivityStatus
from volunteer_app.audit import services as audit
from volunteer_app.auth.models import User
from volunteer_app.extensions import db
from volunteer_app.localtime import local_to_utc, utc_to_local
from volunteer_app.needs import menu, rules
from volunteer_app.needs.models import (
    DayPart,
    Need,
    NeedEvent,
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


def figures(unit_ids, start: datetime, end: datetime) -> rules.Figures:
    """The order figures of the orders placed at ``unit_ids``' stations in [start, end).

    Orders are read whole: a district receives hundreds a year, not the millions of its
    check-ins, so the rates and medians are computed here rather than in SQL."""
    placed = [Need.station_id.in_(unit_ids), Need.created_at >= start, Need.created_at < end]
    orders = list(db.session.scalars(select(Need).where(*placed)))
    events = db.session.execute(
        select(NeedEvent.need_id, NeedEvent.action)
        .join(Need, Need.id == NeedEvent.need_id)
        .where(*placed)
    ).all()
    did: dict[str, set[int]] = {}
    for need_id, action in events:
        did.setdefault(action, set()).add(need_id)
    ratings = db.session.execute(
        select(NeedRating.quality, NeedRating.attitude)
        .join(Need, Need.id == NeedRating.need_id)
        .where(*placed)
    ).all()
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
        satisfied=sum(1 for q, a in ratings if rules.is_satisfied(q, a)),
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


def count_waiting(unit_ids) -> int:
    """How many orders held at ``unit_ids`` wait on them (new, escalated, accepted)."""
    return db.session.scalar(
        select(func.count())
        .select_from(Need)
        .where(
            Need.unit_id.in_(unit_ids),
            Need.status.in_((NeedStatus.SUBMITTED, NeedStatus.ESCALATED, NeedStatus.ACCEPTED)),
        )
    )
