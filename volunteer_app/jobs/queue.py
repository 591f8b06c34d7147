"""The task queue: one huey instance, its storage chosen from the app's configuration.

- ``JOBS_REDIS_URL`` (or ``REDIS_URL``) set: Redis, shared by every host's web servers and
  consumers (production, docs/deploy.md).
- otherwise: a SQLite file under instance/ (``JOBS_QUEUE_FILE``), so ``make run`` needs
  nothing else; the consumer it starts reads the same file.
- ``JOBS_IMMEDIATE`` (tests): a task runs inside the call that enqueues it.

Tasks are declared on ``huey`` at import time and configured when an app is created
(``init_app``), like the other extensions. The queue carries only ids; the state a person
sees lives in the ``jobs`` table, so a restart of the web server loses nothing.
A task body runs inside ``task_context``: a fresh app context (its own database session)
with a request context of its own, in the job's language.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context
from flask_babel import force_locale
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

#: The queue of the app; ``init_app`` points it at its storage.
huey = Huey("volunteer", results=False, utc=True, storage_class=MemoryStorage)

#: The app tasks run for in a consumer (the last one configured in this process).
_apps: list[Flask] = []


def storage_settings(app: Flask) -> tuple[type, dict]:
    """The storage class and its arguments for an app's configuration."""
    url = app.config.get("JOBS_REDIS_URL")
    if url:
        return RedisStorage, {"url": url}
    return SqliteStorage, {"filename": queue_file(app)}


def queue_file(app: Flask) -> str:
    """The SQLite file of the embedded queue (default ``instance/jobs-queue.db``)."""
    return app.config.get("JOBS_QUEUE_FILE") or os.path.join(app.instance_path, "jobs-queue.db")


def init_app(app: Flask) -> None:
    """Point the queue at the app's storage (or immediate mode) and remember the app."""
    storage_class, kwargs = storage_settings(app)
    huey.name = app.config["JOBS_QUEUE_NAME"]
    huey.storage_class = storage_class
    huey.storage_kwargs = kwargs
    huey._immediate = bool(app.config["JOBS_IMMEDIATE"])
    huey.storage = huey.create_storage()
    _apps[:] = [app]


def task_app() -> Flask:
    """The app a task runs for: the current one (immediate mode), else the configured one."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if not _apps:
        raise RuntimeError("no app configured for the task queue: import volunteer_app.worker")
    return _apps[0]


@contextmanager
def task_context(locale: str | None = None) -> Iterator[Flask]:
    """A fresh app and request context for a task's body, in ``locale`` if given.

    The request context is a GET of its own, so the session's transactions begin deferred
    as in the command line, and whatever the enqueueing request had (``g``, its session,
    SQLite's write lock) is not shared.
    """
    app = task_app()
    with app.app_context(), app.test_request_context("/"):
        if locale:
            with force_locale(locale):
                yield app
        else:
            yield app
