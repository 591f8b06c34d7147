"""Memory of a large xlsx export run as a background job, against the idle consumer.

Starts a real task consumer (``huey_consumer volunteer_app.worker.huey``, one thread) on a
database filled by bench/generate.py, measures its resident memory idle, then queues two
export jobs, one after the other, of every check-in of the district over the three years
and samples the consumer's RSS until each is done. The first job also pays for what a
worker loads once (openpyxl, locale data, compiled queries); the second shows the growth
an export itself costs. Prints rows, seconds, and RSS (docs/benchmarks.md, "Export jobs").

    .venv/bin/python bench/generate.py --db sqlite:///instance/bench.sqlite3 --scale 0.1
    .venv/bin/python bench/export_job_memory.py --db sqlite:///instance/bench.sqlite3
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import select

from volunteer_app import create_app
from volunteer_app.auth.models import User
from volunteer_app.database import utcnow
from volunteer_app.extensions import db
from volunteer_app.jobs.models import Job, JobStatus
from volunteer_app.reports.background import run_export
from volunteer_app.transactions import task_transaction

CONSUMER = [sys.executable, "-m", "huey.bin.huey_consumer", "volunteer_app.worker.huey"]
#: The three years of bench/generate.py, as one range period.
PERIOD = {"period": "range", "start": "2023-01-01", "end": "2025-12-31"}


def rss_kib(pid: int) -> int:
    """Resident memory of a process, in KiB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def wait_idle(pid: int, *, least: float = 5.0, steady: int = 5) -> int:
    """The consumer's RSS once it is idle: at least ``least`` seconds after its start and
    unchanged over ``steady`` samples a second apart. Importing the app takes several seconds
    on a loaded machine; a fixed wait would count the rest of the import as the first job's."""
    time.sleep(least)
    last, same = rss_kib(pid), 0
    while same < steady:
        time.sleep(1)
        now = rss_kib(pid)
        same = same + 1 if abs(now - last) < 256 else 0
        last = now
    return last


def _run_job(app, pid: int, fmt: str, settings: dict, base: int) -> tuple:
    """Queue one export job of the three years and sample the consumer until it ends:
    (status, rows, seconds, file bytes, peak RSS KiB)."""
    with task_transaction():
        admin = db.session.scalar(select(User).where(User.username == "bench-admin"))
        job = Job(
            kind="export.checkins",
            owner_id=admin.id,
            unit_id=admin.unit_id,
            params={**PERIOD, "fmt": fmt, "lang": "zh"},
            created_at=utcnow(),
        )
        db.session.add(job)
        db.session.flush()
        job_id = job.id
    run_export(job_id)
    started = time.monotonic()
    peak = base
    while True:
        peak = max(peak, rss_kib(pid))
        db.session.rollback()
        state = db.session.get(Job, job_id, populate_existing=True)
        if state.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
            break
        time.sleep(0.2)
    seconds = time.monotonic() - started
    path = Path(settings["JOB_RESULT_DIR"]) / (state.result_path or "none")
    size = path.stat().st_size if path.is_file() else 0
    return state.status.value, state.rows_done, seconds, size, peak


def main(argv: list[str] | None = None) -> None:
    """Run the measurement and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("DATABASE_URL"), required=False)
    parser.add_argument("--fmt", default="xlsx", choices=("xlsx", "csv"))
    args = parser.parse_args(argv)
    if not args.db:
        parser.error("--db (or DATABASE_URL) names a database filled by bench/generate.py")
    work = Path(tempfile.mkdtemp(prefix="export-job-bench-"))
    settings = {
        "DATABASE_URL": args.db,
        "JOBS_QUEUE_FILE": str(work / "queue.db"),
        "JOB_RESULT_DIR": str(work / "results"),
        "JOBS_QUEUE_NAME": "bench",
    }
    env = {**os.environ, **settings, "APP_ENV": "development"}
    env.pop("JOBS_REDIS_URL", None)
    env.pop("REDIS_URL", None)
    os.environ.update(settings)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": args.db,
            "JOBS_IMMEDIATE": False,
            "JOBS_QUEUE_FILE": settings["JOBS_QUEUE_FILE"],
            "JOB_RESULT_DIR": settings["JOB_RESULT_DIR"],
            "JOBS_QUEUE_NAME": "bench",
            "JOBS_REDIS_URL": None,
        }
    )
    consumer = subprocess.Popen(
        [*CONSUMER, "-w", "1", "-k", "thread", "-n", "-d", "0.1", "-m", "0.5", "-q"], env=env
    )
    try:
        idle = wait_idle(consumer.pid)
        with app.app_context():
            first = _run_job(app, consumer.pid, args.fmt, settings, idle)
            warm = rss_kib(consumer.pid)
            second = _run_job(app, consumer.pid, args.fmt, settings, warm)
        print(f"consumer RSS idle {idle / 1024:.1f} MiB")
        for name, (status, rows, seconds, size, peak), base in (
            ("first job", first, idle),
            ("second job", second, warm),
        ):
            print(
                f"{name}: {status}, {rows:,} rows in {seconds:.1f} s, file {size / 1e6:.1f} MB, "
                f"RSS peak {peak / 1024:.1f} MiB (+{(peak - base) / 1024:.1f} MiB over "
                f"{base / 1024:.1f} MiB before it)"
            )
    finally:
        consumer.terminate()
        consumer.wait(timeout=30)


if __name__ == "__main__":
    main()
