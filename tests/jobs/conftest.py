"""The job tests leave the task queue as the test configuration has it: immediate; and they
leave no file open for the garbage collector to find.

Why the second: a response of ``send_file`` (or an export stopped mid-way) that is never closed
holds an open file; when a later garbage collection finds it, its finalizer warns, the warning is
an error here (``filterwarnings = error``) and pytest's unraisable-exception hook formats its
traceback, which on Python 3.11 calls ``ast.parse``. A collection can start inside any
allocation, including inside werkzeug's own ``ast.parse`` while the next test's ``app`` builds
its URL rules; CPython 3.11 before 3.11.8 keeps the AST constructor's recursion depth in
interpreter-wide state, so the nested parse corrupts the outer one and it fails with
``SystemError: AST constructor recursion depth mismatch`` (python/cpython#106905).
"""

import gc
import sys

import pytest

from volunteer_app.jobs import queue


@pytest.fixture(autouse=True)
def _immediate_queue_afterwards(request):
    app = request.getfixturevalue("app") if "app" in request.fixturenames else None
    yield
    if app is not None:
        app.config["JOBS_IMMEDIATE"] = True
        queue.init_app(app)


@pytest.fixture(autouse=True)
def _nothing_left_for_finalizers():
    """Collect the test's garbage at its end and fail if a finalizer complained."""
    yield
    found = []
    previous = sys.unraisablehook
    sys.unraisablehook = found.append
    try:
        gc.collect()
    finally:
        sys.unraisablehook = previous
    messages = [f"{u.exc_type.__name__}: {u.exc_value} ({u.object!r})" for u in found]
    assert not messages, "left for the garbage collector: " + "; ".join(messages)
