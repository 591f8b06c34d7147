"""Rate limits kept in Redis are shared by every process and host (the scale-out path)."""

from __future__ import annotations

import os
import uuid

import pytest

from volunteer_app import create_app

from ..conftest import csrf_token

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture
def redis_url():
    """Redis at 127.0.0.1:6379, or a clean skip (a failure with REQUIRE_REDIS=1, as in CI)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as error:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"Redis not reachable at {REDIS_URL}: {error}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    return REDIS_URL


def test_two_hosts_share_the_login_limit_through_redis(app, redis_url):
    # A client address of its own (a WSGI environ value, no traffic), so earlier runs'
    # counts in the shared Redis do not matter.
    address = "198.51.100." + str(uuid.uuid4().int % 250 + 1) + "-" + uuid.uuid4().hex[:6]
    hosts = [
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "SECRET_KEY": app.config["SECRET_KEY"],
                "RATELIMIT_ENABLED": True,
                "RATELIMIT_STORAGE_URI": redis_url,
                "LOGIN_RATE_LIMIT": "3 per minute",
                "LOGIN_LOCKOUT": "100 per minute",
            }
        )
        for _ in range(2)
    ]
    statuses = []
    for i in range(4):  # alternate between the two hosts, as a load balancer would
        client = hosts[i % 2].test_client()
        client.environ_base["REMOTE_ADDR"] = address
        token = csrf_token(client, "/login")
        response = client.post(
            "/login", data={"username": "nobody", "password": "x", "csrf_token": token}
        )
        statuses.append(response.status_code)
    assert statuses == [401, 401, 401, 429]
    for host in hosts:
        with host.app_context():
            from volunteer_app.extensions import db

            db.engine.dispose()
