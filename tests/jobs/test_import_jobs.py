"""Large volunteer imports as background jobs: the threshold, the job's life (progress,
outcome, failure, cancel, lost scope), resuming without doubling, and who reaches the job.

The queue runs embedded (SQLite file storage) and its tasks are executed as the consumer's
worker does (``helpers.run_queued``); tests/jobs/test_consumer.py runs an import in the real
consumer process on SQLite and on Redis.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text, update

from volunteer_app.audit.models import AuditEntry
from volunteer_app.auth.models import Role, User
from volunteer_app.jobs import imports as import_jobs
from volunteer_app.jobs import services
from volunteer_app.jobs.models import Job, JobStatus
from volunteer_app.volunteers import imports
from volunteer_app.volunteers.models import Household, Volunteer

from ..conftest import csrf_token
from ..routes.test_volunteer_import import HEADER, count_of, upload, xlsx
from .helpers import configure, job_row, run_queued

#: Twelve people on six numbers (two a number, a family): chunks of 3 rows must take both
#: rows of a number, so a chunk is 4 rows and the job reports 4, 8, 12.
PEOPLE = 12


class Killed(BaseException):
    """The worker process dies (not an error the task could catch and report)."""


@pytest.fixture
def station(make):
    return make.unit("万福社区站")


@pytest.fixture
def organizer(make, station):
    return make.user(unit=station)


def family_rows(station_name: str = "万福社区站", people: int = PEOPLE) -> list[list]:
    """``people`` good rows (two a number) and one refused row (a bad number)."""
    rows = [[f"家庭成员{i:02d}", f"1391234{i // 2:04d}", station_name] for i in range(people)]
    rows.append(["号码错误", "1391234", station_name])
    return [HEADER, *rows]


def setup(app, tmp_path, **overrides) -> None:
    """A queue that waits (JOBS_IMMEDIATE off), a threshold of 5 rows, chunks of 3."""
    app.config["IMPORT_PENDING_DIR"] = str(tmp_path / "imports")
    configure(
        app,
        tmp_path,
        **{"JOBS_IMMEDIATE": False, "IMPORT_JOB_THRESHOLD": 5, "JOB_CHUNK_ROWS": 3, **overrides},
    )


def confirm_url(html: str) -> str:
    """Where the preview's confirm form posts."""
    return re.search(r'<form method="post" action="([^"]+)" novalidate>', html).group(1)


def confirm(client, html: str, url: str | None = None):
    """Post the preview's confirm form (with the consent) to its action, or to ``url``."""
    token = re.search(r'name="token" type="hidden" value="([^"]+)"', html).group(1)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = {"csrf_token": csrf, "token": token, "consent": "y"}
    return client.post(url or confirm_url(html), data=data)


def start(client, rows=None) -> tuple[int, str]:
    """Upload and confirm a large import; its job's id and the preview's html."""
    preview = upload(client, xlsx(rows or family_rows())).get_data(as_text=True)
    response = confirm(client, preview)
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"/jobs/(\d+)$", response.headers["Location"]).group(1)), preview


def people(db) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Volunteer))


def audited(db) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "volunteers.import")
            .order_by(AuditEntry.id)
        )
    )


def rows_file(tmp_path, job_id: int):
    return services.input_file(tmp_path / "results", job_id)


def after_chunks(monkeypatch, action, on: int = 1) -> None:
    """Run ``action(job_id)`` after the ``on``-th chunk a job applies."""
    original = import_jobs.apply_chunk
    calls = [0]

    def watching(job_id, *args, **kwargs):
        outcome = original(job_id, *args, **kwargs)
        calls[0] += 1
        if calls[0] == on:
            action(job_id)
        return outcome

    monkeypatch.setattr(import_jobs, "apply_chunk", watching)


def test_a_small_import_stays_immediate(app, client, db, login_as, organizer, tmp_path):
    setup(app, tmp_path, IMPORT_JOB_THRESHOLD=PEOPLE)
    login_as(organizer)
    preview = upload(client, xlsx(family_rows())).get_data(as_text=True)
    assert confirm_url(preview) == "/volunteers/import/confirm"
    response = confirm(client, preview)
    assert response.status_code == 302 and response.headers["Location"] == "/volunteers/import"
    assert people(db) == PEOPLE
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0
    assert run_queued() == 0
    assert len(audited(db)) == 1


