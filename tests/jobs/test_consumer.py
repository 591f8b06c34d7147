"""The real consumer process (``huey_consumer volunteer_app.worker.huey``) runs export and
import jobs from the embedded SQLite queue and from Redis; a killed one leaves no job silently
lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest

from volunteer_app.database import utcnow
from volunteer_app.jobs import services
from volunteer_app.jobs.models import JobStatus
from volunteer_app.jobs.queue import task_context
from volunteer_app.transactions import task_transaction

from .helpers import ROWS, build, configure, job_row, start_export, xlsx_lines

CONSUMER = [sys.executable, "-m", "huey.bin.huey_consumer", "volunteer_app.worker.huey"]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _redis_or_skip() -> str:
    """Redis at 127.0.0.1:6379, or a clean skip (a failure with REQUIRE_REDIS=1, as in CI)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError as error:
        if os.environ.get("REQUIRE_REDIS"):
            pytest.fail(f"Redis not reachable at {REDIS_URL}: {error}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {error}")
    return REDIS_URL


@pytest.fixture(params=["sqlite-queue", "redis-queue"])
def queue_config(request, tmp_path) -> dict:
    """The queue's settings, shared by the test's web app and the consumer process."""
    settings = {
        "JOBS_QUEUE_FILE": str(tmp_path / "queue.db"),
        "JOBS_QUEUE_NAME": f"test-{uuid.uuid4().hex[:10]}",
        "JOBS_REDIS_URL": None,
    }
    if request.param == "redis-queue":
        settings["JOBS_REDIS_URL"] = _redis_or_skip()
    return settings


class Consumer:
    """A huey consumer process for the test's database and queue."""

    def __init__(self, app, queue_config: dict, tmp_path, delay: float = 0.0) -> None:
        env = {
            **os.environ,
            "APP_ENV": "testing",
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "JOB_RESULT_DIR": app.config["JOB_RESULT_DIR"],
            "JOB_CHUNK_ROWS": str(app.config["JOB_CHUNK_ROWS"]),
            "JOBS_QUEUE_FILE": queue_config["JOBS_QUEUE_FILE"],
            "JOBS_QUEUE_NAME": queue_config["JOBS_QUEUE_NAME"],
            "TEST_JOB_CHUNK_DELAY": str(delay),
        }
        env.pop("JOBS_REDIS_URL", None)
        env.pop("REDIS_URL", None)
        if queue_config["JOBS_REDIS_URL"]:
            env["JOBS_REDIS_URL"] = queue_config["JOBS_REDIS_URL"]
        self.log = (tmp_path / "consumer.log").open("wb")
        self.process = subprocess.Popen(
            [*CONSUMER, "-w", "1", "-k", "thread", "-n", "-d", "0.1", "-m", "0.3"],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process (SIGKILL: as a crash would)."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _wait_for(db, job_id: int, done, timeout: float = 60.0):
    """Poll the job's row until ``done(job)``; the job then."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = job_row(db, job_id)
        db.session.rollback()
        if done(job):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} stayed {job.status} ({job.rows_done}/{job.rows_total})")


def _job_id(response) -> int:
    assert response.status_code == 303
    return int(response.headers["Location"].rsplit("/", 1)[1])


def test_the_consumer_runs_a_queued_export_job(
    app, client, make, db, login_as, tmp_path, queue_config
):
    world = build(make, db)
    configure(app, tmp_path, JOBS_IMMEDIATE=False, **queue_config)
    login_as(world.user)
    # Queued while no consumer runs: the job waits in the queue's storage, not in the web
    # process, so it survives the web server's restart.
    job_id = _job_id(start_export(client, world.attendance))
    assert job_row(db, job_id).status == JobStatus.QUEUED
    consumer = Consumer(app, queue_config, tmp_path)
    try:
        job = _wait_for(db, job_id, lambda j: j.status not in (JobStatus.QUEUED, JobStatus.RUNNING))
    finally:
        consumer.stop()
    assert job.status == JobStatus.DONE, (tmp_path / "consumer.log").read_text()
    assert job.rows_done == ROWS == job.rows_total
    with client.get(f"/jobs/{job_id}/download") as download:  # closed: it holds the file open
        lines = xlsx_lines(download.data)
    assert len(lines) == ROWS + 1


def test_a_job_whose_consumer_is_killed_is_marked_failed(
    app, client, make, db, login_as, tmp_path, queue_config
):
    world = build(make, db)
    configure(app, tmp_path, JOBS_IMMEDIATE=False, JOB_CHUNK_ROWS=2, **queue_config)
    login_as(world.user)
    job_id = _job_id(start_export(client, world.attendance))
    consumer = Consumer(app, queue_config, tmp_path, delay=1.0)
    try:
        running = _wait_for(db, job_id, lambda j: j.status == JobStatus.RUNNING and j.rows_done)
    finally:
        consumer.stop(signal.SIGKILL)
    assert 0 < running.rows_done < ROWS
    time.sleep(0.5)
    assert job_row(db, job_id).status == JobStatus.RUNNING  # nobody finishes it
    db.session.rollback()
    with task_context() as task_app, task_transaction():
        assert services.sweep(task_app, now=utcnow() + timedelta(minutes=10)) == (1, 0)
    job = job_row(db, job_id)
    assert job.status == JobStatus.FAILED and job.error_code == "worker_stopped"
    assert not list((tmp_path / "results").glob(f"job-{job_id}.*"))


def test_the_consumer_runs_a_queued_import_job(
    app, client, make, db, login_as, tmp_path, queue_config
):
    from .test_import_jobs import PEOPLE, setup, start

    station = make.unit("万福社区站")
    organizer = make.user(unit=station)
    db.session.commit()
    setup(app, tmp_path, **queue_config)
    login_as(organizer)
    job_id, _ = start(client)
    assert job_row(db, job_id).status == JobStatus.QUEUED
    db.session.rollback()
    consumer = Consumer(app, queue_config, tmp_path)
    try:
        job = _wait_for(db, job_id, lambda j: j.status not in (JobStatus.QUEUED, JobStatus.RUNNING))
    finally:
        consumer.stop()
    assert job.status == JobStatus.DONE, (tmp_path / "consumer.log").read_text()
    assert job.rows_done == PEOPLE == job.rows_total
    assert job.result["new_people"] == PEOPLE
    assert not services.input_file(tmp_path / "results", job_id).exists()
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "done" and state["download_url"] is None
