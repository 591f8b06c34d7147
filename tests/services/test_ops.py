"""Backups, restore, the configuration check and the proxy setting."""

import sqlite3

import pytest
from sqlalchemy import func, select

from volunteer_app import create_app
from volunteer_app.checkins import services as checkins
from volunteer_app.checkins.models import CheckIn
from volunteer_app.ops import BackupError, backup_sqlite, check_config


def test_backup_is_a_consistent_copy_that_restores(app, db, make, runner, tmp_path):
    if app.config["TEST_BACKEND"] != "sqlite":
        with pytest.raises(BackupError, match="pg_dump"):
            backup_sqlite(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "x.sqlite3")
        return
    activity = make.activity()
    for i in range(5):
        checkins.check_in(activity, make.volunteer(f"志愿者{i}"), now=activity.starts_at)
    db.session.commit()
    target = tmp_path / "backups" / "volunteer-2021-03-05.sqlite3"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM checkins").fetchone()[0] == 5
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code != 0 and "exists" in again.output

    # Restore = put the file in place of the database; the app reads it as it was.
    restored = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}", "SECRET_KEY": "x" * 40}
    )
    with restored.app_context():
        from volunteer_app.extensions import db as restored_db

        count = restored_db.session.scalar(select(func.count()).select_from(CheckIn))
        restored_db.engine.dispose()
    assert count == 5


def test_check_config_flags_unsafe_settings():
    unsafe = check_config(
        {
            "ENV_NAME": "development",
            "SECRET_KEY": "short",
            "DEBUG": True,
            "SESSION_COOKIE_SECURE": False,
            "PUBLIC_BASE_URL": "http://x",
        }
    )
    messages = " ".join(f.message for f in unsafe if f.unsafe)
    for word in ("APP_ENV", "SECRET_KEY", "DEBUG", "SESSION_COOKIE_SECURE", "https"):
        assert word in messages
    safe = check_config(
        {
            "ENV_NAME": "production",
            "SECRET_KEY": "s" * 48,
            "SESSION_COOKIE_SECURE": True,
            "PUBLIC_BASE_URL": "https://zyz.example.cn",
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/v",
            "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        }
    )
    assert not any(f.unsafe for f in safe)


def test_check_config_command_exits_nonzero_when_unsafe(runner):
    result = runner.invoke(args=["check-config"])
    assert result.exit_code == 1 and "UNSAFE" in result.output


def test_proxy_headers_trusted_only_when_configured(app, tmp_path):
    plain = app.test_client()
    response = plain.get(
        "/healthz", headers={"X-Forwarded-Proto": "https"}, base_url="http://zyz.example.cn"
    )
    assert response.status_code == 200
    proxied = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "SECRET_KEY": "x" * 40,
            "PROXY_COUNT": 1,
        }
    )

    @proxied.get("/_scheme")
    def scheme():
        from flask import request

        return request.scheme

    client = proxied.test_client()
    assert client.get("/_scheme", headers={"X-Forwarded-Proto": "https"}).text == "https"


def test_healthz_is_503_when_the_database_does_not_answer(tmp_path):
    broken = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'dir' / 'db.sqlite3'}",
            "SECRET_KEY": "x" * 40,
        }
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503 and response.json == {"status": "unavailable"}


def test_oversized_bodies_are_refused_with_413(client):
    response = client.post("/login", data={"username": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413 and "内容过大" in response.get_data(as_text=True)
    api = client.post(
        "/api/v1/activities/1/checkins",
        data=b"{" + b" " * (2 * 1024 * 1024),
        headers={"Content-Type": "application/json", "Authorization": "Bearer x"},
    )
    assert api.status_code in (401, 413) and api.is_json


def test_production_cookies_are_secure_httponly_and_lax(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}", "SECRET_KEY": "s" * 48}
    )
    client = app.test_client()
    client.get("/login")
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.secure and cookie.http_only and cookie.same_site == "Lax"


SAFE_PRODUCTION = {
    "ENV_NAME": "production",
    "SECRET_KEY": "s" * 48,
    "SESSION_COOKIE_SECURE": True,
    "PUBLIC_BASE_URL": "https://zyz.example.cn",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/v",
}


def test_check_config_refuses_per_process_rate_limits_with_several_workers():
    memory = {**SAFE_PRODUCTION, "RATELIMIT_STORAGE_URI": "memory://"}
    several = [f for f in check_config(memory, workers=4) if f.unsafe]
    assert len(several) == 1 and "memory://" in several[0].message
    assert "4 gunicorn workers" in several[0].message
    assert not any(f.unsafe for f in check_config(memory, workers=1))
    redis = {**SAFE_PRODUCTION, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"}
    assert not any(f.unsafe for f in check_config(redis, workers=9))
    unset = {**SAFE_PRODUCTION}  # Flask-Limiter's default is memory too
    assert any("memory://" in f.message for f in check_config(unset, workers=2) if f.unsafe)


def test_check_config_command_counts_the_gunicorn_workers(monkeypatch, tmp_path):
    from volunteer_app.gunicorn_conf import configured_workers

    monkeypatch.setenv("APP_ENV", "production")
    app = create_app(
        {
            **SAFE_PRODUCTION,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
    )
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert configured_workers() == 3
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["check-config"])
        assert result.exit_code == 1 and "memory:// with 3 gunicorn workers" in result.output
        monkeypatch.setenv("WEB_CONCURRENCY", "1")
        result = app.test_cli_runner().invoke(args=["check-config"])
        assert result.exit_code == 0, result.output
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert configured_workers() >= 3  # two per core plus one
