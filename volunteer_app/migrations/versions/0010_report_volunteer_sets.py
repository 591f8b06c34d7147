"""report volunteer sets: who served in a unit during a past month or year, kept valid by triggers

Distinct volunteers cannot be added up per activity like the other figures: a district's
three years meant counting distinct volunteers among a million check-ins on every view
(200–350 ms). ``report_volunteer_sets`` keeps, per unit and past local month or year,
the set of volunteers who checked in at a held activity of the unit or the units below
it (volunteer_app/reports/volunteer_sets.py fills it on first view). Also an index for
the volunteers registered during a period (the dashboard's "new volunteers").

A set is valid while ``filled_version = version``. Triggers bump ``version`` of every
set whose [starts_at, ends_at) contains the start of an activity whose check-ins or
relevant columns change, whatever code path writes, in the same transaction:
- a check-in inserted or deleted, or moved to another activity or volunteer;
- an activity deleted, moved in time or to another unit, or cancelled / un-cancelled;
- a unit moved under another parent or deleted (every set: rare).
A check-in of the current period touches no set (only ended periods are kept), so the
cost on the check-in path is one index probe.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 11:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _bump(moment: str) -> str:
    """Invalidate the sets whose period contains ``moment`` (an SQL expression)."""
    return (f"UPDATE report_volunteer_sets SET version = version + 1 "
            f"WHERE ends_at > {moment} AND starts_at <= {moment}")


def _activity_start(row: str) -> str:
    return f"(SELECT starts_at FROM activities WHERE id = {row}.activity_id)"


#: An activity change that moves its check-ins between sets.
ACTIVITY_MOVED = ("OLD.starts_at <> NEW.starts_at OR OLD.unit_id <> NEW.unit_id "
                  "OR (OLD.status = 'cancelled') <> (NEW.status = 'cancelled')")


def _sqlite_triggers() -> None:
    op.execute(f"CREATE TRIGGER checkins_sets_insert AFTER INSERT ON checkins "
               f"BEGIN {_bump(_activity_start('NEW'))}; END")
    op.execute(f"CREATE TRIGGER checkins_sets_delete AFTER DELETE ON checkins "
               f"BEGIN {_bump(_activity_start('OLD'))}; END")
    op.execute(f"CREATE TRIGGER checkins_sets_update AFTER UPDATE OF activity_id, volunteer_id "
               f"ON checkins WHEN OLD.activity_id <> NEW.activity_id "
               f"OR OLD.volunteer_id <> NEW.volunteer_id "
               f"BEGIN {_bump(_activity_start('OLD'))}; {_bump(_activity_start('NEW'))}; END")
    op.execute(f"CREATE TRIGGER activities_sets_update AFTER UPDATE OF starts_at, unit_id, status "
               f"ON activities WHEN {ACTIVITY_MOVED} "
               f"BEGIN {_bump('OLD.starts_at')}; {_bump('NEW.starts_at')}; END")
    op.execute(f"CREATE TRIGGER activities_sets_delete AFTER DELETE ON activities "
               f"BEGIN {_bump('OLD.starts_at')}; END")
    op.execute("CREATE TRIGGER units_sets_update AFTER UPDATE OF parent_id ON units "
               "WHEN OLD.parent_id IS NOT NEW.parent_id "
               "BEGIN UPDATE report_volunteer_sets SET version = version + 1; END")
    op.execute("CREATE TRIGGER units_sets_delete AFTER DELETE ON units "
               "BEGIN UPDATE report_volunteer_sets SET version = version + 1; END")


def _postgresql_triggers() -> None:
    op.execute(f"""
CREATE FUNCTION report_volunteer_sets_checkins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        {_bump(_activity_start('OLD'))};
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        {_bump(_activity_start('NEW'))};
    END IF;
    RETURN NULL;
END $$
""")
    op.execute("CREATE TRIGGER checkins_sets_write AFTER INSERT OR DELETE ON checkins "
               "FOR EACH ROW EXECUTE FUNCTION report_volunteer_sets_checkins()")
    op.execute("CREATE TRIGGER checkins_sets_update AFTER UPDATE OF activity_id, volunteer_id "
               "ON checkins FOR EACH ROW WHEN (OLD.activity_id <> NEW.activity_id "
               "OR OLD.volunteer_id <> NEW.volunteer_id) "
               "EXECUTE FUNCTION report_volunteer_sets_checkins()")
    op.execute(f"""
CREATE FUNCTION report_volunteer_sets_activities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_bump('OLD.starts_at')};
    IF TG_OP = 'UPDATE' THEN
        {_bump('NEW.starts_at')};
    END IF;
    RETURN NULL;
END $$
""")
    op.execute(f"CREATE TRIGGER activities_sets_update AFTER UPDATE OF starts_at, unit_id, status "
               f"ON activities FOR EACH ROW WHEN ({ACTIVITY_MOVED}) "
               f"EXECUTE FUNCTION report_volunteer_sets_activities()")
    op.execute("CREATE TRIGGER activities_sets_delete AFTER DELETE ON activities "
               "FOR EACH ROW EXECUTE FUNCTION report_volunteer_sets_activities()")
    op.execute("""
CREATE FUNCTION report_volunteer_sets_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE report_volunteer_sets SET version = version + 1;
    RETURN NULL;
END $$
""")
    op.execute("CREATE TRIGGER units_sets_update AFTER UPDATE OF parent_id ON units "
               "FOR EACH ROW WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id) "
               "EXECUTE FUNCTION report_volunteer_sets_all()")
    op.execute("CREATE TRIGGER units_sets_delete AFTER DELETE ON units "
               "FOR EACH STATEMENT EXECUTE FUNCTION report_volunteer_sets_all()")


def upgrade():
    op.create_table(
        'report_volunteer_sets',
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('starts_at', sa.DateTime(), nullable=False),
        sa.Column('ends_at', sa.DateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('filled_version', sa.Integer(), nullable=True),
        sa.Column('volunteer_ids', sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_report_volunteer_sets_unit_id_units'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('unit_id', 'starts_at', 'ends_at', name=op.f('pk_report_volunteer_sets')),
    )
    op.create_index('ix_report_volunteer_sets_ends_at', 'report_volunteer_sets', ['ends_at'])
    op.create_index('ix_volunteers_report_created', 'volunteers', ['created_at'])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for trigger, table in [
            ("checkins_sets_write", "checkins"), ("checkins_sets_update", "checkins"),
            ("activities_sets_update", "activities"), ("activities_sets_delete", "activities"),
            ("units_sets_update", "units"), ("units_sets_delete", "units"),
        ]:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        for function in ("checkins", "activities", "all"):
            op.execute(f"DROP FUNCTION IF EXISTS report_volunteer_sets_{function}()")
    else:
        for trigger in ("checkins_sets_insert", "checkins_sets_delete", "checkins_sets_update",
                        "activities_sets_update", "activities_sets_delete",
                        "units_sets_update", "units_sets_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_index('ix_volunteers_report_created', table_name='volunteers')
    op.drop_index('ix_report_volunteer_sets_ends_at', table_name='report_volunteer_sets')
    op.drop_table('report_volunteer_sets')
