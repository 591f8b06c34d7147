"""activity stats kept by triggers

Per-activity check-in sums (see volunteer_app/reports/models.py ActivityStats),
maintained by triggers on checkins in SQLite and PostgreSQL, and filled from the
check-ins that exist when the migration runs.

Revision ID: 0005a
Revises: 0005
Create Date: 2026-11-26 07:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005a'
down_revision = '0005'
branch_labels = None
depends_on = None

COLUMNS = "checkins, confirmed_minutes, pending_minutes, scan_minutes, organizer_minutes, open_checkins"


def _deltas(row: str, sign: str) -> str:
    """SET clause adding (sign '+') or removing (sign '-') one check-in row (NEW or OLD)."""
    return (
        f"checkins = checkins {sign} 1, "
        f"confirmed_minutes = confirmed_minutes {sign} CASE WHEN {row}.status = 'confirmed' THEN {row}.minutes ELSE 0 END, "
        f"pending_minutes = pending_minutes {sign} CASE WHEN {row}.status = 'pending' THEN {row}.minutes ELSE 0 END, "
        f"scan_minutes = scan_minutes {sign} CASE WHEN {row}.origin = 'scan' THEN {row}.minutes ELSE 0 END, "
        f"organizer_minutes = organizer_minutes {sign} CASE WHEN {row}.origin = 'organizer' THEN {row}.minutes ELSE 0 END, "
        f"open_checkins = open_checkins {sign} CASE WHEN {row}.checked_out_at IS NULL THEN 1 ELSE 0 END"
    )


def _ensure(row: str, dialect: str) -> str:
    """Create the activity's (empty) row if it has none yet."""
    values = f"VALUES ({row}.activity_id, 0, 0, 0, 0, 0, 0)"
    if dialect == "sqlite":
        return f"INSERT OR IGNORE INTO activity_stats (activity_id, {COLUMNS}) {values}"
    return f"INSERT INTO activity_stats (activity_id, {COLUMNS}) {values} ON CONFLICT (activity_id) DO NOTHING"


def _add(row: str) -> str:
    return f"UPDATE activity_stats SET {_deltas(row, '+')} WHERE activity_id = {row}.activity_id"


def _remove(row: str) -> str:
    return f"UPDATE activity_stats SET {_deltas(row, '-')} WHERE activity_id = {row}.activity_id"


BACKFILL = f"""
INSERT INTO activity_stats (activity_id, {COLUMNS})
SELECT activity_id, COUNT(*),
       SUM(CASE WHEN status = 'confirmed' THEN minutes ELSE 0 END),
       SUM(CASE WHEN status = 'pending' THEN minutes ELSE 0 END),
       SUM(CASE WHEN origin = 'scan' THEN minutes ELSE 0 END),
       SUM(CASE WHEN origin = 'organizer' THEN minutes ELSE 0 END),
       SUM(CASE WHEN checked_out_at IS NULL THEN 1 ELSE 0 END)
FROM checkins GROUP BY activity_id
"""


def upgrade():
    op.create_table('activity_stats',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('checkins', sa.Integer(), nullable=False),
    sa.Column('confirmed_minutes', sa.Integer(), nullable=False),
    sa.Column('pending_minutes', sa.Integer(), nullable=False),
    sa.Column('scan_minutes', sa.Integer(), nullable=False),
    sa.Column('organizer_minutes', sa.Integer(), nullable=False),
    sa.Column('open_checkins', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_stats_activity_id_activities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_id', name=op.f('pk_activity_stats'))
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
CREATE FUNCTION activity_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {_remove('OLD')};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {_ensure('NEW', 'postgresql')};
        {_add('NEW')};
    END IF;
    RETURN NULL;
END $$
""")
        op.execute(
            "CREATE TRIGGER checkins_activity_stats AFTER INSERT OR UPDATE OR DELETE ON checkins "
            "FOR EACH ROW EXECUTE FUNCTION activity_stats_apply()"
        )
    else:
        op.execute(f"CREATE TRIGGER checkins_stats_insert AFTER INSERT ON checkins BEGIN {_ensure('NEW', 'sqlite')}; {_add('NEW')}; END")
        op.execute(f"CREATE TRIGGER checkins_stats_delete AFTER DELETE ON checkins BEGIN {_remove('OLD')}; END")
        op.execute(
            f"CREATE TRIGGER checkins_stats_update AFTER UPDATE ON checkins "
            f"BEGIN {_remove('OLD')}; {_ensure('NEW', 'sqlite')}; {_add('NEW')}; END"
        )
    op.execute(BACKFILL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER checkins_activity_stats ON checkins")
        op.execute("DROP FUNCTION activity_stats_apply()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER checkins_stats_{name}")
    op.drop_table('activity_stats')