def test_a_large_import_runs_as_a_job_through_its_life(
    app, client, db, login_as, organizer, tmp_path, monkeypatch
):
    setup(app, tmp_path)
    login_as(organizer)
    job_id, preview = start(client)
    assert confirm_url(preview) == "/jobs/imports/volunteers"
    job = job_row(db, job_id)
    assert (job.kind, job.status, job.rows_total) == ("volunteer_import", "queued", PEOPLE)
    assert job.owner_id == organizer.id and job.unit_id == organizer.unit_id
    assert people(db) == 0 and rows_file(tmp_path, job_id).is_file()
    queued = client.get(f"/jobs/{job_id}.json").get_json()
    assert queued["status"] == "queued" and queued["download_url"] is None
    assert {line["key"]: line["n"] for line in queued["summary"]}["refused"] == 1
    html = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "<progress" in html and "志愿者导入" in html and "取消此次导入" in html

    seen = []

    def watch(job_id):
        with db.engine.connect() as connection:
            seen.append(
                tuple(
                    connection.execute(
                        text("SELECT status, rows_done, rows_total FROM jobs WHERE id = :id"),
                        {"id": job_id},
                    ).one()
                )
            )

    original = import_jobs.apply_chunk

    def watching(job_id, *args, **kwargs):
        outcome = original(job_id, *args, **kwargs)
        watch(job_id)
        return outcome

    monkeypatch.setattr(import_jobs, "apply_chunk", watching)
    assert run_queued() == 1
    # A number's rows are never split: chunks of 3 rows take 4 (two numbers of two people).
    assert seen == [("running", 4, PEOPLE), ("running", 8, PEOPLE), ("running", 12, PEOPLE)]

    job = job_row(db, job_id)
    assert job.status == JobStatus.DONE and job.rows_done == PEOPLE and job.finished_at
    assert job.result_path is None and job.expires_at is None
    # The outcome is what the preview announced, as for the immediate import.
    assert job.result == {
        "new_people": count_of(preview, "new-people"),
        "new_numbers": count_of(preview, "new-numbers"),
        "linked_rows": 0,
        "held_rows": 0,
        "refused": count_of(preview, "refused-rows"),
    }
    assert job.result["new_people"] == PEOPLE and job.result["new_numbers"] == PEOPLE // 2
    assert people(db) == PEOPLE
    assert {v.registered_by_id for v in db.session.scalars(select(Volunteer))} == {organizer.id}
    assert not rows_file(tmp_path, job_id).exists()  # the names and numbers are not kept

    entries = audited(db)
    assert [e.new_value["from_row"] for e in entries] == [0, 4, 8]
    assert {e.actor_user_id for e in entries} == {organizer.id}
    assert {e.new_value["job"] for e in entries} == {job_id}
    assert sum(e.new_value["new_people"] for e in entries) == PEOPLE

    done = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "已导入" in done and "本次导入新增" in done and "下载文件" not in done
    assert re.search(r'id="job-summary-new_people">12<', done)
    assert client.get(f"/jobs/{job_id}/download").status_code == 302  # no file: its page
    assert "志愿者导入" in client.get("/jobs").get_data(as_text=True)

    # The same task again (delivered twice) finds the job done and adds nothing.
    import_jobs.run_import.call_local(job_id)
    assert people(db) == PEOPLE and len(audited(db)) == 3

    # The same file once more, immediately or as a job: everyone is registered already.
    again_id, again = start(client)
    assert count_of(again, "new-people") == 0
    run_queued()
    assert job_row(db, again_id).result["new_people"] == 0
    assert job_row(db, again_id).result["linked_rows"] == PEOPLE
    assert people(db) == PEOPLE


