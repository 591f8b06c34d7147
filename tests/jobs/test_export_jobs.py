"""Large exports as background jobs: the threshold, the job's life, its page and its file.

Most tests run the queue embedded (SQLite file storage) and execute its tasks as the
consumer's worker does (``helpers.run_queued``); tests/jobs/test_consumer.py runs the real
consumer process on SQLite and on Redis.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from volunteer_app.database import utcnow
from volunteer_app.jobs import periodic
from volunteer_app.jobs.models import Job, JobStatus
from volunteer_app.reports import background

from ..conftest import csrf_token
from .helpers import ROWS, build, configure, job_row, run_queued, start_export, xlsx_lines


@pytest.fixture
def world(make, db):
    return build(make, db)


def _job_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"/jobs/(\d+)$", response.headers["Location"]).group(1))


def test_small_exports_stay_immediate(app, client, world, login_as, tmp_path):
    configure(app, tmp_path, EXPORT_JOB_THRESHOLD=ROWS)
    login_as(world.user)
    with client.get(world.attendance) as response:  # closed: it holds its temporary file open
        assert response.status_code == 200
        assert len(xlsx_lines(response.data)) == ROWS + 1
    assert client.application.extensions  # the app answered; no job was made
    assert run_queued() == 0


def test_a_large_export_runs_as_a_job_through_its_life(app, client, world, login_as, db, tmp_path):
    configure(app, tmp_path, JOBS_IMMEDIATE=False)
    login_as(world.user)
    page = client.get(world.attendance)
    assert page.status_code == 200
    assert "12" in page.get_data(as_text=True) and "准备文件" in page.get_data(as_text=True)

    job_id = _job_id(start_export(client, world.attendance))
    queued = client.get(f"/jobs/{job_id}.json").get_json()
    assert queued["status"] == "queued" and queued["download_url"] is None
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in html and "<progress" in html

    seen = []
    original = background.jobs.progress

    def watching(job, rows_done, *, now):
        cancel = original(job, rows_done, now=now)
        with db.engine.connect() as connection:
            seen.append(
                tuple(
                    connection.execute(
                        text("SELECT status, rows_done, rows_total FROM jobs WHERE id = :id"),
                        {"id": job},
                    ).one()
                )
            )
        return cancel

    background.jobs.progress = watching
    try:
        assert run_queued() == 1
    finally:
        background.jobs.progress = original
    assert seen == [("running", 4, ROWS), ("running", 8, ROWS), ("running", 12, ROWS)]

    done = client.get(f"/jobs/{job_id}.json").get_json()
    assert done["status"] == "done" and done["percent"] == 100 and done["finished"]
    assert done["rows_text"] == f"{ROWS} of {ROWS} rows" or "12" in done["rows_text"]
    with client.get(done["download_url"]) as download:  # closed: it holds the file open
        assert download.status_code == 200
        assert "attachment" in download.headers["Content-Disposition"]
        lines = xlsx_lines(download.data)
    assert len(lines) == ROWS + 1 and lines[0][0] == "姓名"
    assert sorted(line[0] for line in lines[1:]) == [f"志愿者{n:02d}" for n in range(ROWS)]
    job = job_row(db, job_id)
    assert job.expires_at - job.finished_at == timedelta(days=7)
    assert job.started_at is not None and job.rows_done == ROWS

    listing = client.get("/jobs").get_data(as_text=True)
    assert f"/jobs/{job_id}" in listing


def test_a_csv_job_and_immediate_mode(app, client, world, login_as, tmp_path):
    configure(app, tmp_path)
    login_as(world.user)
    url = world.attendance.replace(".xlsx", ".csv")
    job_id = _job_id(start_export(client, url))
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "done"
    with client.get(state["download_url"]) as download:
        body = download.get_data()
    assert body.startswith(b"\xef\xbb\xbf") and body.count(b"\r\n") == ROWS + 1


def test_a_failed_job_says_why_in_the_users_language(app, client, world, login_as, tmp_path):
    configure(app, tmp_path, JOBS_IMMEDIATE=False)
    login_as(world.user)
    job_id = _job_id(start_export(client, world.attendance))
    original = background.write_xlsx

    def broken(*args, **kwargs):
        raise OSError("disk full")

    background.write_xlsx = broken
    try:
        run_queued()
    finally:
        background.write_xlsx = original
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "failed"
    assert state["error"] == "文件未能生成，请重试。"
    english = client.get(f"/jobs/{job_id}?lang=en").get_data(as_text=True)
    assert "The file could not be prepared. Please try again." in english, english[
        english.find("job-error") - 200 :
    ][:600]
    assert not list((tmp_path / "results").glob("job-*"))


def test_a_queued_job_is_cancelled_at_once(app, client, world, login_as, db, tmp_path):
    configure(app, tmp_path, JOBS_IMMEDIATE=False)
    login_as(world.user)
    job_id = _job_id(start_export(client, world.attendance))
    token = csrf_token(client, f"/jobs/{job_id}")
    assert client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token}).status_code == 303
    assert job_row(db, job_id).status == JobStatus.CANCELLED
    run_queued()  # the task finds it cancelled and does nothing
    job = job_row(db, job_id)
    assert job.status == JobStatus.CANCELLED and job.started_at is None
    again = client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token})
    assert again.status_code == 409


def test_a_running_job_stops_at_its_next_chunk_when_cancelled(
    app, client, world, login_as, db, tmp_path
):
    configure(app, tmp_path, JOBS_IMMEDIATE=False)
    login_as(world.user)
    job_id = _job_id(start_export(client, world.attendance))
    original = background.jobs.progress

    def cancel_on_first_chunk(job, rows_done, *, now):
        with db.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == job).values(cancel_requested=True))
        return original(job, rows_done, now=now)

    background.jobs.progress = cancel_on_first_chunk
    try:
        run_queued()
    finally:
        background.jobs.progress = original
    job = job_row(db, job_id)
    assert job.status == JobStatus.CANCELLED and job.rows_done == 4
    assert job.result_path is None
    assert not list((tmp_path / "results").glob("job-*"))


def test_finished_files_expire_and_are_deleted(app, client, world, login_as, db, tmp_path):
    configure(app, tmp_path)
    login_as(world.user)
    job_id = _job_id(start_export(client, world.attendance))
    job = job_row(db, job_id)
    assert job.status == JobStatus.DONE
    path = tmp_path / "results" / job.result_path
    assert path.is_file()
    assert periodic.sweep_jobs() == (0, 0)  # not yet
    db.session.execute(
        update(Job).where(Job.id == job_id).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert periodic.sweep_jobs() == (0, 1)
    job = job_row(db, job_id)
    assert job.status == JobStatus.EXPIRED and job.result_path is None
    assert not path.exists()
    download = client.get(f"/jobs/{job_id}/download")
    assert download.status_code == 302 and download.headers["Location"].endswith(f"/jobs/{job_id}")


def test_a_job_whose_worker_stopped_is_marked_failed(app, client, world, login_as, db, tmp_path):
    configure(app, tmp_path, JOBS_IMMEDIATE=False)
    login_as(world.user)
    job_id = _job_id(start_export(client, world.attendance))
    # The worker took the task, reported once, then was killed (nothing more comes).
    assert background.jobs.start(job_id, ROWS, now=utcnow() - timedelta(minutes=30))
    partial = tmp_path / "results" / f"job-{job_id}.part"
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(b"half a file")
    assert periodic.sweep_jobs() == (1, 0)
    job = job_row(db, job_id)
    assert job.status == JobStatus.FAILED and job.error_code == "worker_stopped"
    assert not partial.exists()
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert "停止" in state["error"]


def test_each_user_has_at_most_k_jobs_at_once(app, client, world, login_as, db, tmp_path):
    configure(app, tmp_path, JOBS_IMMEDIATE=False, JOBS_PER_USER=2)
    login_as(world.user)
    first = _job_id(start_export(client, world.attendance))
    _job_id(start_export(client, world.attendance))
    refused = start_export(client, world.attendance)
    assert refused.status_code == 429
    assert "2" in refused.get_data(as_text=True)
    assert db.session.scalar(select(Job.id).order_by(Job.id.desc()).limit(1)) != first + 2
    token = csrf_token(client, f"/jobs/{first}")
    client.post(f"/jobs/{first}/cancel", data={"csrf_token": token})
    assert start_export(client, world.attendance).status_code == 303


def test_jobs_are_their_owners_within_their_current_scope(
    app, client, world, login_as, make, db, tmp_path
):
    configure(app, tmp_path)
    login_as(world.user)
    job_id = _job_id(start_export(client, world.attendance))
    urls = [f"/jobs/{job_id}", f"/jobs/{job_id}.json", f"/jobs/{job_id}/download"]
    for url in urls:
        with client.get(url) as response:
            assert response.status_code == 200, url

    client.post("/logout", data={"csrf_token": csrf_token(client, "/jobs")})
    stranger = login_as(make.user())  # another station's organizer
    for url in urls:
        assert client.get(url).status_code == 404, url
    token = csrf_token(client, "/jobs")
    assert client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token}).status_code == 404
    assert f"/jobs/{job_id}" not in client.get("/jobs").get_data(as_text=True)
    assert stranger.id != world.user.id

    # The owner moved to another station: the file of the old one is out of reach.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/jobs")})
    owner = db.session.get(type(world.user), world.user.id)
    owner.unit_id = make.unit().id
    db.session.commit()
    login_as(owner)
    for url in urls:
        assert client.get(url).status_code == 404, url


def test_a_job_whose_scope_was_lost_before_it_ran_fails(
    app, client, world, login_as, make, db, tmp_path
):
    configure(app, tmp_path, JOBS_IMMEDIATE=False)
    login_as(world.user)
    job_id = _job_id(start_export(client, world.attendance))
    owner = db.session.get(type(world.user), world.user.id)
    owner.unit_id = make.unit().id
    db.session.commit()
    run_queued()
    job = job_row(db, job_id)
    assert job.status == JobStatus.FAILED and job.error_code == "scope_lost"


def test_a_period_export_of_a_unit_runs_as_a_job(app, client, world, login_as, db, tmp_path):
    from volunteer_app.localtime import utc_to_local

    configure(app, tmp_path)
    login_as(world.user)
    day = utc_to_local(world.activity.starts_at).date().isoformat()
    url = f"/reports/checkins.xlsx?unit={world.activity.unit_id}&period=day&date={day}"
    assert "准备文件" in client.get(url).get_data(as_text=True)
    job_id = _job_id(start_export(client, url))
    job = job_row(db, job_id)
    assert job.kind == "export.checkins" and job.unit_id == world.activity.unit_id
    assert job.params == {"period": "day", "date": day, "fmt": "xlsx", "lang": "zh"}
    with client.get(f"/jobs/{job_id}/download") as download:
        lines = xlsx_lines(download.data)
    assert len(lines) == ROWS + 1


def test_a_job_that_breaks_before_its_first_row_is_failed_not_left_queued(
    app, client, world, login_as, db, tmp_path, monkeypatch
):
    configure(app, tmp_path, JOBS_IMMEDIATE=False)
    login_as(world.user)
    job_id = _job_id(start_export(client, world.attendance))

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(background, "spec_for_job", broken)
    run_queued()
    job = job_row(db, job_id)
    assert job.status == JobStatus.FAILED and job.error_code == "export_failed"
