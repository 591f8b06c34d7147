"""HTTP at the edge: HSTS in production, 405 answers that say which methods a path has."""

from __future__ import annotations

import pytest

from volunteer_app import create_app


def production_app(monkeypatch, tmp_path, **config):
    """The app as production builds it (APP_ENV=production), on a throwaway SQLite file."""
    monkeypatch.setenv("APP_ENV", "production")
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "SECRET_KEY": "s" * 48,
            **config,
        }
    )


def test_production_over_https_sends_hsts(monkeypatch, tmp_path):
    app = production_app(monkeypatch, tmp_path)
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    response = app.test_client().get("/login")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    # error pages too: a browser meets them first as often as any other page
    missing = app.test_client().get("/no-such-page")
    assert missing.status_code == 404 and "Strict-Transport-Security" in missing.headers


@pytest.mark.parametrize(
    ("config", "sent"),
    [
        ({"PREFERRED_URL_SCHEME": "http"}, False),
        ({"PREFERRED_URL_SCHEME": "http", "HSTS": True}, True),
        ({"HSTS": False}, False),
        ({"DEBUG": True}, False),
        ({"TESTING": True, "HSTS": True}, False),
    ],
)
def test_hsts_follows_the_scheme_or_the_flag_and_never_in_debug_or_tests(
    monkeypatch, tmp_path, config, sent
):
    app = production_app(monkeypatch, tmp_path, **config)
    response = app.test_client().get("/login")
    assert ("Strict-Transport-Security" in response.headers) is sent


def test_development_and_tests_send_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/login", {"GET", "POST"}),
        ("GET", "/logout", {"POST"}),
        ("DELETE", "/activities/1", {"GET"}),
        ("DELETE", "/api/v1/activities", {"GET"}),
        ("PATCH", "/api/v1/activities/1/checkins", {"GET", "POST"}),
        ("GET", "/api/v1/checkin", {"POST"}),
    ],
)
def test_405_answers_carry_allow(client, method, path, allowed):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}
    if path.startswith("/api/"):
        assert response.json["error"]["code"] == "http_405"
    else:
        assert "此处不支持该操作" in response.get_data(as_text=True)
