"""What the logs may hold: never a bound SQL value."""

from __future__ import annotations

import logging
import os

from sqlalchemy import text

from volunteer_app import create_app
from volunteer_app.extensions import db as _db

SECRET_PHONE = "13812349876"


def test_a_database_error_in_a_request_logs_the_sql_without_its_parameters(app, db, caplog):
    @app.get("/boom")
    def boom():
        db.session.execute(
            text("SELECT * FROM no_such_table WHERE phone = :phone"), {"phone": SECRET_PHONE}
        )

    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "no_such_table" in caplog.text  # the statement is there to debug with
    assert "SQL parameters hidden" in caplog.text
    assert SECRET_PHONE not in caplog.text
    assert db.engine.hide_parameters


def test_parameters_stay_hidden_in_production_whatever_the_options(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    for options in (None, {"pool_pre_ping": True}, {"hide_parameters": False}):
        config = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "SECRET_KEY": "s" * 48,
        }
        if options is not None:
            config["SQLALCHEMY_ENGINE_OPTIONS"] = options
        app = create_app(config)
        assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["hide_parameters"] is True
        with app.app_context():
            assert _db.engine.hide_parameters
            _db.engine.dispose()
    assert os.environ["APP_ENV"] == "production"