def test_a_worker_killed_midway_resumes_after_its_last_chunk(
    app, client, db, login_as, organizer, tmp_path, monkeypatch
):
    setup(app, tmp_path)
    login_as(organizer)
    job_id, _ = start(client)

    def kill(job_id):
        raise Killed

    after_chunks(monkeypatch, kill, on=2)
    with pytest.raises(Killed):
        import_jobs.run_import.call_local(job_id)
    job = job_row(db, job_id)
    assert job.status == JobStatus.RUNNING and job.rows_done == 8  # two chunks committed
    assert people(db) == 8 and job.result["new_people"] == 8

    # An old run that wakes up at a chunk already applied claims nothing and writes nothing.
    rows = imports.in_phone_order(
        [
            imports.Row(n, f"家庭成员{n:02d}", f"1391234{n // 2:04d}", organizer.unit_id)
            for n in (0,)
        ]
    )
    assert import_jobs.apply_chunk(job_id, rows, 0, now=job.started_at) == import_jobs.GONE

    monkeypatch.undo()
    import_jobs.run_import.call_local(job_id)  # the task delivered again
    job = job_row(db, job_id)
    assert job.status == JobStatus.DONE and job.rows_done == PEOPLE
    assert people(db) == PEOPLE and job.result["new_people"] == PEOPLE
    assert job.result["new_numbers"] == PEOPLE // 2
    assert db.session.scalar(select(func.count()).select_from(Household)) == PEOPLE // 2
    assert [e.new_value["from_row"] for e in audited(db)] == [0, 4, 8]
    import_jobs.run_import.call_local(job_id)  # and once more: nothing
    assert people(db) == PEOPLE and len(audited(db)) == 3


def test_an_import_whose_worker_stopped_is_failed_by_the_sweep(
    app, client, db, login_as, organizer, tmp_path, monkeypatch
):
    from datetime import timedelta

    from volunteer_app.database import utcnow
    from volunteer_app.jobs.queue import task_context
    from volunteer_app.transactions import task_transaction

    setup(app, tmp_path)
    login_as(organizer)
    job_id, _ = start(client)

    def kill(job_id):
        raise Killed

    after_chunks(monkeypatch, kill, on=1)
    with pytest.raises(Killed):
        import_jobs.run_import.call_local(job_id)
    with task_context() as task_app, task_transaction():
        assert services.sweep(task_app, now=utcnow() + timedelta(minutes=10)) == (1, 0)
    job = job_row(db, job_id)
    assert job.status == JobStatus.FAILED and job.error_code == "worker_stopped"
    assert people(db) == 4 and not rows_file(tmp_path, job_id).exists()
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["error"].startswith("处理导入的后台进程已停止")
    assert "已导入 4 行" in state["stopped_text"]


def test_a_failed_import_says_why_and_keeps_its_chunks(
    app, client, db, login_as, organizer, tmp_path, monkeypatch
):
    setup(app, tmp_path)
    login_as(organizer)
    job_id, _ = start(client)
    original = imports.apply
    calls = [0]

    def broken_second(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 2:
            raise OSError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(imports, "apply", broken_second)
    run_queued()
    monkeypatch.undo()
    job = job_row(db, job_id)
    assert job.status == JobStatus.FAILED and job.error_code == "import_failed"
    assert job.rows_done == 4 and people(db) == 4 and len(audited(db)) == 1
    assert not rows_file(tmp_path, job_id).exists()
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["finished"] and state["error"].startswith("导入因出错而停止")
    assert "已导入 4 行" in state["stopped_text"]
    english = client.get(f"/jobs/{job_id}?lang=en").get_data(as_text=True)
    assert "The import stopped because of an error." in english
    assert "4 of 12 rows were imported" in english

    # Uploading the file again imports the rest and doubles nothing.
    again_id, again = start(client)
    assert count_of(again, "new-people") == PEOPLE - 4
    run_queued()
    assert job_row(db, again_id).result["new_people"] == PEOPLE - 4
    assert people(db) == PEOPLE


def test_a_running_import_stops_after_its_chunk_when_cancelled(
    app, client, db, login_as, organizer, tmp_path, monkeypatch
):
    setup(app, tmp_path)
    login_as(organizer)
    job_id, _ = start(client)

    def cancel(job_id):
        with db.engine.begin() as connection:
            connection.execute(update(Job).where(Job.id == job_id).values(cancel_requested=True))

    after_chunks(monkeypatch, cancel, on=1)
    run_queued()
    job = job_row(db, job_id)
    assert job.status == JobStatus.CANCELLED and job.rows_done == 4
    assert people(db) == 4 and job.result["new_people"] == 4
    assert not rows_file(tmp_path, job_id).exists()
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "已停止：12 行中已导入 4 行" in page and "取消此次导入" not in page


def test_a_queued_import_is_cancelled_at_once(app, client, db, login_as, organizer, tmp_path):
    setup(app, tmp_path)
    login_as(organizer)
    job_id, _ = start(client)
    token = csrf_token(client, f"/jobs/{job_id}")
    assert client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token}).status_code == 303
    run_queued()  # the task finds it cancelled: it drops the rows and imports nothing
    job = job_row(db, job_id)
    assert job.status == JobStatus.CANCELLED and job.started_at is None
    assert people(db) == 0 and not rows_file(tmp_path, job_id).exists()


