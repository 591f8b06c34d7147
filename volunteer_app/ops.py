"""Operations: consistent online backups and a configuration safety check."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from volunteer_app.config import DEV_SECRET_PLACEHOLDER


class BackupError(Exception):
    """A backup could not be made."""


def backup_sqlite(database_uri: str, target: Path) -> int:
    """Copy a live SQLite database to ``target`` with SQLite's online backup API.

    The copy is a consistent snapshot even while check-ins are being written (the API
    restarts pages changed meanwhile). Returns the size of the copy in bytes.
    """
    url = make_url(database_uri)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(
            "only a file SQLite database can be backed up this way; for PostgreSQL use "
            "pg_dump (see docs/deploy.md)"
        )
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{url.database}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    try:
        with copy:
            source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError(f"integrity check of the copy failed: {result}")
    finally:
        copy.close()
        source.close()
    return target.stat().st_size


@dataclass(frozen=True)
class Finding:
    """One thing ``check-config`` reports; ``unsafe`` ones make it exit non-zero."""

    unsafe: bool
    message: str


def check_config(config: dict[str, Any], workers: int = 1) -> list[Finding]:
    """What is unsafe or doubtful about a configuration, for a production deployment;
    ``workers``: the gunicorn processes that will serve it (gunicorn_conf)."""
    findings: list[Finding] = []
    production = config.get("ENV_NAME") == "production"
    secret = config.get("SECRET_KEY") or ""
    if not production:
        findings.append(Finding(True, "APP_ENV is not 'production' (demo data, insecure cookies)"))
    if secret == DEV_SECRET_PLACEHOLDER or len(secret) < 32:
        findings.append(Finding(True, "SECRET_KEY is missing, a placeholder or shorter than 32"))
    if config.get("DEBUG"):
        findings.append(Finding(True, "DEBUG is on: the debugger can run code for anyone"))
    if not config.get("SESSION_COOKIE_SECURE"):
        findings.append(Finding(True, "SESSION_COOKIE_SECURE is off: cookies travel over HTTP"))
    base = config.get("PUBLIC_BASE_URL") or ""
    if not base:
        findings.append(Finding(False, "PUBLIC_BASE_URL is unset: QR codes use the request host"))
    elif not base.startswith("https://"):
        findings.append(Finding(True, "PUBLIC_BASE_URL is not https: phone cameras need HTTPS"))
    uri = config.get("SQLALCHEMY_DATABASE_URI") or ""
    if uri.startswith("sqlite"):
        findings.append(
            Finding(False, "SQLite suits one host; several hosts need PostgreSQL (DATABASE_URL)")
        )
    if (config.get("RATELIMIT_STORAGE_URI") or "memory://").startswith("memory"):
        if production and workers > 1:
            message = (
                f"RATELIMIT_STORAGE_URI is memory:// with {workers} gunicorn workers: each "
                f"keeps its own counts, so every rate limit is {workers} times looser; "
                "use Redis (RATELIMIT_STORAGE_URI=redis://…) or WEB_CONCURRENCY=1"
            )
            findings.append(Finding(True, message))
        else:
            findings.append(
                Finding(False, "rate limits are kept per process; use Redis for several processes")
            )
    if not config.get("RATELIMIT_ENABLED", True):
        findings.append(Finding(True, "rate limiting is disabled"))
    return findings
