"""Times are stored in UTC and shown and entered in the local zone (Asia/Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    """The time zone times are shown and entered in (Asia/Shanghai by default)."""
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_to_utc(naive_local: datetime) -> datetime:
    """Interpret a naive wall-clock time (from a form) in the local zone; return aware UTC."""
    return naive_local.replace(tzinfo=local_zone()).astimezone(UTC)


def utc_to_local(moment: datetime) -> datetime:
    """An aware UTC datetime in the local zone."""
    return moment.astimezone(local_zone())
