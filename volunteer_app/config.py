"""Configuration classes; secrets and the database URL come from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: The value that marks "no secret configured"; production refuses to start with it.
DEV_SECRET_PLACEHOLDER = "dev-insecure-change-me"


def _env_bool(name: str, default: bool | None) -> bool | None:
    """Read a boolean environment variable ("1", "true", "yes" are true)."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    """Read an integer environment variable, falling back to ``default``."""
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def normalize_database_url(url: str) -> str:
    """Make ``postgres://`` and ``postgresql://`` URLs use the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


#: Session settings of every PostgreSQL connection (libpq ``options``). The same statement
#: serves a station of a few hundred check-ins and a district of a million, so a plan made
#: for one set of values must not be reused for another: psycopg prepares a statement on
#: its fifth run, and PostgreSQL's generic plan for it then ran a district's volunteer-set
#: query for over ten minutes where the plan made for its values takes a second (see
#: docs/benchmarks.md, "A city's scale"). Planning costs a fraction of a millisecond;
#: parsing is still saved. JIT compiling adds 50–250 ms to the few large report
#: statements and saves less than that on them.
POSTGRESQL_SESSION_OPTIONS = "-c plan_cache_mode=force_custom_plan -c jit=off"


def postgresql_engine_options(options: dict) -> dict:
    """``options`` with POSTGRESQL_SESSION_OPTIONS added to the connection's own."""
    connect_args = dict(options.get("connect_args") or {})
    given = connect_args.get("options")
    connect_args["options"] = (
        f"{POSTGRESQL_SESSION_OPTIONS} {given}" if given else (POSTGRESQL_SESSION_OPTIONS)
    )
    return {**options, "connect_args": connect_args}


