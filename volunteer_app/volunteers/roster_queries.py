"""The SQL of the organizer's volunteer roster: the list, its filters and pages, the export,
and what the detail view shows.

Who is on the roster is ``auth.scoping.visible_volunteer_ids`` and nothing else. Hours and
the last activity are the organizer's: summed over the records at the organizer's units
(``visible_unit_ids``), the same records the detail view lists. The star level is the
person's own, from all their confirmed hours, as on their page and certificates.

Each number comes from a grouped aggregate subquery joined once to the page's rows, so a
page is one statement (and its count one more) however many volunteers and records there
are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import joinedload

from volunteer_app.activities.models import Activity
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import visible_unit_ids, visible_volunteer_ids
from volunteer_app.checkins.models import CheckIn, Correction, HoursStatus
from volunteer_app.extensions import db
from volunteer_app.stations.models import Unit
from volunteer_app.volunteers.models import Certificate, Household, Volunteer
from volunteer_app.volunteers.roster_rules import Search, SearchKind, star_band

#: Volunteers on one page of the roster.
PER_PAGE = 50
#: Rows fetched at a time by the export (a server-side cursor on PostgreSQL).
STREAM_BATCH = 2000


@dataclass(frozen=True)
class RosterFilters:
    """What the organizer narrowed the roster to (all optional)."""

    search: Search | None = None
    #: Registered through this unit (one the organizer may see).
    unit_id: int | None = None
    #: Exactly this many stars.
    stars: int | None = None
    #: With a record at the organizer's units at or after this moment (the local year's start).
    active_since: datetime | None = None


def _sum_if(condition, value):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def roster_statement(user: User, filters: RosterFilters, thresholds: tuple[int, ...]) -> Select:
    """The roster's rows for ``user`` under ``filters``, most recently active first."""
    confirmed = CheckIn.status == HoursStatus.CONFIRMED
    here = (
        select(
            CheckIn.volunteer_id.label("volunteer_id"),
            _sum_if(confirmed, CheckIn.minutes).label("confirmed"),
            _sum_if(~confirmed, CheckIn.minutes).label("pending"),
            func.max(Activity.starts_at).label("last_at"),
        )
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(Activity.unit_id.in_(visible_unit_ids(user)))
        .group_by(CheckIn.volunteer_id)
        .subquery("here")
    )
    total = (
        select(
            CheckIn.volunteer_id.label("volunteer_id"),
            func.sum(CheckIn.minutes).label("confirmed"),
        )
        .where(confirmed)
        .group_by(CheckIn.volunteer_id)
        .subquery("total")
    )
    all_confirmed = func.coalesce(total.c.confirmed, 0)
    statement = (
        select(
            Volunteer.id,
            Volunteer.name,
            Volunteer.id_number,
            func.coalesce(Household.phone, "").label("phone"),
            Unit.name.label("station"),
            func.coalesce(here.c.confirmed, 0).label("confirmed"),
            func.coalesce(here.c.pending, 0).label("pending"),
            here.c.last_at,
            all_confirmed.label("all_confirmed"),
        )
        .outerjoin(Household, Household.id == Volunteer.household_id)
        .outerjoin(Unit, Unit.id == Volunteer.registered_unit_id)
        .outerjoin(here, here.c.volunteer_id == Volunteer.id)
        .outerjoin(total, total.c.volunteer_id == Volunteer.id)
        .where(Volunteer.id.in_(visible_volunteer_ids(user)))
    )
    search = filters.search
    if search is not None and search.kind == SearchKind.NAME:
        statement = statement.where(
            Volunteer.name.ilike(f"%{_escape_like(search.value)}%", escape="\\")
        )
    elif search is not None and search.kind == SearchKind.PHONE:
        statement = statement.where(Household.phone == search.value)
    elif search is not None:
        statement = statement.where(func.substr(Household.phone, 8, 4) == search.value)
    if filters.unit_id is not None:
        statement = statement.where(Volunteer.registered_unit_id == filters.unit_id)
    if filters.stars is not None:
        lower, upper = star_band(filters.stars, thresholds)
        band = all_confirmed >= lower
        statement = statement.where(band if upper is None else and_(band, all_confirmed < upper))
    if filters.active_since is not None:
        statement = statement.where(here.c.last_at >= filters.active_since)
    return statement.order_by(here.c.last_at.is_(None), here.c.last_at.desc(), Volunteer.id)