def test_an_import_whose_scope_is_lost_midway_fails(
    app, client, db, login_as, make, organizer, tmp_path, monkeypatch
):
    setup(app, tmp_path)
    login_as(organizer)
    job_id, _ = start(client)
    elsewhere = make.unit("别处社区站").id
    owner_id = organizer.id
    db.session.commit()  # no read of the test's session during the run: it would keep its snapshot

    def move_owner(job_id):
        with db.engine.begin() as connection:
            connection.execute(update(User).where(User.id == owner_id).values(unit_id=elsewhere))

    after_chunks(monkeypatch, move_owner, on=1)
    run_queued()
    job = job_row(db, job_id)
    assert job.status == JobStatus.FAILED and job.error_code == "import_scope_lost"
    assert job.rows_done == 4 and people(db) == 4 and len(audited(db)) == 1
    with app.test_request_context("/"):
        assert "无权" in services.failure_message(job.error_code)


def test_the_old_confirm_route_hands_a_large_import_to_its_job(
    app, client, db, login_as, organizer, tmp_path
):
    setup(app, tmp_path)
    login_as(organizer)
    preview = upload(client, xlsx(family_rows())).get_data(as_text=True)
    response = confirm(client, preview, url="/volunteers/import/confirm")
    assert response.status_code == 307 and response.headers["Location"] == (
        "/jobs/imports/volunteers"
    )
    assert people(db) == 0


def test_imports_share_the_users_limit_of_jobs_with_exports(
    app, client, db, login_as, organizer, tmp_path
):
    setup(app, tmp_path, JOBS_PER_USER=1)
    export = services.create(
        organizer, "export.hours", organizer.unit_id, {}, limit=1, now=organizer.created_at
    )
    export_id = export.id
    db.session.commit()
    login_as(organizer)
    preview = upload(client, xlsx(family_rows())).get_data(as_text=True)
    refused = confirm(client, preview)
    assert refused.status_code == 429
    assert "您已有 1 个导出或导入正在进行" in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1
    db.session.rollback()
    token = csrf_token(client, f"/jobs/{export_id}")
    client.post(f"/jobs/{export_id}/cancel", data={"csrf_token": token})
    # the export is cancelled: the same preview can be confirmed now, and its job is limited
    response = confirm(client, preview)
    assert response.status_code == 303
    again = upload(client, xlsx(family_rows())).get_data(as_text=True)
    assert confirm(client, again).status_code == 429


def test_another_organizer_cannot_see_or_cancel_an_import_job(
    app, client, db, login_as, make, organizer, tmp_path
):
    setup(app, tmp_path)
    login_as(organizer)
    job_id, preview = start(client)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/jobs")})
    # A centre organizer above the station sees the station, not another user's job.
    for stranger in (
        make.user(),
        make.user(unit=organizer.unit.parent, role=Role.CENTRE_ORGANIZER),
    ):
        login_as(stranger)
        for url in (f"/jobs/{job_id}", f"/jobs/{job_id}.json", f"/jobs/{job_id}/download"):
            assert client.get(url).status_code == 404, url
        token = csrf_token(client, "/jobs")
        assert client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token}).status_code == 404
        # Nor can they confirm the owner's upload under their own name.
        assert confirm(client, preview).status_code == 400
        client.post("/logout", data={"csrf_token": token})
    assert job_row(db, job_id).status == JobStatus.QUEUED
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


# --- the unit-tree import --------------------------------------------------------------


def unit_rows() -> list[list]:
    """Twelve stations under two centres, and one refused row (no station)."""
    from ..routes.test_unit_import import HEADER as UNIT_HEADER

    rows = [
        [centre, f"{centre[:2]}第{i + 1}站", "", "王芳", "13912340001"]
        for centre in ("万福街道实践所", "吕陵镇实践所")
        for i in range(6)
    ]
    return [UNIT_HEADER, *rows, ["万福街道实践所", "", "", "", ""]]


