"""The database triggers of the schema, per dialect; the initial migration runs them.

Two report tables are kept current by the database itself, in the transaction that
writes, whatever code path writes:

``activity_stats`` (reports/models.py ActivityStats): each activity's check-in sums.
Every insert, update and delete of a check-in is applied to one of the activity's rows.

- SQLite has one writer at a time, so there is never contention: always row 0.
- PostgreSQL: ``activity_stats_add`` adds to the activity's first row that no concurrent
  transaction holds (``FOR UPDATE SKIP LOCKED``); only when all are held does it add a
  row (up to STATS_SHARDS, chosen by the check-in's id), so a burst of check-ins to one
  activity does not queue on one row lock, while a quiet activity keeps one row. An
  update that keeps the activity applies its difference in one step, and one that
  changes no sum (a review flag) touches nothing. Readers add the rows up.

``report_volunteer_sets`` (reports/volunteer_sets.py): who served in a unit during a
past month or year. A set is valid while ``filled_version = version``; the triggers bump
``version`` of every set whose [starts_at, ends_at) contains the start of an activity
whose check-ins change:

- a check-in inserted or deleted, or moved to another activity or volunteer;
- an activity deleted, moved in time or to another unit, or cancelled / un-cancelled;
- a unit moved under another parent or deleted (every set: rare).

Only ended periods are kept, so a check-in of the current period touches no set.

The statements are built from the small helpers below so that the six sums are spelled
once; ``create_statements`` and ``drop_statements`` give them in order.
"""

from __future__ import annotations

#: Most rows per activity in activity_stats; must match reports.models.STATS_SHARDS.
STATS_SHARDS = 16

#: The sums of activity_stats, in column order.
STATS_COLUMNS = (
    "checkins",
    "confirmed_minutes",
    "pending_minutes",
    "scan_minutes",
    "organizer_minutes",
    "open_checkins",
)


def _contribution(row: str, voids: bool = True) -> list[str]:
    """What one check-in row (NEW or OLD) adds to each sum, in STATS_COLUMNS order.

    With ``voids`` (schema 0009 on) a voided record adds nothing: it is history, not service.
    """
    sums = [
        "1",
        f"CASE WHEN {row}.status = 'confirmed' THEN {row}.minutes ELSE 0 END",
        f"CASE WHEN {row}.status = 'pending' THEN {row}.minutes ELSE 0 END",
        f"CASE WHEN {row}.origin = 'scan' THEN {row}.minutes ELSE 0 END",
        f"CASE WHEN {row}.origin = 'organizer' THEN {row}.minutes ELSE 0 END",
        f"CASE WHEN {row}.checked_out_at IS NULL THEN 1 ELSE 0 END",
    ]
    if not voids:
        return sums
    return [f"CASE WHEN {row}.voided_at IS NULL THEN {v} ELSE 0 END" for v in sums]


def _bump_sets(moment: str) -> str:
    """Invalidate the volunteer sets whose period contains ``moment`` (an SQL expression)."""
    return (
        f"UPDATE report_volunteer_sets SET version = version + 1 "
        f"WHERE ends_at > {moment} AND starts_at <= {moment}"
    )


def _activity_start(row: str) -> str:
    """The start of the activity of a check-in row (NEW or OLD)."""
    return f"(SELECT starts_at FROM activities WHERE id = {row}.activity_id)"


#: An activity change that moves its check-ins between volunteer sets.
ACTIVITY_MOVED = (
    "OLD.starts_at <> NEW.starts_at OR OLD.unit_id <> NEW.unit_id "
    "OR (OLD.status = 'cancelled') <> (NEW.status = 'cancelled')"
)

BUMP_ALL_SETS = "UPDATE report_volunteer_sets SET version = version + 1"


