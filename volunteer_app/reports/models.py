"""What makes the reports fast: covering indexes and per-activity sums.

The indexes are declared here, beside the queries that need them, rather than in the
activities and check-ins areas; ``Index`` objects attach themselves to the table.
Migration 0005 creates them; 0005a creates ``activity_stats`` and its triggers.
"""

from sqlalchemy import ForeignKey, Index, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from ..activities.models import Activity
from ..checkins.models import CheckIn
from ..extensions import db

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


#: Most rows per activity in activity_stats (migration 0009's PostgreSQL function uses the
#: same number); without contention an activity has one.
STATS_SHARDS = 16


class ActivityStats(db.Model):
    """Check-in sums of one activity, kept current by database triggers on ``checkins``.

    District dashboards over a year or more would otherwise re-add hundreds of
    thousands of check-ins on every view. Triggers (migration 0005a, SQLite and
    PostgreSQL) apply every insert, update and delete of a check-in here in the same
    transaction, whatever code path wrote it, so the sums cannot drift. An activity
    without check-ins has no row; one with check-ins has one row, and on PostgreSQL up
    to ``STATS_SHARDS`` when concurrent check-ins found its rows held (migration 0009).
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
