"""Temporary lockout after repeated failed sign-ins, per username.

Counted in the rate limiter's storage (memory, or Redis shared by all hosts). Unknown
usernames are counted and locked exactly like real ones, so a lockout reveals nothing
about which accounts exist.
"""

from __future__ import annotations

from flask import current_app
from limits import parse

from volunteer_app.extensions import limiter

NAMESPACE = "login-failures"


def _active() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED")) and limiter.enabled


def _key(username: str) -> str:
    return username.strip().lower()[:64] or "-"


def is_locked(username: str) -> bool:
    """Whether sign-in for this username is locked for now."""
    if not _active():
        return False
    rule = parse(current_app.config["LOGIN_LOCKOUT"])
    return not limiter.limiter.test(rule, NAMESPACE, _key(username))


def record_failure(username: str) -> None:
    """Count one failed sign-in."""
    if _active():
        limiter.limiter.hit(parse(current_app.config["LOGIN_LOCKOUT"]), NAMESPACE, _key(username))


def clear(username: str) -> None:
    """Forget the failures after a successful sign-in."""
    if _active():
        limiter.limiter.clear(parse(current_app.config["LOGIN_LOCKOUT"]), NAMESPACE, _key(username))
