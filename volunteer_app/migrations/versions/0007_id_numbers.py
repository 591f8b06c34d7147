"""a volunteer's ID number, kept only where the district collects them

- ``volunteers.id_number``: the 18-character 居民身份证号码 (GB 11643, check character
  verified on import), NULL unless the district sets ``COLLECT_ID_NUMBERS``. Shown masked
  (first 6 and last 3), out of exports unless ``EXPORT_ID_NUMBERS``, erased by a deletion.

Revision ID: 0007_id_numbers
Revises: 0006_invites
Create Date: 2026-12-02 03:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007_id_numbers"
down_revision = "0006_invites"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy), so SQLite keeps the triggers on ``volunteers``.
    op.add_column("volunteers", sa.Column("id_number", sa.String(length=18), nullable=True))


def downgrade():
    op.drop_column("volunteers", "id_number")
