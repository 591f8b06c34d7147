"""The job tests leave the task queue as the test configuration has it: immediate."""

import pytest

from volunteer_app.jobs import queue


@pytest.fixture(autouse=True)
def _immediate_queue_afterwards(request):
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    yield
    if app is not None:
        app.config["JOBS_IMMEDIATE"] = True
        queue.init_app(app)
