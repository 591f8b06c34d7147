"""gunicorn settings, used as ``gunicorn -c python:volunteer_app.gunicorn_conf APP``.

Every value can be overridden from the environment (``PORT``, ``WEB_CONCURRENCY``,
``GUNICORN_THREADS``, ``GUNICORN_ACCESS_LOG``) or on the command line.
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
#: Processes: two per core plus one is gunicorn's rule of thumb for I/O-bound apps.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
#: Threads per worker: a check-in mostly waits on the database, so a few threads per
#: process keep the CPU busy without the memory of more processes.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
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
