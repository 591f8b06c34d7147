"""Every PostgreSQL connection of the app plans each statement for its own values, without JIT
(config.POSTGRESQL_SESSION_OPTIONS): a generic plan reused from a station's scope for a
district's ran for minutes on the city-scale benchmark."""

from sqlalchemy import text

from volunteer_app import config
from volunteer_app.extensions import db


def test_each_connection_plans_for_its_values(app):
    if app.config["TEST_BACKEND"] != "postgresql":
        assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        return
    with db.engine.connect() as conn:
        assert conn.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
        assert conn.execute(text("SHOW jit")).scalar() == "off"


def test_an_operators_own_options_are_kept():
    merged = config.postgresql_engine_options(
        {"pool_size": 5, "connect_args": {"options": "-c statement_timeout=5000", "sslmode": "x"}}
    )
    assert merged["pool_size"] == 5 and merged["connect_args"]["sslmode"] == "x"
    assert merged["connect_args"]["options"] == (
        f"{config.POSTGRESQL_SESSION_OPTIONS} -c statement_timeout=5000"
    )
    assert config.postgresql_engine_options({})["connect_args"] == {
        "options": config.POSTGRESQL_SESSION_OPTIONS
    }