def _build(voids: bool) -> tuple[dict, dict, dict]:
    """The SQLite triggers, PostgreSQL functions and PostgreSQL triggers of one schema version:
    ``voids`` from 0009 on (voided records count nowhere, and voiding bumps the sets)."""
    # A check-in's move between volunteer sets: to another activity or volunteer, and from
    # 0009 on voided or restored.
    moved_columns = "activity_id, volunteer_id" + (", voided_at" if voids else "")
    moved = "OLD.activity_id <> NEW.activity_id OR OLD.volunteer_id <> NEW.volunteer_id" + (
        " OR (OLD.voided_at IS NULL) <> (NEW.voided_at IS NULL)" if voids else ""
    )

    def _sqlite_stats(row: str, sign: str) -> str:
        """Add (sign '+') or remove (sign '-') one check-in row to its activity's row 0."""
        sets = ", ".join(
            f"{c} = {c} {sign} ({v})"
            for c, v in zip(STATS_COLUMNS, _contribution(row, voids), strict=True)
        )
        return (
            f"UPDATE activity_stats SET {sets} WHERE activity_id = {row}.activity_id AND shard = 0"
        )

    #: The activity's (empty) row 0, unless it exists.
    _SQLITE_STATS_ROW = (
        f"INSERT OR IGNORE INTO activity_stats (activity_id, shard, {', '.join(STATS_COLUMNS)}) "
        f"VALUES (NEW.activity_id, 0, 0, 0, 0, 0, 0, 0)"
    )

    #: Trigger name → CREATE TRIGGER statement, in creation order.
    SQLITE_TRIGGERS = {
        # activity_stats
        "checkins_stats_insert": (
            "CREATE TRIGGER checkins_stats_insert AFTER INSERT ON checkins "
            f"BEGIN {_SQLITE_STATS_ROW}; {_sqlite_stats('NEW', '+')}; END"
        ),
        "checkins_stats_delete": (
            "CREATE TRIGGER checkins_stats_delete AFTER DELETE ON checkins "
            f"BEGIN {_sqlite_stats('OLD', '-')}; END"
        ),
        "checkins_stats_update": (
            "CREATE TRIGGER checkins_stats_update AFTER UPDATE ON checkins "
            f"BEGIN {_sqlite_stats('OLD', '-')}; {_SQLITE_STATS_ROW}; "
            f"{_sqlite_stats('NEW', '+')}; END"
        ),
        # report_volunteer_sets
        "checkins_sets_insert": (
            "CREATE TRIGGER checkins_sets_insert AFTER INSERT ON checkins "
            f"BEGIN {_bump_sets(_activity_start('NEW'))}; END"
        ),
        "checkins_sets_delete": (
            "CREATE TRIGGER checkins_sets_delete AFTER DELETE ON checkins "
            f"BEGIN {_bump_sets(_activity_start('OLD'))}; END"
        ),
        "checkins_sets_update": (
            f"CREATE TRIGGER checkins_sets_update AFTER UPDATE OF {moved_columns} "
            f"ON checkins WHEN {moved} "
            f"BEGIN {_bump_sets(_activity_start('OLD'))}; {_bump_sets(_activity_start('NEW'))}; END"
        ),
        "activities_sets_update": (
            "CREATE TRIGGER activities_sets_update AFTER UPDATE OF starts_at, unit_id, status "
            f"ON activities WHEN {ACTIVITY_MOVED} "
            f"BEGIN {_bump_sets('OLD.starts_at')}; {_bump_sets('NEW.starts_at')}; END"
        ),
        "activities_sets_delete": (
            "CREATE TRIGGER activities_sets_delete AFTER DELETE ON activities "
            f"BEGIN {_bump_sets('OLD.starts_at')}; END"
        ),
        "units_sets_update": (
            "CREATE TRIGGER units_sets_update AFTER UPDATE OF parent_id ON units "
            f"WHEN OLD.parent_id IS NOT NEW.parent_id BEGIN {BUMP_ALL_SETS}; END"
        ),
        "units_sets_delete": (
            f"CREATE TRIGGER units_sets_delete AFTER DELETE ON units BEGIN {BUMP_ALL_SETS}; END"
        ),
    }

    # --- PostgreSQL --------------------------------------------------------------------------

    _NEW, _OLD = _contribution("NEW", voids), _contribution("OLD", voids)
    _COLUMNS = ", ".join(STATS_COLUMNS)
    #: activity_stats_add's parameters d0..d5 (STATS_COLUMNS order) and what they add.
    _DELTAS = ", ".join(f"d{i} integer" for i in range(len(STATS_COLUMNS)))
    _ADD_DELTAS = ", ".join(f"{c} = {c} + d{i}" for i, c in enumerate(STATS_COLUMNS))
    #: A check-in's contribution: added (NEW), removed (OLD), changed (NEW - OLD).
    _PLUS = ", ".join(_NEW)
    _MINUS = ", ".join(f"-({o})" for o in _OLD)
    _DIFFERENCE = ", ".join(f"({n}) - ({o})" for n, o in zip(_NEW, _OLD, strict=True))
    _CHANGED = " OR ".join(f"({n}) <> ({o})" for n, o in zip(_NEW, _OLD, strict=True))

    _ADD_SIGNATURE = f"activity_stats_add({', '.join(['integer'] * (2 + len(STATS_COLUMNS)))})"

    #: Function signature (as DROP FUNCTION names it) → CREATE FUNCTION statement, in order.
    POSTGRESQL_FUNCTIONS = {
        # Adds d0..d5 to a free row of activity ``a`` (a new one by ``hint`` if all are held).
        _ADD_SIGNATURE: f"""
    CREATE FUNCTION activity_stats_add(a integer, hint integer, {_DELTAS}) RETURNS void
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
                s := 1 + hint % {STATS_SHARDS - 1};
            ELSE
                s := 0;
            END IF;
            INSERT INTO activity_stats (activity_id, shard, {_COLUMNS})
                VALUES (a, s, 0, 0, 0, 0, 0, 0) ON CONFLICT DO NOTHING;
        END IF;
        UPDATE activity_stats SET {_ADD_DELTAS} WHERE activity_id = a AND shard = s;
    END $$
    """,
        # The trigger function on checkins: each change applied through activity_stats_add.
        "activity_stats_apply()": f"""
    CREATE FUNCTION activity_stats_apply() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.activity_id = NEW.activity_id THEN
            IF {_CHANGED} THEN
                PERFORM activity_stats_add(NEW.activity_id, NEW.id, {_DIFFERENCE});
            END IF;
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM activity_stats_add(OLD.activity_id, OLD.id, {_MINUS});
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM activity_stats_add(NEW.activity_id, NEW.id, {_PLUS});
        END IF;
        RETURN NULL;
    END $$
    """,
        # report_volunteer_sets: a check-in's activity's sets, before and after the change.
        "report_volunteer_sets_checkins()": f"""
    CREATE FUNCTION report_volunteer_sets_checkins() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            {_bump_sets(_activity_start("OLD"))};
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            {_bump_sets(_activity_start("NEW"))};
        END IF;
        RETURN NULL;
    END $$
    """,
        # report_volunteer_sets: an activity's sets, before and after the change.
        "report_volunteer_sets_activities()": f"""
    CREATE FUNCTION report_volunteer_sets_activities() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {_bump_sets("OLD.starts_at")};
        IF TG_OP = 'UPDATE' THEN
            {_bump_sets("NEW.starts_at")};
        END IF;
        RETURN NULL;
    END $$
    """,
        # report_volunteer_sets: every set (a unit moved or deleted).
        "report_volunteer_sets_all()": f"""
    CREATE FUNCTION report_volunteer_sets_all() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        {BUMP_ALL_SETS};
        RETURN NULL;
    END $$
    """,
    }

    #: Trigger name → (table, CREATE TRIGGER statement), in creation order.
    POSTGRESQL_TRIGGERS = {
        # activity_stats
        "checkins_activity_stats": (
            "checkins",
            "CREATE TRIGGER checkins_activity_stats AFTER INSERT OR UPDATE OR DELETE ON checkins "
            "FOR EACH ROW EXECUTE FUNCTION activity_stats_apply()",
        ),
        # report_volunteer_sets
        "checkins_sets_write": (
            "checkins",
            "CREATE TRIGGER checkins_sets_write AFTER INSERT OR DELETE ON checkins "
            "FOR EACH ROW EXECUTE FUNCTION report_volunteer_sets_checkins()",
        ),
        "checkins_sets_update": (
            "checkins",
            f"CREATE TRIGGER checkins_sets_update AFTER UPDATE OF {moved_columns} "
            f"ON checkins FOR EACH ROW WHEN ({moved}) "
            "EXECUTE FUNCTION report_volunteer_sets_checkins()",
        ),
        "activities_sets_update": (
            "activities",
            "CREATE TRIGGER activities_sets_update AFTER UPDATE OF starts_at, unit_id, status "
            f"ON activities FOR EACH ROW WHEN ({ACTIVITY_MOVED}) "
            "EXECUTE FUNCTION report_volunteer_sets_activities()",
        ),
        "activities_sets_delete": (
            "activities",
            "CREATE TRIGGER activities_sets_delete AFTER DELETE ON activities "
            "FOR EACH ROW EXECUTE FUNCTION report_volunteer_sets_activities()",
        ),
        "units_sets_update": (
            "units",
            "CREATE TRIGGER units_sets_update AFTER UPDATE OF parent_id ON units FOR EACH ROW "
            "WHEN (OLD.parent_id IS DISTINCT FROM NEW.parent_id) "
            "EXECUTE FUNCTION report_volunteer_sets_all()",
        ),
        "units_sets_delete": (
            "units",
            "CREATE TRIGGER units_sets_delete AFTER DELETE ON units "
            "FOR EACH STATEMENT EXECUTE FUNCTION report_volunteer_sets_all()",
        ),
    }

    return SQLITE_TRIGGERS, POSTGRESQL_FUNCTIONS, POSTGRESQL_TRIGGERS


