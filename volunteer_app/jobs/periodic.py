"""Periodic tasks, run by the consumer instead of cron (docs/organizer-console.md).

- every 5 minutes: close check-ins left open past their activity's check-out grace
  (``checkins.review.close_all_due``, as ``flask close-checkins`` does);
- every minute: fail running jobs whose worker went silent, expire finished files;
- every minute: put in service (服务中) the residents' orders whose activity has begun
  (``needs.services.start_due``);
- every 10 minutes: fill the kept volunteer sets of districts and centres that are missing or
  were invalidated (``warm-report-sets``, declared in ``reports.warming``: reports sit above
  jobs in the layers, so the task lives in its area; worker.py imports it).

The 10-working-day recording deadline and the orders' response and dispatch deadlines need no
task: the activity list and the orders' queue compute their "overdue" flags when they are
read (``activities.rules.is_recording_overdue``, ``needs.rules.is_overdue``). Each task holds a
lock in the queue's storage, so consumers on several hosts sharing Redis never run one twice
at once; all are safe to repeat.
"""

from __future__ import annotations

import logging

from huey import crontab

from volunteer_app.checkins.review import close_all_due
from volunteer_app.database import utcnow
from volunteer_app.jobs import services
from volunteer_app.jobs.queue import huey, task_context
from volunteer_app.needs.services import start_due
from volunteer_app.transactions import task_transaction

log = logging.getLogger(__name__)


def close_forgotten_checkouts() -> int:
    """Close due open check-ins (0 h, marked for review); the number closed."""
    with task_context(), task_transaction():
        closed = close_all_due(utcnow())
    if closed:
        log.info("closed %d open check-ins (marked for review)", closed)
    return closed


def start_orders() -> int:
    """Put in service the taken orders whose activity has begun; the number started."""
    with task_context(), task_transaction():
        started = start_due(utcnow())
    if started:
        log.info("put %d orders in service", started)
    return started


def sweep_jobs() -> tuple[int, int]:
    """Fail jobs whose worker stopped, expire old files; (failed, expired)."""
    with task_context() as app, task_transaction():
        return services.sweep(app, now=utcnow())


@huey.periodic_task(crontab(minute="*/5"), name="close-checkins")
@huey.lock_task("close-checkins")
def close_checkins_task() -> None:
    """The periodic run of ``close_forgotten_checkouts``."""
    close_forgotten_checkouts()


@huey.periodic_task(crontab(minute="*"), name="sweep-jobs")
@huey.lock_task("sweep-jobs")
def sweep_jobs_task() -> None:
    """The periodic run of ``sweep_jobs``."""
    sweep_jobs()


@huey.periodic_task(crontab(minute="*"), name="start-orders")
@huey.lock_task("start-orders")
def start_orders_task() -> None:
    """The periodic run of ``start_orders``."""
    start_orders()
