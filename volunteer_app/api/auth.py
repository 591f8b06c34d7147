"""Bearer-token authentication and rate limits for the API."""

from __future__ import annotations

import hashlib

from flask import current_app, g, request
from flask_babel import lazy_gettext as _l

from volunteer_app.api import bp
from volunteer_app.api.services import user_for_token
from volunteer_app.errors import DomainError
from volunteer_app.extensions import csrf, limiter

#: Endpoints that need no token: the OpenAPI document, and the volunteer's own check-in and
#: check-out (they identify the volunteer instead: see api/scan.py).
PUBLIC_ENDPOINTS = {"api.openapi", "api.self_check_in", "api.self_check_out"}


class ApiAuthError(DomainError):
    """The request carries no valid token."""

    status = 401
    messages = {
        "unauthorized": _l("A valid API token is required (Authorization: Bearer …)."),
    }


def bearer_token() -> str | None:
    """The token in ``Authorization: Bearer <token>``, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def rate_limit_key() -> str:
    """Limit per token (a kiosk never shares a bucket with another) or else per address."""
    token = bearer_token()
    if token:
        return "api-token:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:24]
    return "api-ip:" + (request.remote_addr or "unknown")


def api_rate_limit() -> str:
    """Generous for tokens (kiosks, nightly syncs), tight for callers without one."""
    if bearer_token():
        return current_app.config["API_RATE_LIMIT"]
    return current_app.config["API_ANONYMOUS_RATE_LIMIT"]


csrf.exempt(bp)  # bearer tokens are not sent by browsers on their own: no CSRF risk
limiter.limit(api_rate_limit, key_func=rate_limit_key)(bp)


@bp.before_request
def authenticate():
    """Resolve the token to an organizer; 401 JSON otherwise."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    user = user_for_token(bearer_token() or "")
    if user is None:
        raise ApiAuthError("unauthorized")
    g.api_user = user
    return None