def instance_secret_key(instance_path: str) -> str:
    """Return a development secret kept in ``instance/secret_key``, creating it once.

    Keeping it on disk means volunteers' remembered devices survive a restart of
    ``make run``; production must set ``SECRET_KEY`` instead.
    """
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Config:
    """Defaults shared by every environment (development unless APP_ENV says otherwise)."""

    ENV_NAME = os.environ.get("APP_ENV") or os.environ.get("FLASK_ENV") or "development"
    SECRET_KEY = os.environ.get("SECRET_KEY")  # filled from instance/ in development
    SQLALCHEMY_DATABASE_URI = (
        normalize_database_url(os.environ["DATABASE_URL"])
        if os.environ.get("DATABASE_URL")
        else None  # filled with instance/volunteer.sqlite3 by the factory
    )
    #: ``hide_parameters``: an error's message (and so the log) shows the SQL but never the
    #: values bound to it, which may be phone numbers, names or key hashes. The factory keeps
    #: it on whatever options a deployment or a test gives.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True, "hide_parameters": True}
    #: Base of the URLs printed into QR codes, e.g. https://zyz.example.cn; else the request host.
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")

    # Check-in window, relative to the activity's start and end.
    CHECKIN_OPENS_BEFORE_MINUTES = _env_int("CHECKIN_OPENS_BEFORE_MINUTES", 60)
    CHECKIN_CLOSES_AFTER_MINUTES = _env_int("CHECKIN_CLOSES_AFTER_MINUTES", 0)
    #: How long after the end a volunteer may still check out (hours stay clipped to the end).
    CHECKOUT_GRACE_MINUTES = _env_int("CHECKOUT_GRACE_MINUTES", 120)

    #: Minimum presence rule: scanned time counts only if the stay covered this share (%) of
    #: the activity's length; shorter stays get 0 h and are marked for review. 0 = off.
    MIN_PRESENCE_PERCENT = _env_int("MIN_PRESENCE_PERCENT", 0)
    #: A rotating projector code is accepted on the check-in form's submit until this long
    #: after its page was opened (while the code was valid), so a first-time volunteer has
    #: time to type a name and number. Only with the page's signed opening proof: a direct
    #: POST, or the API, gets the code's own validity (about 2 × its period).
    ROTATING_SUBMIT_GRACE_SECONDS = _env_int("ROTATING_SUBMIT_GRACE_SECONDS", 300)

    #: A volunteer's device is remembered this long (days).
    DEVICE_COOKIE_DAYS = _env_int("DEVICE_COOKIE_DAYS", 365)
    DEVICE_COOKIE_NAME = "vdev"
    LANG_COOKIE_NAME = "lang"

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")

    MAX_FORM_MEMORY_SIZE = 1024 * 1024

    WTF_CSRF_TIME_LIMIT = None  # a check-in page may stay open for the whole activity

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: An organizer's sign-in ends on the server after this many hours, or, with "keep me
    #: signed in", after this many days (auth/sessions.py); the remember cookie lasts as long.
    ORGANIZER_SESSION_HOURS = _env_int("ORGANIZER_SESSION_HOURS", 12)
    ORGANIZER_REMEMBER_DAYS = _env_int("ORGANIZER_REMEMBER_DAYS", 14)

    RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    #: Failed sign-ins per username before a temporary lockout, counted in the database
    #: (auth/lockout.py) whatever RATELIMIT_ENABLED says.
    LOGIN_LOCKOUT = os.environ.get("LOGIN_LOCKOUT", "5 per 15 minutes")
    #: Requests per client address to the anonymous invite page /invite/<token> (auth/invites.py).
    INVITE_RATE_LIMIT = os.environ.get("INVITE_RATE_LIMIT", "20 per minute")
    #: Largest request body accepted (413 above it). An API call or a form is a few
    #: kilobytes; the one upload, a volunteer import, is about 350 KB for 10,000 rows.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 1024 * 1024)
    #: Per API token: generous, so a school-gate kiosk or a nightly sync never trips it.
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "6000 per minute")
    #: API calls without a token, per address.
    API_ANONYMOUS_RATE_LIMIT = os.environ.get("API_ANONYMOUS_RATE_LIMIT", "60 per minute")

    #: Volunteer searches on the desk page, per organizer account: enough for a queue at
    #: the desk, too few to walk through the numbers (checkins.organizer.search_volunteers).
    VOLUNTEER_SEARCH_RATE_LIMIT = os.environ.get("VOLUNTEER_SEARCH_RATE_LIMIT", "30 per minute")
    #: Strict-Transport-Security (security.py): browsers then never try plain HTTP for this
    #: host for HSTS_MAX_AGE seconds. Unset: on in production when PREFERRED_URL_SCHEME is
    #: https (its default there); HSTS=0 or 1 decides otherwise; never in debug or testing.
    HSTS = _env_bool("HSTS", None)
    HSTS_MAX_AGE = _env_int("HSTS_MAX_AGE", 365 * 24 * 3600)

    #: How many reverse proxies sit in front of the app (their X-Forwarded-* headers are
    #: trusted; 0 = none). Behind nginx on the same host: 1. See docs/deploy.md.
    PROXY_COUNT = _env_int("PROXY_COUNT", 0)

    #: Failed PIN sign-ins allowed per client IP (Flask-Limiter syntax); per phone number the
    #: lockout in volunteers.rules applies (5 wrong PINs → 15 minutes).
    PIN_RATE_LIMIT = os.environ.get("PIN_RATE_LIMIT", "20 per 10 minutes")
    #: Answers that tell something about a number (a failed sign-in, "no PIN yet", a walk-in
    #: refused for a known number) allowed per client IP, so numbers cannot be probed in bulk.
    PROBE_RATE_LIMIT = os.environ.get("PROBE_RATE_LIMIT", "30 per hour")
    #: Wrong join codes typed on a team's join page (teams/join.py), per client IP: a code
    #: of 4 letters or digits cannot be guessed by trying.
    JOIN_CODE_RATE_LIMIT = os.environ.get("JOIN_CODE_RATE_LIMIT", "10 per hour")
    #: Orders placed by residents (needs/public.py), per client IP, per contact number and
    #: per service address: a neighbour's real needs fit; a flood of fake orders does not.
    NEED_RATE_LIMIT_IP = os.environ.get("NEED_RATE_LIMIT_IP", "10 per hour")
    NEED_RATE_LIMIT_NUMBER = os.environ.get("NEED_RATE_LIMIT_NUMBER", "5 per day")
    NEED_RATE_LIMIT_ADDRESS = os.environ.get("NEED_RATE_LIMIT_ADDRESS", "5 per day")
    #: SMS backend for one-time codes (volunteer_app/sms.py): "" = none, "log" = development.
    SMS_BACKEND = os.environ.get("SMS_BACKEND", "")
    #: One-time codes sent by SMS, per number and per client IP.
    SMS_RATE_LIMIT_NUMBER = os.environ.get("SMS_RATE_LIMIT_NUMBER", "3 per hour")
    SMS_RATE_LIMIT_IP = os.environ.get("SMS_RATE_LIMIT_IP", "10 per hour")
    #: Star-level thresholds used until the district admin picks a preset (volunteers.stars).
    STAR_PRESET = os.environ.get("STAR_PRESET", "national")

    #: Version of the consent text a volunteer agrees to; kept with each consent.
    CONSENT_VERSION = "2026-11"

    #: Whether a volunteer import reads and keeps a 身份证号 column (checked against
    #: GB 11643; shown masked). Off (PIPL: collect only what is needed): the column is
    #: ignored, with a note.
    COLLECT_ID_NUMBERS = _env_bool("COLLECT_ID_NUMBERS", False)
    #: Whether the roster's export carries the ID numbers kept (in full). Off: never.
    EXPORT_ID_NUMBERS = _env_bool("EXPORT_ID_NUMBERS", False)
    #: Where checked uploads wait for their confirmation (an hour at most); default
    #: ``instance/imports``. They hold names and numbers: keep it off shared disks.
    IMPORT_PENDING_DIR = os.environ.get("IMPORT_PENDING_DIR") or None

    # --- background jobs (volunteer_app/jobs, docs/deploy.md "Background jobs") ---
    #: The task queue: Redis when set (every host's web servers and consumers share it),
    #: else a SQLite file under instance/ (JOBS_QUEUE_FILE), so ``make run`` needs nothing.
    JOBS_REDIS_URL = os.environ.get("JOBS_REDIS_URL") or os.environ.get("REDIS_URL") or None
    JOBS_QUEUE_FILE = os.environ.get("JOBS_QUEUE_FILE") or None  # default instance/jobs-queue.db
    #: The queue's name (its Redis keys' prefix): one per deployment sharing a Redis.
    JOBS_QUEUE_NAME = os.environ.get("JOBS_QUEUE_NAME", "volunteer")
    #: Run tasks inside the request that enqueues them (tests), never in production.
    JOBS_IMMEDIATE = False
    #: Exports with more rows than this run as a job with a progress page; smaller ones
    #: are answered at once, as before.
    EXPORT_JOB_THRESHOLD = _env_int("EXPORT_JOB_THRESHOLD", 20_000)
    #: Imports (volunteers, the unit tree) of more rows than this run as a job once confirmed;
    #: smaller ones are written inside the confirming request, as before.
    IMPORT_JOB_THRESHOLD = _env_int("IMPORT_JOB_THRESHOLD", 2_000)
    #: Queued or running jobs one user may have at once (exports and imports together).
    JOBS_PER_USER = _env_int("JOBS_PER_USER", 3)
    #: Days a finished job's file stays downloadable; then it is deleted.
    JOB_RESULT_DAYS = _env_int("JOB_RESULT_DAYS", 7)
    #: Where finished files are kept (not served directly); default instance/jobs.
    JOB_RESULT_DIR = os.environ.get("JOB_RESULT_DIR") or None
    #: Rows between two progress reports (and cancel checks) of a running job.
    JOB_CHUNK_ROWS = _env_int("JOB_CHUNK_ROWS", 1000)
    #: A running job whose worker has not reported for this long is marked failed.
    JOB_STALE_MINUTES = _env_int("JOB_STALE_MINUTES", 5)
    #: Test hook: a pause after each chunk so a browser test can watch the progress.
    #: Never read from the environment; ignored in production.
    JOB_CHUNK_DELAY_SECONDS = 0.0


class DevelopmentConfig(Config):
    """Local development: ``make run``."""

    DEBUG = False  # the debugger must never be reachable from the LAN that ``make run`` serves


class TestConfig(Config):
    """The test suite: CSRF stays on, the database is given by the fixture."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    RATELIMIT_ENABLED = False
    SERVER_NAME = None
    JOBS_IMMEDIATE = True  # tests that need a queue configure one (tests/jobs/)
    #: The consumer started by tests/jobs/test_consumer.py is slowed this way.
    JOB_CHUNK_DELAY_SECONDS = float(os.environ.get("TEST_JOB_CHUNK_DELAY") or 0)


class ProductionConfig(Config):
    """Production: refuses to start without a real secret."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    #: Served over HTTPS behind the proxy (docs/deploy.md); with it the answers carry HSTS.
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")
