"""What makes the reports fast: covering indexes and per-activity sums.

The indexes are declared here, beside the queries that need them, rather than in the
activities and check-ins areas; ``Index`` objects attach themselves to the table.
The initial migration creates them, and ``activity_stats`` with the triggers of
``migrations/triggers.py``.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from volunteer_app.activities.models import Activity
from volunteer_app.checkins.models import CheckIn
from volunteer_app.extensions import db
from volunteer_app.volunteers.models import Volunteer

#: District-wide periods scan activities by start time; the other columns make it covering.
activities_by_start = Index(
    "ix_activities_report_starts",
    Activity.starts_at,
    Activity.unit_id,
    Activity.category_id,
    Activity.status,
)

#: Every dashboard sum reads check-ins by activity; with these columns SQLite and
#: PostgreSQL answer from the index alone instead of visiting a million table rows.
checkins_by_activity = Index(
    "ix_checkins_report_activity",
    CheckIn.activity_id,
    CheckIn.status,
    CheckIn.origin,
    CheckIn.minutes,
    CheckIn.volunteer_id,
    CheckIn.checked_out_at,
)

#: New volunteers of a period: those registered in it, their ids read from the index alone.
volunteers_by_registration = Index(
    "ix_volunteers_report_created", Volunteer.created_at, Volunteer.id
)


#: Most rows per activity in activity_stats (the PostgreSQL trigger function in
#: migrations/triggers.py uses the same number); without contention an activity has one.
STATS_SHARDS = 16


class ActivityStats(db.Model):
    """Check-in sums of one activity, kept current by database triggers on ``checkins``.

    District dashboards over a year or more would otherwise re-add hundreds of
    thousands of check-ins on every view. Triggers (``migrations/triggers.py``, SQLite
    and PostgreSQL) apply every insert, update and delete of a check-in here in the
    same transaction, whatever code path wrote it, so the sums cannot drift. An activity
    without check-ins has no row; one with check-ins has one row, and on PostgreSQL up
    to ``STATS_SHARDS`` when concurrent check-ins found its rows held.
    Distinct volunteers cannot be kept this way and are still counted from ``checkins``.
    """

    __tablename__ = "activity_stats"

    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True
    )
    #: Which of the activity's rows: 0, or on PostgreSQL another one when a concurrent
    #: transaction held every existing row (``FOR UPDATE SKIP LOCKED``), so a burst of
    #: check-ins to one activity does not queue on one lock. Readers add the rows up.
    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    checkins: Mapped[int] = mapped_column(default=0)
    confirmed_minutes: Mapped[int] = mapped_column(default=0)
    pending_minutes: Mapped[int] = mapped_column(default=0)
    scan_minutes: Mapped[int] = mapped_column(default=0)
    organizer_minutes: Mapped[int] = mapped_column(default=0)
    #: Checked in and not (yet) checked out.
    open_checkins: Mapped[int] = mapped_column(default=0)


class VolunteerSet(db.Model):
    """Who served in a unit (and the units below it) during one past local month or year.

    Distinct volunteers do not add up per activity; counting them among a million
    check-ins took most of a district's three-year dashboard. A set is filled on first
    use (``volunteer_sets.py``) and stays valid while ``filled_version == version``:
    triggers (``migrations/triggers.py``) bump ``version`` whenever a check-in, an
    activity or a unit changes in a way that could change the set, whatever code path
    writes.
    Only periods that have ended are kept, so check-ins of the current day touch none.
    """

    __tablename__ = "report_volunteer_sets"

    unit_id: Mapped[int] = mapped_column(
        ForeignKey("units.id", ondelete="CASCADE"), primary_key=True
    )
    #: The period, as UTC [starts_at, ends_at): local midnights.
    starts_at: Mapped[datetime] = mapped_column(primary_key=True)
    ends_at: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    version: Mapped[int] = mapped_column(default=0, server_default="0")
    #: The version the stored set was computed at; NULL until first filled.
    filled_version: Mapped[int | None]
    #: The volunteers' ids as a zlib-compressed little-endian bitmap.
    volunteer_ids: Mapped[bytes | None] = mapped_column(LargeBinary)
