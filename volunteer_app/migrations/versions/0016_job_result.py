"""jobs: the outcome summary of a job without a file (an import's counts)

- ``jobs.result``: nullable JSON; an import job keeps there what it added so far (new
  volunteers, new numbers, linked and held rows, the rows refused at the preview).

Revision ID: 0016_job_result
Revises: 0015_needs
Create Date: 2026-12-03 13:30:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016_job_result"
down_revision = "0015_needs"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(sa.Column("result", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("result")
