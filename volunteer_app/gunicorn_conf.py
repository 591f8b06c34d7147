"""gunicorn settings, used as ``gunicorn -c python:volunteer_app.gunicorn_conf APP``.

Every value can be overridden from the environment (``PORT``, ``WEB_CONCURRENCY``,
``GUNICORN_THREADS``, ``GUNICORN_ACCESS_LOG``) or on the command line. Log lines pass
through ``log_redaction`` (``RedactingLogger``). With ``RUN_JOBS_CONSUMER=1`` (``make run``)
the master also runs the task consumer of background jobs and stops it when it stops.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys

from gunicorn.glogging import Logger

from volunteer_app import log_redaction

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")


def configured_workers(environ=os.environ) -> int:
    """Processes: WEB_CONCURRENCY, else two per core plus one (gunicorn's rule of thumb for
    I/O-bound apps). ``flask check-config`` reads the same number."""
    raw = (environ.get("WEB_CONCURRENCY") or "").strip()
    return int(raw) if raw else multiprocessing.cpu_count() * 2 + 1


workers = configured_workers()


def default_threads(database_url: str) -> int:
    """Threads per worker for a database: 4 for PostgreSQL, 2 for SQLite.

    A check-in mostly waits on PostgreSQL, so a few threads per process keep the CPU busy
    without the memory of more processes. SQLite has one writer at a time: with more
    threads per process, the thread holding the write lock waits for the GIL while the
    others queue for the lock. In the check-in burst benchmark (docs/benchmarks.md, c32)
    2 threads gave SQLite about a third more throughput and half the p99 of 4; PostgreSQL
    did best with 4. At least 2, so one phone uploading slowly never holds a whole worker.
    """
    return 4 if database_url.startswith("postgres") else 2


worker_class = "gthread"
threads = int(
    os.environ.get("GUNICORN_THREADS") or default_threads(os.environ.get("DATABASE_URL", ""))
)
timeout = 30
graceful_timeout = 20
keepalive = 5
#: Restart workers now and then so a slow leak can never take a station's day down.
max_requests = 5000
max_requests_jitter = 500
#: Access log off by default: it halves throughput when written to a terminal.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
#: Trust X-Forwarded-* only from the local reverse proxy (see docs/deploy.md).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


class RedactingLogger(Logger):
    """gunicorn's logger, with every access and error line passed through
    ``log_redaction.redact``: no query values, check-in codes, kiosk links, card codes or
    full phone numbers in the logs (``--access-logfile -`` of ``make run`` included)."""

    def setup(self, cfg) -> None:
        """gunicorn's handlers, then the redacting filter on both logs."""
        super().setup(cfg)
        for log in (self.access_log, self.error_log):
            log_redaction.install(log)


logger_class = RedactingLogger


#: The task consumer (volunteer_app.worker), with the periodic tasks.
CONSUMER = [sys.executable, "-m", "huey.bin.huey_consumer", "volunteer_app.worker.huey"]


def consumer_command(environ=os.environ) -> list[str]:
    """``huey_consumer`` for this app, with JOBS_WORKERS threads (default 2)."""
    workers = (environ.get("JOBS_WORKERS") or "2").strip()
    return [*CONSUMER, "-w", workers, "-k", "thread"]


def on_starting(server) -> None:
    """With RUN_JOBS_CONSUMER=1, start the task consumer beside the web workers.

    So ``make run`` needs nothing else for background jobs; production runs the consumer
    as a service of its own (docs/deploy.md).
    """
    if os.environ.get("RUN_JOBS_CONSUMER") != "1":
        return
    server.jobs_consumer = subprocess.Popen(consumer_command())
    server.log.info("Started the task consumer (pid %s)", server.jobs_consumer.pid)


def on_exit(server) -> None:
    """Stop the consumer started by ``on_starting`` (it finishes its current chunk)."""
    consumer = getattr(server, "jobs_consumer", None)
    if consumer is None or consumer.poll() is not None:
        return
    consumer.terminate()
    try:
        consumer.wait(timeout=graceful_timeout)
    except subprocess.TimeoutExpired:
        consumer.kill()
        consumer.wait()
