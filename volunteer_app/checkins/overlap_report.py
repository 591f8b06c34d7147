"""Records that overlap one another, written before the overlap rule existed.

Every path that writes a record's times now refuses or closes an overlap, but rows from
before stay in the reports (the sums are kept per activity, where one person's overlap
cannot be seen). ``flask check-overlaps`` lists them so an organizer can correct or void
one of each pair. Read only: nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from volunteer_app.activities.models import Activity
from volunteer_app.auth.scoping import subtree_unit_ids
from volunteer_app.checkins import rules
from volunteer_app.checkins.models import CheckIn
from volunteer_app.checkins.services import checkout_margin, stay_of
from volunteer_app.extensions import db
from volunteer_app.formatting import mask_phone
from volunteer_app.stations.models import Unit
from volunteer_app.volunteers.models import Volunteer


@dataclass(frozen=True)
class OverlapSide:
    """One of the two records of an overlap."""

    record_id: int
    activity_title: str
    begins_at: datetime
    ends_at: datetime | None


@dataclass(frozen=True)
class Overlap:
    """Two live records of one volunteer that share time, and for how many minutes."""

    volunteer_id: int
    masked_phone: str
    first: OverlapSide
    second: OverlapSide
    minutes: int


def find_overlaps(unit: Unit, *, now: datetime) -> list[Overlap]:
    """The overlapping pairs of live (not voided) records of the volunteers with a record
    under ``unit``, at least one of each pair there; by volunteer, then time.

    The same stays as the overlap rule sees (``services.stay_of``: a record left open past
    its activity's last check-out ends at its activity's end) and the same rule
    (``rules.overlapping_pairs``). Pending and confirmed records alike: both reach hours.
    """
    scope = set(db.session.scalars(subtree_unit_ids(unit)))
    in_scope = (
        select(CheckIn.volunteer_id)
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(Activity.unit_id.in_(scope))
    )
    rows = db.session.execute(
        select(
            CheckIn.volunteer_id,
            CheckIn.id,
            CheckIn.activity_id,
            CheckIn.checked_in_at,
            CheckIn.checked_out_at,
            Activity.ends_at,
            Activity.unit_id,
            Activity.title,
        )
        .join(Activity, Activity.id == CheckIn.activity_id)
        .where(CheckIn.volunteer_id.in_(in_scope))
        .order_by(CheckIn.volunteer_id, CheckIn.checked_in_at, CheckIn.id)
    )
    margin = checkout_margin()
    stays: dict[int, list[rules.Stay]] = defaultdict(list)
    about: dict[int, tuple[int, str]] = {}  # record id: (unit id, activity title)
    for volunteer_id, record_id, activity_id, begins, ends, activity_ends, unit_id, title in rows:
        stays[volunteer_id].append(
            stay_of(
                record_id, activity_id, begins, ends, activity_ends, stale_at=now, margin=margin
            )
        )
        about[record_id] = (unit_id, title)
    found: list[tuple[int, rules.Stay, rules.Stay]] = [
        (volunteer_id, first, second)
        for volunteer_id, theirs in stays.items()
        for first, second in rules.overlapping_pairs(theirs)
        if about[first.record_id][0] in scope or about[second.record_id][0] in scope
    ]
    phones = _phones({volunteer_id for volunteer_id, _, _ in found})

    def side(stay: rules.Stay) -> OverlapSide:
        title = about[stay.record_id][1]
        return OverlapSide(stay.record_id, title, stay.begins_at, stay.ends_at)

    return [
        Overlap(
            volunteer_id=volunteer_id,
            masked_phone=phones.get(volunteer_id, "—"),
            first=side(first),
            second=side(second),
            minutes=rules.shared_minutes(first, second, now=now),
        )
        for volunteer_id, first, second in found
    ]


def _phones(volunteer_ids: set[int]) -> dict[int, str]:
    """The masked number of each volunteer ("—" for one who deleted their account)."""
    if not volunteer_ids:
        return {}
    people = db.session.scalars(select(Volunteer).where(Volunteer.id.in_(volunteer_ids)))
    return {v.id: mask_phone(v.phone) for v in people}
