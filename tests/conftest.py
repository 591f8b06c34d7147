"""Fixture ladder: app (fresh database, SQLite and PostgreSQL) → db → client, runner, login_as.

The schema comes from the real migrations, built once per backend and session:
SQLite copies a migrated template file per test; PostgreSQL uses a throwaway database
for the session and truncates the tables after each test. PostgreSQL tests skip with a
clear reason where no server answers, unless REQUIRE_POSTGRES=1 (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

os.environ["APP_ENV"] = "testing"

from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from volunteer_app import create_app
from volunteer_app.extensions import db as _db

from .factories import Factory


class FreshContextClient(FlaskClient):
    """Run each request in its own app context, as in production.

    The fixture keeps an app context open for factories; without this, requests would
    share its ``g`` (and Flask-WTF's cached CSRF token) and its database session. The
    test's own session is committed first, so the request sees what the test made and
    the test's next read starts a fresh transaction that sees what the request wrote.
    """

    def open(self, *args, **kwargs):
        _db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


PG_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _test_config(uri: str) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": uri,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "RATELIMIT_ENABLED": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
    }


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file with the migrated schema, copied for each test."""
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    migrate_database(f"sqlite:///{path}")
    return path


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """Create a fresh, migrated PostgreSQL database; drop it afterwards.

    Skips (or fails, with REQUIRE_POSTGRES=1) where no server answers.
    """
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as error:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {PG_ADMIN_URL}: {error.orig}"
        if os.environ.get("REQUIRE_POSTGRES"):
            pytest.fail(reason)
        pytest.skip(reason)
    name = f"volunteer_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        migrate_database(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrate_database(uri: str) -> None:
    """Apply the migrations to the database at ``uri``."""
    app = create_app(_test_config(uri))
    with app.app_context():
        upgrade()
        _db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this session's ``app`` fixtures."""
    with throwaway_postgres() as url:
        yield url


def pytest_collection_modifyitems(config, items):
    """Deselect the SQLite run of tests marked ``postgresql_only`` (not a skip: there is
    nothing to run, SQLite has no row locks to contend for)."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        sqlite_run = callspec is not None and callspec.params.get("app") == "sqlite"
        (drop if sqlite_run and item.get_closest_marker("postgresql_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(params=["sqlite", "postgresql"])
def app(request, tmp_path):
    """The app bound to a fresh, migrated database of each backend."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        uri = f"sqlite:///{path}"
    else:
        uri = request.getfixturevalue("postgres_url")
    app = create_app(_test_config(uri))
    app.config["TEST_BACKEND"] = request.param
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        _db.session.remove()
        if request.param == "postgresql":
            tables = ", ".join(t.name for t in _db.metadata.sorted_tables)
            with _db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        _db.engine.dispose()


@pytest.fixture
def db(app):
    """The SQLAlchemy extension, bound to the test database."""
    return _db


@pytest.fixture
def make(db) -> Factory:
    """Factories for units, users, activities and volunteers (see tests/factories.py)."""
    return Factory(db)


@pytest.fixture
def client(app):
    """A test client (CSRF stays on: use ``csrf_token(client, url)``)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for ``flask`` commands."""
    return app.test_cli_runner()


@pytest.fixture
def login_as(client, make):
    """Sign a user in through the real login form: ``login_as(user)``."""

    def _login(user, password: str = Factory.PASSWORD):
        token = csrf_token(client, "/login")
        response = client.post(
            "/login", data={"username": user.username, "password": password, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return _login


def csrf_token(client, url: str) -> str:
    """Fetch ``url`` and return the CSRF token of its form."""
    import re

    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)
