"""What the logs may hold: never a bound SQL value, a full phone number, a PIN, a check-in
code, a kiosk link, a card code or a token."""

from __future__ import annotations

import http.client
import logging
import os
import time

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


def test_gunicorns_access_log_holds_no_phone_pin_code_or_kiosk_link(tmp_path):
    """A real gunicorn with the project's config (as ``make run``): the access log names the
    requests, never the number, the PIN, the check-in code or the kiosk link in them."""
    from bench.harness import SECRET, gunicorn
    from volunteer_app.checkins.keys import issue_kiosk_token
    from volunteer_app.checkins.tokens import issue_token

    from ..conftest import migrate_database

    database = f"sqlite:///{tmp_path / 'log.sqlite3'}"
    migrate_database(database)
    checkin_code = issue_token(SECRET, "Ab12Cd34Ef56Gh78")
    kiosk_link = issue_kiosk_token(SECRET, "Zy98Xw76Vu54Ts32")
    log = tmp_path / "access.log"
    paths = [
        f"/me/sign-in?phone={SECRET_PHONE}&pin=2580",
        f"/c/{checkin_code}?phone={SECRET_PHONE}",
        f"/k/{kiosk_link}",
        f"/k/{kiosk_link}/live.json",
        f"/discover/{SECRET_PHONE}",
    ]
    with gunicorn(database, workers=1, threads=2, extra_args=["--access-logfile", str(log)]) as s:
        for path in paths:
            conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
            conn.request("GET", path, headers={"Referer": f"http://x/c/{checkin_code}"})
            conn.getresponse().read()
            conn.close()
        deadline = time.monotonic() + 10
        while log.read_text().count("\n") < len(paths) + 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        lines = log.read_text()
    assert "/me/sign-in?phone=…&pin=… HTTP/1.1" in lines
    assert "/c/…?phone=… HTTP/1.1" in lines and "/k/…/live.json" in lines
    assert "/discover/138****9876" in lines
    for secret in (SECRET_PHONE, "2580", checkin_code, kiosk_link, "Ab12Cd34Ef56Gh78"):
        assert secret not in lines, secret