@dataclass(frozen=True)
class RosterPage:
    """One page of the roster."""

    rows: list[Row]
    page: int
    pages: int
    total: int


def roster_page(statement: Select, page: int, per_page: int = PER_PAGE) -> RosterPage:
    """Page ``page`` (from 1; past the end gives the last page) of ``statement``: two
    statements, the count and the rows."""
    total = db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list(db.session.execute(statement.limit(per_page).offset((page - 1) * per_page)))
    return RosterPage(rows, page, pages, total)


def roster_rows(statement: Select) -> Iterator[Row]:
    """Every row of ``statement``, fetched in batches (the export)."""
    return iter(db.session.execute(statement.execution_options(yield_per=STREAM_BATCH)))


# --- the detail view ------------------------------------------------------------------------


def records_here(user: User, volunteer_id: int) -> list[CheckIn]:
    """The volunteer's records at ``user``'s units, with activity and unit, newest first."""
    return list(
        db.session.scalars(
            select(CheckIn)
            .join(Activity, Activity.id == CheckIn.activity_id)
            .options(joinedload(CheckIn.activity).joinedload(Activity.unit))
            .where(
                CheckIn.volunteer_id == volunteer_id,
                Activity.unit_id.in_(visible_unit_ids(user)),
            )
            .order_by(Activity.starts_at.desc(), CheckIn.id.desc())
        )
    )


def corrections_here(user: User, volunteer_id: int) -> list[Correction]:
    """Correction requests about the volunteer's records at ``user``'s units, newest first."""
    return list(
        db.session.scalars(
            select(Correction)
            .join(CheckIn, CheckIn.id == Correction.checkin_id)
            .join(Activity, Activity.id == CheckIn.activity_id)
            .options(joinedload(Correction.record).joinedload(CheckIn.activity))
            .where(
                CheckIn.volunteer_id == volunteer_id,
                Activity.unit_id.in_(visible_unit_ids(user)),
            )
            .order_by(Correction.created_at.desc(), Correction.id.desc())
        )
    )


def confirmed_minutes(volunteer_id: int) -> int:
    """All the volunteer's confirmed minutes, wherever served (their star level)."""
    return db.session.scalar(
        select(func.coalesce(func.sum(CheckIn.minutes), 0)).where(
            CheckIn.volunteer_id == volunteer_id, CheckIn.status == HoursStatus.CONFIRMED
        )
    )


def station_name(volunteer: Volunteer) -> str | None:
    """The name of the unit the volunteer was registered through, if any."""
    if volunteer.registered_unit_id is None:
        return None
    return db.session.scalar(select(Unit.name).where(Unit.id == volunteer.registered_unit_id))


def certificate_count(volunteer_id: int) -> int:
    """How many certificates the volunteer was issued."""
    return db.session.scalar(
        select(func.count())
        .select_from(Certificate)
        .where(Certificate.volunteer_id == volunteer_id)
    )


@dataclass(frozen=True)
class HouseholdView:
    """What an organizer may know of a volunteer's phone: how many use it, and those of
    them the organizer may see anyway."""

    people: int
    visible_others: list[Volunteer]


def household_view(user: User, volunteer: Volunteer) -> HouseholdView:
    """The volunteer's household as ``user`` may see it (other people's names only when they
    are the organizer's too)."""
    if volunteer.household_id is None:
        return HouseholdView(0, [])
    members = db.session.execute(
        select(Volunteer, Volunteer.id.in_(visible_volunteer_ids(user)))
        .where(Volunteer.household_id == volunteer.household_id, Volunteer.deleted_at.is_(None))
        .order_by(Volunteer.id)
    ).all()
    others = [m for m, visible in members if visible and m.id != volunteer.id]
    return HouseholdView(len(members), others)


def same_name_candidates(user: User, volunteer: Volunteer) -> list[Volunteer]:
    """Other volunteers of ``user``'s of the same name: possible duplicates to merge."""
    return list(
        db.session.scalars(
            select(Volunteer)
            .where(
                Volunteer.id.in_(visible_volunteer_ids(user)),
                Volunteer.name == volunteer.name,
                Volunteer.id != volunteer.id,
            )
            .order_by(Volunteer.id)
            .limit(20)
        )
    )