def start_units(client) -> tuple[int, str]:
    """Upload and confirm a large unit import; its job's id and the preview's html."""
    from ..routes.test_unit_import import upload as upload_units
    from ..routes.test_unit_import import xlsx as units_xlsx

    preview = upload_units(client, units_xlsx(unit_rows())).get_data(as_text=True)
    response = confirm(client, preview)
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(re.search(r"/jobs/(\d+)$", response.headers["Location"]).group(1)), preview


def stations(db) -> int:
    from volunteer_app.stations.models import Unit, UnitLevel

    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(Unit).where(Unit.level == UnitLevel.STATION)
    )


@pytest.fixture
def admin(make):
    return make.user(role=Role.DISTRICT_ADMIN)


def test_a_small_unit_import_stays_immediate(app, client, db, login_as, admin, tmp_path):
    from ..routes.test_unit_import import upload as upload_units
    from ..routes.test_unit_import import xlsx as units_xlsx

    setup(app, tmp_path, IMPORT_JOB_THRESHOLD=12)
    login_as(admin)
    preview = upload_units(client, units_xlsx(unit_rows())).get_data(as_text=True)
    assert confirm_url(preview) == "/units/import/confirm"
    assert confirm(client, preview).status_code == 302
    assert stations(db) == 12 and run_queued() == 0
    assert db.session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_large_unit_import_runs_as_a_job(app, client, db, login_as, admin, tmp_path):
    setup(app, tmp_path)
    login_as(admin)
    job_id, preview = start_units(client)
    assert confirm_url(preview) == "/jobs/imports/units"
    assert job_row(db, job_id).kind == "unit_import" and stations(db) == 0
    db.session.rollback()  # no snapshot of the test's session kept across the run
    assert run_queued() == 1
    job = job_row(db, job_id)
    assert job.status == JobStatus.DONE and job.rows_done == 12
    assert job.result == {
        "new_centres": count_of(preview, "new-centres"),
        "new_stations": count_of(preview, "new-stations"),
        "existing_stations": 0,
        "refused": count_of(preview, "refused-rows"),
    }
    assert job.result["new_centres"] == 2 and job.result["new_stations"] == 12
    assert stations(db) == 12 and not rows_file(tmp_path, job_id).exists()
    entries = list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "units.import").order_by(AuditEntry.id)
        )
    )
    assert [e.new_value["from_row"] for e in entries] == [0, 3, 6, 9]
    assert {e.actor_user_id for e in entries} == {admin.id}
    created = db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "unit.create")
    )
    assert created == 14
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "单位导入" in page and re.search(r'id="job-summary-new_stations">12<', page)
    assert 'href="/units/import"' in page
    import_jobs.run_import.call_local(job_id)  # delivered again: nothing more
    assert stations(db) == 12

    again_id, _ = start_units(client)  # the same file again adds nothing
    run_queued()
    assert job_row(db, again_id).result["existing_stations"] == 12 and stations(db) == 12


def test_a_unit_import_whose_owner_moved_midway_fails(
    app, client, db, login_as, make, admin, tmp_path, monkeypatch
):
    from volunteer_app.stations.models import UnitLevel

    setup(app, tmp_path)
    login_as(admin)
    job_id, _ = start_units(client)
    elsewhere = make.unit(level=UnitLevel.DISTRICT).id
    owner_id = admin.id
    db.session.commit()

    def move_owner(job_id):
        with db.engine.begin() as connection:
            connection.execute(update(User).where(User.id == owner_id).values(unit_id=elsewhere))

    after_chunks(monkeypatch, move_owner, on=1)
    run_queued()
    job = job_row(db, job_id)
    assert job.status == JobStatus.FAILED and job.error_code == "import_scope_lost"
    assert job.rows_done == 3 and stations(db) == 3 and job.result["new_stations"] == 3


def test_another_organizer_cannot_see_a_unit_import_job(
    app, client, db, login_as, make, admin, tmp_path
):
    from volunteer_app.stations.models import UnitLevel

    setup(app, tmp_path)
    login_as(admin)
    job_id, _ = start_units(client)
    centre = make.unit(level=UnitLevel.CENTRE, parent=admin.unit)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/jobs")})
    login_as(make.user(unit=centre, role=Role.CENTRE_ORGANIZER))
    assert client.get(f"/jobs/{job_id}").status_code == 404
    token = csrf_token(client, "/jobs")
    assert client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": token}).status_code == 404
