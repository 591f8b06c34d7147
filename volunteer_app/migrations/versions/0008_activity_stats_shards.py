"""activity stats in shards

One ``activity_stats`` row per activity was a hot row: every check-in's trigger updates
it and holds its lock until the commit is on disk, so on PostgreSQL a burst of check-ins
to one activity committed one by one (about a third of the throughput at 32 concurrent
check-ins, docs/benchmarks.md). The sums are now kept in up to SHARDS rows per activity,
chosen by the check-in's id; readers add the rows up (they already SUM per group).

The triggers of 0005a are replaced by the same triggers with the shard column, the table
is rebuilt and filled again from the check-ins. ``checkins`` itself is not touched.

Revision ID: 0008
Revises: 0004c
Create Date: 2026-11-26 08:55:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0004c'
branch_labels = None
depends_on = None

#: Rows per activity; must match volunteer_app.reports.models.STATS_SHARDS.
SHARDS = 16
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


def _shard(row: str, shards: int) -> str:
    return f"({row}.id % {shards})" if shards > 1 else "0"


def _ensure(row: str, dialect: str, shards: int) -> str:
    """Create the (empty) row of the activity's shard if it has none yet."""
    if shards > 1:
        target = f"(activity_id, shard, {COLUMNS})"
        values = f"VALUES ({row}.activity_id, {_shard(row, shards)}, 0, 0, 0, 0, 0, 0)"
        conflict = "(activity_id, shard)"
    else:
        target = f"(activity_id, {COLUMNS})"
        values = f"VALUES ({row}.activity_id, 0, 0, 0, 0, 0, 0)"
        conflict = "(activity_id)"
    if dialect == "sqlite":
        return f"INSERT OR IGNORE INTO activity_stats {target} {values}"
    return f"INSERT INTO activity_stats {target} {values} ON CONFLICT {conflict} DO NOTHING"


def _apply(row: str, sign: str, shards: int) -> str:
    where = f"activity_id = {row}.activity_id"
    if shards > 1:
        where += f" AND shard = {_shard(row, shards)}"
    return f"UPDATE activity_stats SET {_deltas(row, sign)} WHERE {where}"


def _backfill(shards: int) -> str:
    shard = f"id % {shards}" if shards > 1 else None
    return f"""
INSERT INTO activity_stats (activity_id, {'shard, ' if shard else ''}{COLUMNS})
SELECT activity_id, {shard + ', ' if shard else ''}COUNT(*),
       SUM(CASE WHEN status = 'confirmed' THEN minutes ELSE 0 END),
       SUM(CASE WHEN status = 'pending' THEN minutes ELSE 0 END),
       SUM(CASE WHEN origin = 'scan' THEN minutes ELSE 0 END),
       SUM(CASE WHEN origin = 'organizer' THEN minutes ELSE 0 END),
       SUM(CASE WHEN checked_out_at IS NULL THEN 1 ELSE 0 END)
FROM checkins GROUP BY activity_id{', ' + shard if shard else ''}
"""


def _drop_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS checkins_activity_stats ON checkins")
        op.execute("DROP FUNCTION IF EXISTS activity_stats_apply()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS checkins_stats_{name}")


def _create_triggers(dialect: str, shards: int) -> None:
    if dialect == "postgresql":
        op.execute(f"""
CREATE FUNCTION activity_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {_apply('OLD', '-', shards)};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {_ensure('NEW', 'postgresql', shards)};
        {_apply('NEW', '+', shards)};
    END IF;
    RETURN NULL;
END $$
""")
        op.execute(
            "CREATE TRIGGER checkins_activity_stats AFTER INSERT OR UPDATE OR DELETE ON checkins "
            "FOR EACH ROW EXECUTE FUNCTION activity_stats_apply()"
        )
    else:
        op.execute(
            f"CREATE TRIGGER checkins_stats_insert AFTER INSERT ON checkins "
            f"BEGIN {_ensure('NEW', 'sqlite', shards)}; {_apply('NEW', '+', shards)}; END"
        )
        op.execute(
            f"CREATE TRIGGER checkins_stats_delete AFTER DELETE ON checkins "
            f"BEGIN {_apply('OLD', '-', shards)}; END"
        )
        op.execute(
            f"CREATE TRIGGER checkins_stats_update AFTER UPDATE ON checkins "
            f"BEGIN {_apply('OLD', '-', shards)}; {_ensure('NEW', 'sqlite', shards)}; "
            f"{_apply('NEW', '+', shards)}; END"
        )


def _table(shards: int) -> None:
    columns = [sa.Column('activity_id', sa.Integer(), nullable=False)]
    if shards > 1:
        columns.append(sa.Column('shard', sa.SmallInteger(), nullable=False))
    columns += [
        sa.Column(name, sa.Integer(), nullable=False)
        for name in COLUMNS.split(", ")
    ]
    op.create_table(
        'activity_stats',
        *columns,
        sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_stats_activity_id_activities'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint(*(['activity_id', 'shard'] if shards > 1 else ['activity_id']), name=op.f('pk_activity_stats')),
    )


def _rebuild(shards: int) -> None:
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    op.drop_table('activity_stats')
    _table(shards)
    _create_triggers(dialect, shards)
    op.execute(_backfill(shards))


def upgrade():
    _rebuild(SHARDS)


def downgrade():
    _rebuild(1)
