"""The task consumer's entry point: ``huey_consumer volunteer_app.worker.huey``.

It builds the app once (the same configuration as the web servers: DATABASE_URL,
JOBS_REDIS_URL or the SQLite queue under instance/) and imports every module that declares
tasks, so the consumer knows them all. ``make run`` starts one beside gunicorn
(``gunicorn_conf``); docs/deploy.md has its systemd unit.
"""

from __future__ import annotations

from volunteer_app import create_app
from volunteer_app.jobs import imports, periodic  # noqa: F401  (declare the tasks)
from volunteer_app.jobs.queue import huey
from volunteer_app.reports import warming  # noqa: F401  (declares warm-report-sets)

#: The app tasks run in; a consumer never runs tasks in immediate mode.
app = create_app({"JOBS_IMMEDIATE": False})

__all__ = ["app", "huey"]
