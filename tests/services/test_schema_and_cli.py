"""The migration builds the models' schema and its triggers, and drops them again; the CLI
seeds idempotently and creates accounts."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, func, inspect, select, text

from volunteer_app import create_app
from volunteer_app.activities.models import Activity, ActivityStatus, Category
from volunteer_app.auth.models import Role, User
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.extensions import db as _db
from volunteer_app.stations.models import Unit

from ..conftest import _test_config, migrate_database, throwaway_postgres

#: (trigger, table) of each backend: activity_stats and report_volunteer_sets are kept
#: by them (volunteer_app/migrations/triggers.py).
TRIGGERS = {
    "sqlite": {
        ("checkins_stats_insert", "checkins"),
        ("checkins_stats_delete", "checkins"),
        ("checkins_stats_update", "checkins"),
        ("checkins_sets_insert", "checkins"),
        ("checkins_sets_delete", "checkins"),
        ("checkins_sets_update", "checkins"),
        ("activities_sets_update", "activities"),
        ("activities_sets_delete", "activities"),
        ("units_sets_update", "units"),
        ("units_sets_delete", "units"),
    },
    "postgresql": {
        ("checkins_activity_stats", "checkins"),
        ("checkins_sets_write", "checkins"),
        ("checkins_sets_update", "checkins"),
        ("activities_sets_update", "activities"),
        ("activities_sets_delete", "activities"),
        ("units_sets_update", "units"),
        ("units_sets_delete", "units"),
    },
}
#: The PostgreSQL functions the triggers call.
FUNCTIONS = {
    "activity_stats_add",
    "activity_stats_apply",
    "report_volunteer_sets_checkins",
    "report_volunteer_sets_activities",
    "report_volunteer_sets_all",
}


def schema_differences(connection) -> list:
    """What autogenerate would change to make the database match the models: tables,
    columns, types, nullability, server defaults, keys, unique constraints, indexes."""
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": True}
    )
    return compare_metadata(context, _db.metadata)


def triggers_and_functions(connection) -> tuple[set, set]:
    """The database's (trigger, table) pairs, and its own functions (PostgreSQL)."""
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        )
        return {tuple(row) for row in rows}, set()
    rows = connection.execute(
        text("SELECT tgname, tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
    )
    functions = connection.scalars(
        text(
            "SELECT proname FROM pg_proc JOIN pg_namespace ON pg_namespace.oid = pronamespace "
            "WHERE nspname = 'public'"
        )
    )
    return {tuple(row) for row in rows}, set(functions)


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        assert schema_differences(conn) == []


def test_migrations_create_the_check_constraints_of_the_models(db):
    """Autogenerate does not compare check constraints; compare their names."""
    expected = {
        (table.name, constraint.name)
        for table in db.metadata.tables.values()
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    with db.engine.connect() as conn:
        inspector = inspect(conn)
        found = {
            (table, check["name"])
            for table in inspector.get_table_names()
            for check in inspector.get_check_constraints(table)
        }
    assert expected and found == expected


def test_migrations_create_the_report_triggers(app, db):
    from volunteer_app.migrations import triggers
    from volunteer_app.reports.models import STATS_SHARDS

    assert triggers.STATS_SHARDS == STATS_SHARDS
    backend = app.config["TEST_BACKEND"]
    with db.engine.connect() as conn:
        triggers, functions = triggers_and_functions(conn)
    assert triggers == TRIGGERS[backend]
    assert functions == (FUNCTIONS if backend == "postgresql" else set())


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_downgrade_drops_everything_and_upgrade_builds_it_again(backend, tmp_path):
    if backend == "sqlite":
        uri = f"sqlite:///{tmp_path / 'downgrade.sqlite3'}"
        migrate_database(uri)
        check_downgrade_and_upgrade(uri)
    else:
        with throwaway_postgres() as uri:
            check_downgrade_and_upgrade(uri)


def check_downgrade_and_upgrade(uri: str) -> None:
    app = create_app(_test_config(uri))
    with app.app_context():
        downgrade(revision="base")
        with _db.engine.connect() as conn:
            assert inspect(conn).get_table_names() == ["alembic_version"]
            assert triggers_and_functions(conn) == (set(), set())
        upgrade()
        with _db.engine.connect() as conn:
            assert schema_differences(conn) == []
            assert triggers_and_functions(conn)[0] == TRIGGERS[conn.dialect.name]
        _db.engine.dispose()


def counts(db) -> tuple[int, ...]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Unit, User, Category, Activity, CheckIn)
    )


def test_seed_is_idempotent_and_loads_the_reference_day(db, runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    first = counts(db)
    assert first[0] >= 11 and first[1] == 3 and first[2] == 10
    again = runner.invoke(args=["seed"])
    assert "nothing new" in again.output
    db.session.expire_all()
    assert counts(db) == first

    units = set(db.session.scalars(select(Unit.name)))
    assert {"菏泽高新区", "万福街道", "吕陵镇", "万福社区卫生服务中心", "吕陵小学"} <= units
    march5 = db.session.scalars(select(Activity).where(Activity.status == ActivityStatus.FINISHED))
    assert all(a.starts_at.year == 2021 for a in march5)
    from volunteer_app.needs.models import Need

    orders = select(Need.activity_id).where(Need.activity_id.is_not(None))
    running = db.session.scalars(
        select(Activity).where(
            Activity.status == ActivityStatus.PUBLISHED, Activity.id.not_in(orders)
        )
    ).all()
    assert len(running) == 4  # two running now, two upcoming (besides the taken orders')
    confirmed = db.session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.status == HoursStatus.CONFIRMED)
    )
    assert confirmed > 0
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert admin.role is Role.DISTRICT_ADMIN and admin.check_password("leifeng35")


def test_seed_in_production_creates_no_demo_accounts(app, db, runner):
    app.config["ENV_NAME"] = "production"
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0 and "not created" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.scalar(select(func.count()).select_from(Category)) == 10


def test_create_user_command(db, runner, make):
    station = make.unit(name="吕陵小学")
    db.session.commit()
    result = runner.invoke(
        args=[
            "create-user",
            "lvxiao",
            "--role",
            "station_organizer",
            "--unit",
            "吕陵小学",
            "--password",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "lvxiao"))
    assert user.unit_id == station.id
    wrong = runner.invoke(
        args=[
            "create-user",
            "x",
            "--role",
            "district_admin",
            "--unit",
            "吕陵小学",
            "--password",
            "a-long-password",
        ]
    )
    assert wrong.exit_code != 0 and "该角色不能管理这一级别的单位。" in wrong.output


@pytest.mark.parametrize("secret", [None, "dev-insecure-change-me", "short"])
def test_production_refuses_a_weak_secret(monkeypatch, secret):
    from volunteer_app import create_app

    monkeypatch.setenv("APP_ENV", "production")
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": secret}
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(config)
