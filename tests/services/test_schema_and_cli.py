"""Migrations match the models; the CLI seeds idempotently and creates accounts."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from volunteer_app.activities.models import Activity, ActivityStatus, Category
from volunteer_app.auth.models import Role, User
from volunteer_app.checkins.models import CheckIn, HoursStatus
from volunteer_app.stations.models import Unit


def test_migrations_match_the_models(db):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


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
    running = db.session.scalars(
        select(Activity).where(Activity.status == ActivityStatus.PUBLISHED)
    ).all()
    assert len(running) == 4  # two running now, two upcoming
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
