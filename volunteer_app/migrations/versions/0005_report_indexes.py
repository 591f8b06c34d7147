"""report indexes

Covering indexes for the dashboards and exports (see volunteer_app/reports/models.py
and docs/benchmarks.md).

Revision ID: 0005
Revises: 0002
Create Date: 2026-11-26 07:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index(
            'ix_activities_report_starts',
            ['starts_at', 'unit_id', 'category_id', 'status'],
            unique=False,
        )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index(
            'ix_checkins_report_activity',
            ['activity_id', 'status', 'origin', 'minutes', 'volunteer_id', 'checked_out_at'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_checkins_report_activity')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_report_starts')