#: The current definitions (schema 0009 on).
SQLITE_TRIGGERS, POSTGRESQL_FUNCTIONS, POSTGRESQL_TRIGGERS = _build(voids=True)


# --- In order ----------------------------------------------------------------------------


def create_statements(dialect: str, *, voids: bool = True) -> list[str]:
    """The statements that create the triggers (and PostgreSQL's functions), in order.

    ``voids=False`` gives the definitions before migration 0009 (no ``voided_at`` yet), for
    the migrations that come before it. The names are the same in both versions.
    """
    sqlite, functions, triggers = _build(voids)
    if dialect == "postgresql":
        return list(functions.values()) + [sql for _, sql in triggers.values()]
    return list(sqlite.values())


def drop_statements(dialect: str) -> list[str]:
    """The statements that drop what ``create_statements`` created, in reverse order."""
    if dialect == "postgresql":
        triggers = [
            f"DROP TRIGGER IF EXISTS {name} ON {table}"
            for name, (table, _) in reversed(POSTGRESQL_TRIGGERS.items())
        ]
        functions = [f"DROP FUNCTION IF EXISTS {sig}" for sig in reversed(POSTGRESQL_FUNCTIONS)]
        return triggers + functions
    return [f"DROP TRIGGER IF EXISTS {name}" for name in reversed(SQLITE_TRIGGERS)]
