"""Indexes that make the reports fast (no tables of their own).

They are declared here, beside the queries that need them, rather than in the
activities and check-ins areas; ``Index`` objects attach themselves to the table.
Migration 0005 creates them.
"""

from sqlalchemy import Index

from ..activities.models import Activity
from ..checkins.models import CheckIn

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
