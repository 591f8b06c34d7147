"""random keys in check-in codes, kiosk links and volunteer cards

- ``activities.checkin_key``: carried by the check-in QR codes (version 2,
  checkins/tokens.py) instead of the activity's id; renewing it kills the old codes.
- ``activities.kiosk_key``: carried by the kiosk link ``/k/…``; renewing it ends old links.
- ``activities.accepts_v1_tokens``: the activity existed before version 2, so its printed
  id-based codes still work until its check-out window ends. Every existing row gets it.
- ``volunteers.card_key``: carried by the personal QR card (volunteers/cards.py).

Each key is a unique index; existing rows get fresh random keys here. The key columns are
nullable because SQLite adds a NOT NULL column only with a default, and a shared default
cannot be unique; every insert sets them (the models' defaults).

Revision ID: 0004_checkin_keys
Revises: 0003_audit_personal
Create Date: 2026-11-28 10:00:00

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004_checkin_keys"
down_revision = "0003_audit_personal"
branch_labels = None
depends_on = None

#: (table, column, random bytes of its keys)
KEYS = (
    ("activities", "checkin_key", 12),
    ("activities", "kiosk_key", 16),
    ("volunteers", "card_key", 12),
)


def _fill(table: str, column: str, nbytes: int) -> None:
    """Give every existing row of ``table`` its own random key."""
    rows = sa.table(table, sa.column("id", sa.Integer()), sa.column(column, sa.String()))
    connection = op.get_bind()
    ids = connection.execute(sa.select(rows.c.id)).scalars().all()
    for row_id in ids:
        connection.execute(
            rows.update()
            .where(rows.c.id == row_id)
            .values({column: secrets.token_urlsafe(nbytes)})
        )


def upgrade():
    for table, column, nbytes in KEYS:
        op.add_column(table, sa.Column(column, sa.String(length=43), nullable=True))
        _fill(table, column, nbytes)
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=True)

    op.add_column(
        "activities",
        sa.Column("accepts_v1_tokens", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    activities = sa.table("activities", sa.column("accepts_v1_tokens", sa.Boolean()))
    op.execute(activities.update().values(accepts_v1_tokens=True))


def downgrade():
    # Plain ALTER TABLE … DROP COLUMN (SQLite 3.35 and later): a batch rebuild of
    # ``activities`` would drop the report triggers defined on it.
    op.drop_column("activities", "accepts_v1_tokens")
    for table, column, _ in reversed(KEYS):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_column(table, column)
