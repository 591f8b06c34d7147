"""the units' own fields and archiving

- ``units.address``, ``contact_name``, ``contact_phone``, ``intro``: what the unit pages
  (``/units``) show and edit; existing rows get "".
- ``units.archived_at``: an archived unit keeps its history but takes no new activities.

Columns are added with plain ``ALTER TABLE … ADD COLUMN`` (no batch copy of the table), so
SQLite keeps the report triggers on ``units``.

Revision ID: 0005_units
Revises: 0004_checkin_keys
Create Date: 2026-12-02 02:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_units"
down_revision = "0004_checkin_keys"
branch_labels = None
depends_on = None

#: (column, length) of the text columns, each NOT NULL with "" for existing rows.
TEXTS = (("address", 200), ("contact_name", 50), ("contact_phone", 20), ("intro", 500))


def upgrade():
    for column, length in TEXTS:
        op.add_column(
            "units",
            sa.Column(
                column, sa.String(length=length), server_default=sa.text("''"), nullable=False
            ),
        )
    op.add_column("units", sa.Column("archived_at", sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column("units", "archived_at")
    for column, _ in reversed(TEXTS):
        op.drop_column("units", column)
