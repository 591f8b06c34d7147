"""voided records: junk and test check-ins set aside with a reason, never deleted

- ``checkins.voided_at``: when an organizer voided the record (NULL: it counts). A voided
  record stays in the table and in the audit log, shown struck through to organizers, and
  counts nowhere: not in hours, stars, certificates, reports, the projector or exports.
- ``checkins.void_reason``: the organizer's reason, required when voiding.
- The report triggers are recreated so that a voided record adds nothing to
  ``activity_stats`` and voiding or restoring one invalidates the volunteer sets
  (``migrations/triggers.py``, ``voids=True``).

Revision ID: 0009_records
Revises: 0008_teams
Create Date: 2026-12-02 08:00:00

"""

import sqlalchemy as sa
from alembic import op

from volunteer_app.migrations import triggers

# revision identifiers, used by Alembic.
revision = "0009_records"
down_revision = "0008_teams"
branch_labels = None
depends_on = None


def upgrade():
    dialect = op.get_context().dialect.name
    for statement in triggers.drop_statements(dialect):
        op.execute(statement)
    # Plain ADD COLUMN (no batch copy): SQLite keeps the table as it is.
    op.add_column("checkins", sa.Column("voided_at", sa.DateTime(), nullable=True))
    op.add_column(
        "checkins", sa.Column("void_reason", sa.Text(), server_default=sa.text("''"), nullable=False)
    )
    for statement in triggers.create_statements(dialect, voids=True):
        op.execute(statement)


def downgrade():
    dialect = op.get_context().dialect.name
    for statement in triggers.drop_statements(dialect):
        op.execute(statement)
    with op.batch_alter_table("checkins") as batch:
        batch.drop_column("void_reason")
        batch.drop_column("voided_at")
    for statement in triggers.create_statements(dialect, voids=False):
        op.execute(statement)
