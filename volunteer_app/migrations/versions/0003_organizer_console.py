"""organizer console: review flag on check-ins, projector settings on activities

Revision ID: 0003
Revises: 0006
Create Date: 2026-11-26 07:31:37.739293

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rotate_seconds', sa.Integer(), server_default=sa.text('30'), nullable=False))
        batch_op.add_column(sa.Column('allow_static_code', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.create_check_constraint(op.f('ck_activities_rotate_seconds_min'), 'rotate_seconds >= 10')

    # A plain ADD COLUMN, not batch mode: on SQLite batch mode would rebuild the table and
    # drop the activity_stats triggers on it (migration 0005a).
    op.add_column('checkins', sa.Column('needs_review', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_column('needs_review')

    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_activities_rotate_seconds_min'), type_='check')
        batch_op.drop_column('allow_static_code')
        batch_op.drop_column('rotate_seconds')
