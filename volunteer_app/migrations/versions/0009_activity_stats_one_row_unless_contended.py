"""activity stats: one row per activity unless check-ins contend for it

0008 spread each activity's sums over up to 16 rows chosen by the check-in's id, so that a
burst on PostgreSQL did not queue on one row lock. The price was paid by every report: an
activity with a few dozen check-ins had ~14 rows, and a district's three years were
255,000 rows to add up instead of 18,500 (about 300 ms of a 450 ms dashboard on SQLite).

Now a check-in's sums go to the activity's first row that nobody else holds:
- PostgreSQL: ``SELECT ... FOR UPDATE SKIP LOCKED`` picks a free row; only when every
  row of the activity is held by a concurrent transaction is another row added (up to
  16, by the check-in's id). A quiet activity keeps one row; a burst adds rows only for
  as many check-ins as are in flight at once. An update that keeps the activity applies
  its difference in one step, and an update that changes no sum (a review flag) touches
  nothing.
- SQLite has one writer at a time: there is never contention, so always row 0.
Existing rows are folded into one row per activity.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 10:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

#: Most rows per activity (the old fixed number); must match reports.models.STATS_SHARDS.
SHARDS = 16
COLUMNS = ("checkins", "confirmed_minutes", "pending_minutes", "scan_minutes",
           "organizer_minutes", "open_checkins")


def _values(row: str) -> list[str]:
    """What one check-in row (NEW or OLD) adds to each sum, in COLUMNS order."""
    return [
        "1",
        f"CASE WHEN {row}.status = 'confirmed' THEN {row}.minutes ELSE 0 END",
        f"CASE WHEN {row}.status = 'pending' THEN {row}.minutes ELSE 0 END",
        f"CASE WHEN {row}.origin = 'scan' THEN {row}.minutes ELSE 0 END",
        f"CASE WHEN {row}.origin = 'organizer' THEN {row}.minutes ELSE 0 END",
        f"CASE WHEN {row}.checked_out_at IS NULL THEN 1 ELSE 0 END",
    ]


def _fold() -> None:
    """One row (shard 0) per activity, holding the sum of its rows."""
    columns = ", ".join(COLUMNS)
    sums = ", ".join(f"SUM({c}) AS {c}" for c in COLUMNS)
    op.execute(f"CREATE TEMPORARY TABLE activity_stats_folded AS "
               f"SELECT activity_id, {sums} FROM activity_stats GROUP BY activity_id")
    op.execute("DELETE FROM activity_stats")
    op.execute(f"INSERT INTO activity_stats (activity_id, shard, {columns}) "
               f"SELECT activity_id, 0, {columns} FROM activity_stats_folded")
    op.execute("DROP TABLE activity_stats_folded")


def _postgresql_functions() -> None:
    params = ", ".join(f"d{i} integer" for i in range(6))
    sets = ", ".join(f"{c} = {c} + d{i}" for i, c in enumerate(COLUMNS))
    op.execute(f"""
CREATE FUNCTION activity_stats_add(a integer, hint integer, {params}) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    s smallint;
BEGIN
    -- the activity's first row that no concurrent transaction holds
    SELECT shard INTO s FROM activity_stats WHERE activity_id = a
        ORDER BY shard LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
        -- none yet (row 0), or all held: another row, by the check-in's id
        IF EXISTS (SELECT 1 FROM activity_stats WHERE activity_id = a) THEN
            s := 1 + hint % {SHARDS - 1};
        ELSE
            s := 0;
        END IF;
        INSERT INTO activity_stats (activity_id, shard, {', '.join(COLUMNS)})
            VALUES (a, s, 0, 0, 0, 0, 0, 0) ON CONFLICT DO NOTHING;
    END IF;
    UPDATE activity_stats SET {sets} WHERE activity_id = a AND shard = s;
END $$
""")
    new, old = _values("NEW"), _values("OLD")
    plus = ", ".join(new)
    minus = ", ".join(f"-({v})" for v in old)
    diff = ", ".join(f"({n}) - ({o})" for n, o in zip(new, old))
    changed = " OR ".join(f"({n}) <> ({o})" for n, o in zip(new, old))
    op.execute(f"""
CREATE FUNCTION activity_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.activity_id = NEW.activity_id THEN
        IF {changed} THEN
            PERFORM activity_stats_add(NEW.activity_id, NEW.id, {diff});
        END IF;
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM activity_stats_add(OLD.activity_id, OLD.id, {minus});
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM activity_stats_add(NEW.activity_id, NEW.id, {plus});
    END IF;
    RETURN NULL;
END $$
""")


def _sqlite_triggers() -> None:
    def apply(row: str, sign: str) -> str:
        sets = ", ".join(f"{c} = {c} {sign} ({v})" for c, v in zip(COLUMNS, _values(row)))
        return f"UPDATE activity_stats SET {sets} WHERE activity_id = {row}.activity_id AND shard = 0"

    ensure = (f"INSERT OR IGNORE INTO activity_stats (activity_id, shard, {', '.join(COLUMNS)}) "
              f"VALUES (NEW.activity_id, 0, 0, 0, 0, 0, 0, 0)")
    op.execute(f"CREATE TRIGGER checkins_stats_insert AFTER INSERT ON checkins "
               f"BEGIN {ensure}; {apply('NEW', '+')}; END")
    op.execute(f"CREATE TRIGGER checkins_stats_delete AFTER DELETE ON checkins "
               f"BEGIN {apply('OLD', '-')}; END")
    op.execute(f"CREATE TRIGGER checkins_stats_update AFTER UPDATE ON checkins "
               f"BEGIN {apply('OLD', '-')}; {ensure}; {apply('NEW', '+')}; END")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS checkins_activity_stats ON checkins")
        op.execute("DROP FUNCTION IF EXISTS activity_stats_apply()")
        _postgresql_functions()
        op.execute(
            "CREATE TRIGGER checkins_activity_stats AFTER INSERT OR UPDATE OR DELETE ON checkins "
            "FOR EACH ROW EXECUTE FUNCTION activity_stats_apply()"
        )
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS checkins_stats_{name}")
        _sqlite_triggers()
    _fold()


def downgrade():
    # 0008's triggers write row (check-in id % 16); the folded rows are still right sums.
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS checkins_activity_stats ON checkins")
        op.execute("DROP FUNCTION IF EXISTS activity_stats_apply()")
        op.execute("DROP FUNCTION IF EXISTS activity_stats_add(integer, integer, integer, "
                   "integer, integer, integer, integer, integer)")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS checkins_stats_{name}")
    _create_0008_triggers(dialect)


def _create_0008_triggers(dialect: str) -> None:
    """0008's triggers, rebuilt from its own module."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).with_name("0008_activity_stats_shards.py")
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module._create_triggers(dialect, SHARDS)
