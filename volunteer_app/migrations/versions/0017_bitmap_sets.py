"""reports: kept volunteer sets stored as bitmaps; registrations indexed with their ids

- ``report_volunteer_sets.volunteer_ids`` holds a zlib-compressed little-endian bitmap
  (reports/volunteer_sets.py) instead of sorted 32-bit deltas: every kept set is emptied
  (``filled_version`` NULL), so the next view or the warmer fills it again in the new form.
- ``ix_volunteers_report_created`` covers ``id`` too: a district's new volunteers read the
  period's registrations from the index alone.

Revision ID: 0017_bitmap_sets
Revises: 0016_job_result
Create Date: 2026-12-04 20:40:00

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0017_bitmap_sets"
down_revision = "0016_job_result"
branch_labels = None
depends_on = None


def _empty_kept_sets():
    op.execute("UPDATE report_volunteer_sets SET filled_version = NULL, volunteer_ids = NULL")


def upgrade():
    _empty_kept_sets()
    op.drop_index("ix_volunteers_report_created", table_name="volunteers")
    op.create_index("ix_volunteers_report_created", "volunteers", ["created_at", "id"])


def downgrade():
    _empty_kept_sets()
    op.drop_index("ix_volunteers_report_created", table_name="volunteers")
    op.create_index("ix_volunteers_report_created", "volunteers", ["created_at"])
